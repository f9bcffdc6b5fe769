
-- ---------------------------------------------------------------------------
-- Quicklooks: PNG pictures of a swath variable, their legends, stored
-- quicklooks linked to swaths (and to their STAC Items), and quicklooks of
-- the regional subsets the queue makes
-- ---------------------------------------------------------------------------

CREATE FUNCTION eoswath.swath_quicklook_wkb(oid @extschema@.wosoid, variable text, region bytea,
                                            srid integer, spherical boolean, width integer,
                                            colormap text, value_range float8[], projection text)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'swath_quicklook_wkb' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION eoswath.swath_quicklook_wkb(@extschema@.wosoid, text, bytea, integer, boolean, integer, text, float8[], text) IS
    'swath_quicklook() on a region given as WKB (NULL: the whole swath), with great-circle (spherical) or straight lon/lat edges';

CREATE FUNCTION @extschema@.swath_quicklook(oid @extschema@.wosoid, variable text,
                                            region geometry DEFAULT NULL, width integer DEFAULT 1024,
                                            colormap text DEFAULT 'viridis',
                                            value_range float8[] DEFAULT NULL,
                                            projection text DEFAULT NULL)
    RETURNS bytea
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    RETURN CASE WHEN region IS NOT NULL AND @extschema@.ST_IsEmpty(region) THEN NULL
                ELSE eoswath.swath_quicklook_wkb(oid, variable, @extschema@.ST_AsBinary(region),
                                                 @extschema@.ST_SRID(region), false, width, colormap,
                                                 value_range, projection) END;
COMMENT ON FUNCTION @extschema@.swath_quicklook(@extschema@.wosoid, text, geometry, integer, text, float8[], text) IS
    'PNG picture of one variable of a swath (or of its part inside region, straight lon/lat edges), resampled by nearest neighbour onto a plate carree or polar stereographic grid; NULL if no pixel is inside';

CREATE FUNCTION @extschema@.swath_quicklook(oid @extschema@.wosoid, variable text,
                                            region geography, width integer DEFAULT 1024,
                                            colormap text DEFAULT 'viridis',
                                            value_range float8[] DEFAULT NULL,
                                            projection text DEFAULT NULL)
    RETURNS bytea
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    RETURN CASE WHEN region IS NOT NULL AND @extschema@.ST_IsEmpty(region::@extschema@.geometry) THEN NULL
                ELSE eoswath.swath_quicklook_wkb(oid, variable,
                                                 @extschema@.ST_AsBinary(region::@extschema@.geometry),
                                                 4326, true, width, colormap, value_range, projection) END;
COMMENT ON FUNCTION @extschema@.swath_quicklook(@extschema@.wosoid, text, geography, integer, text, float8[], text) IS
    'swath_quicklook() of the part of a swath inside region (great-circle edges)';

-- a region written as text (or NULL without a cast) is read as a geography,
-- as swath_subset() reads it
CREATE FUNCTION @extschema@.swath_quicklook(oid @extschema@.wosoid, variable text,
                                            region text, width integer DEFAULT 1024,
                                            colormap text DEFAULT 'viridis',
                                            value_range float8[] DEFAULT NULL,
                                            projection text DEFAULT NULL)
    RETURNS bytea
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    RETURN @extschema@.swath_quicklook(oid, variable, region::@extschema@.geography, width,
                                       colormap, value_range, projection);
COMMENT ON FUNCTION @extschema@.swath_quicklook(@extschema@.wosoid, text, text, integer, text, float8[], text) IS
    'swath_quicklook() of a region given as (E)WKT text, read as a geography: great-circle edges';

CREATE FUNCTION @extschema@.swath_quicklook_info(png bytea) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'swath_quicklook_info' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.swath_quicklook_info(bytea) IS
    'what a PNG says about itself: width, height, bit depth and colour type, and its text chunks (a quicklook''s bbox, projection, variable, units, value range, colormap, source)';

CREATE FUNCTION @extschema@.swath_quicklook_legend(colormap text, value_range float8[],
                                                   units text DEFAULT NULL, width integer DEFAULT 256)
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'swath_quicklook_legend' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.swath_quicklook_legend(text, float8[], text, integer) IS
    'PNG colour bar of a colormap over value_range, labelled with its ends, middle and units';

-- (one argument only: a second would make swath_quicklook_legend('viridis',
-- '{0,1}') ambiguous)
CREATE FUNCTION @extschema@.swath_quicklook_legend(quicklook bytea)
    RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (SELECT @extschema@.swath_quicklook_legend(
                       i->'text'->>'colormap',
                       pg_catalog.string_to_array(i->'text'->>'value_range', ',')::float8[],
                       i->'text'->>'units')
              FROM (SELECT @extschema@.swath_quicklook_info(quicklook) AS i) x);
COMMENT ON FUNCTION @extschema@.swath_quicklook_legend(bytea) IS
    'the legend (256 pixels wide) of a quicklook: its colormap, value range and units, read from its text chunks';

-- Stored quicklooks, linked to the swath they show
CREATE TABLE @extschema@.swath_quicklooks (
    swath       bigint NOT NULL REFERENCES @extschema@.swaths (id) ON DELETE CASCADE,
    variable    text NOT NULL,
    region      text NOT NULL DEFAULT '',
    quicklook   @extschema@.wosoid NOT NULL REFERENCES eoswath.objects (oid) ON DELETE RESTRICT,
    info        jsonb NOT NULL,
    made        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (swath, variable, region)
);
COMMENT ON TABLE @extschema@.swath_quicklooks IS
    'the stored quicklook (PNG object) of each (swath, variable, region); region is '''' for the whole swath, else the name given (a swath_regions name for the queue''s)';
COMMENT ON COLUMN @extschema@.swath_quicklooks.info IS 'swath_quicklook_info() of the PNG: size, bbox, projection, value range, units';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.swath_quicklooks', '');

ALTER TABLE @extschema@.swath_regions
    ADD COLUMN quicklook_variable text,
    ADD COLUMN quicklook_width integer NOT NULL DEFAULT 512
        CHECK (quicklook_width BETWEEN 1 AND 54000),
    ADD COLUMN quicklook_colormap text NOT NULL DEFAULT 'viridis';
COMMENT ON COLUMN @extschema@.swath_regions.quicklook_variable IS
    'when set, the queue also stores a quicklook of this variable for each subset it makes (swath_quicklooks, region = this name); granules without the variable get none';

CREATE FUNCTION @extschema@.swath_quicklook_store(oid @extschema@.wosoid, variable text,
                                                  region geography DEFAULT NULL,
                                                  width integer DEFAULT 1024,
                                                  colormap text DEFAULT 'viridis',
                                                  value_range float8[] DEFAULT NULL,
                                                  projection text DEFAULT NULL,
                                                  policy text DEFAULT NULL,
                                                  region_name text DEFAULT NULL)
    RETURNS @extschema@.wosoid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    png bytea;
    info jsonb;
    made wosoid;
    old wosoid;
    sw bigint;
    key text := coalesce(region_name, CASE WHEN region IS NULL THEN '' ELSE ST_AsEWKT(region) END);
BEGIN
    -- (the right to call this is eoswath_writer's: see the GRANT below)
    png := swath_quicklook(oid, variable, region, width, colormap, value_range, projection);
    IF png IS NULL THEN
        RETURN NULL;
    END IF;
    info := swath_quicklook_info(png);
    made := wos_put(png,
        jsonb_strip_nulls(jsonb_build_object(
            'kind', 'swath_quicklook', 'source_oid', oid::text, 'variable', variable,
            'region', CASE WHEN region IS NOT NULL THEN ST_AsEWKT(region) END,
            'region_name', region_name,
            'content_type', 'image/png',
            'width', info->>'width', 'height', info->>'height',
            'projection', info->'text'->>'projection', 'bbox', info->'text'->>'bbox',
            'value_range', info->'text'->>'value_range', 'colormap', colormap,
            'units', info->'text'->>'units')),
        policy);
    SELECT s.id INTO sw FROM swaths s WHERE s.oid = swath_quicklook_store.oid;
    IF FOUND THEN
        SELECT q.quicklook INTO old FROM swath_quicklooks q
         WHERE q.swath = sw AND q.variable = swath_quicklook_store.variable AND q.region = key
           FOR UPDATE;
        INSERT INTO swath_quicklooks AS q (swath, variable, region, quicklook, info)
        VALUES (sw, swath_quicklook_store.variable, key, made, info)
        ON CONFLICT ON CONSTRAINT swath_quicklooks_pkey
        DO UPDATE SET quicklook = EXCLUDED.quicklook, info = EXCLUDED.info, made = now();
        IF old IS NOT NULL THEN
            PERFORM wos_delete(old);    -- replaced: the old picture goes at commit
        END IF;
    END IF;
    RETURN made;
END
$$;
COMMENT ON FUNCTION @extschema@.swath_quicklook_store(@extschema@.wosoid, text, geography, integer, text, float8[], text, text, text) IS
    'swath_quicklook() stored as a PNG object (metadata: source_oid, variable, region, bbox, projection, value range) and, for a catalogued swath, linked in swath_quicklooks (replacing the one before) and so in its STAC Item; NULL if no pixel is inside';

-- the queue: a quicklook of each regional subset made, for regions that ask
CREATE FUNCTION eoswath.swath_subsets_quicklook() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    r record;
    src wosoid;
BEGIN
    IF NEW.subset IS NULL OR pg_catalog.current_query() ~* '^(\s|--[^\n]*\n)*COPY\s' THEN
        RETURN NULL;
    END IF;
    SELECT g.shape, g.quicklook_variable, g.quicklook_width, g.quicklook_colormap INTO r
      FROM swath_regions g WHERE g.name = NEW.region AND g.quicklook_variable IS NOT NULL;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT s.oid INTO src FROM swaths s WHERE s.id = NEW.swath;
    BEGIN
        PERFORM swath_quicklook_store(src, r.quicklook_variable, r.shape, r.quicklook_width,
                                      r.quicklook_colormap, NULL, NULL, NULL, NEW.region);
    EXCEPTION WHEN undefined_object THEN
        -- a granule of another product, without the variable: no quicklook
        RAISE NOTICE 'no quicklook of swath % for region %: %', NEW.swath, NEW.region, SQLERRM;
    END;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION eoswath.swath_subsets_quicklook() IS
    'trigger: store the quicklook of a regional subset just made, when its region names a quicklook_variable';

CREATE TRIGGER swath_subsets_quicklook AFTER INSERT OR UPDATE OF subset ON @extschema@.swath_subsets
    FOR EACH ROW EXECUTE FUNCTION eoswath.swath_subsets_quicklook();

-- STAC: a stored quicklook as an asset
CREATE FUNCTION eoswath.stac_quicklook_asset(s @extschema@.swaths, q @extschema@.swath_quicklooks,
                                             thumbnail boolean)
    RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object(
        'href', eoswath.stac_href(q.quicklook,
                                  format('%s.%s%s.png',
                                         regexp_replace(regexp_replace(s.filename, '^.*/', ''), '\.[^.]*$', ''),
                                         regexp_replace(q.variable, '^.*/', ''),
                                         CASE WHEN q.region = '' THEN '' ELSE '.' || q.region END)),
        'type', 'image/png',
        'title', format('quicklook of %s%s', q.variable,
                        CASE WHEN q.region = '' THEN '' ELSE ' in the region ' || q.region END),
        'roles', CASE WHEN thumbnail THEN jsonb_build_array('thumbnail', 'overview')
                      ELSE jsonb_build_array('overview') END,
        'eoswath:bbox', (SELECT jsonb_agg(x::float8) FROM unnest(string_to_array(q.info->'text'->>'bbox', ',')) x),
        'eoswath:projection', q.info->'text'->'projection',
        'eoswath:value_range', (SELECT jsonb_agg(x::float8) FROM unnest(string_to_array(q.info->'text'->>'value_range', ',')) x),
        'eoswath:units', q.info->'text'->'units');
COMMENT ON FUNCTION eoswath.stac_quicklook_asset(@extschema@.swaths, @extschema@.swath_quicklooks, boolean) IS
    'a stored quicklook as a STAC asset (role overview, and thumbnail for the Item''s thumbnail)';

REVOKE ALL ON FUNCTION
    eoswath.swath_quicklook_wkb(@extschema@.wosoid, text, bytea, integer, boolean, integer, text, float8[], text),
    @extschema@.swath_quicklook(@extschema@.wosoid, text, geometry, integer, text, float8[], text),
    @extschema@.swath_quicklook(@extschema@.wosoid, text, geography, integer, text, float8[], text),
    @extschema@.swath_quicklook(@extschema@.wosoid, text, text, integer, text, float8[], text),
    @extschema@.swath_quicklook_store(@extschema@.wosoid, text, geography, integer, text, float8[], text, text, text),
    eoswath.stac_quicklook_asset(@extschema@.swaths, @extschema@.swath_quicklooks, boolean)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    eoswath.swath_quicklook_wkb(@extschema@.wosoid, text, bytea, integer, boolean, integer, text, float8[], text),
    @extschema@.swath_quicklook(@extschema@.wosoid, text, geometry, integer, text, float8[], text),
    @extschema@.swath_quicklook(@extschema@.wosoid, text, geography, integer, text, float8[], text),
    @extschema@.swath_quicklook(@extschema@.wosoid, text, text, integer, text, float8[], text),
    eoswath.stac_quicklook_asset(@extschema@.swaths, @extschema@.swath_quicklooks, boolean)
TO eoswath_reader;
GRANT EXECUTE ON FUNCTION
    @extschema@.swath_quicklook_store(@extschema@.wosoid, text, geography, integer, text, float8[], text, text, text)
TO eoswath_writer;
GRANT SELECT ON @extschema@.swath_quicklooks TO eoswath_reader;
GRANT DELETE ON @extschema@.swath_quicklooks TO eoswath_writer;
