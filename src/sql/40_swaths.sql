
-- ---------------------------------------------------------------------------
-- Installation checks: clear errors instead of puzzling ones
-- ---------------------------------------------------------------------------

-- The API takes and returns PostGIS types and calls PostGIS functions by
-- their schema, which must be this extension's (PostgreSQL 15 has no
-- @extschema:postgis@).  An old table "swaths" (e.g. a Django site's) is in
-- the way of the catalog: say how to migrate rather than fail with 42P07.
-- Settings exist in a session only once the library is loaded.
DO $checks$
DECLARE
    postgis_schema name := (SELECT n.nspname FROM pg_catalog.pg_extension e
                              JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
                             WHERE e.extname = 'postgis');
    libs text := pg_catalog.current_setting('shared_preload_libraries') || ',' ||
                 pg_catalog.current_setting('session_preload_libraries');
    rel text;
BEGIN
    IF postgis_schema IS DISTINCT FROM '@extschema@' THEN
        RAISE EXCEPTION 'extension "eoswath" must be installed in the schema of extension "postgis"'
            USING ERRCODE = 'invalid_schema_name',
                  DETAIL = pg_catalog.format('postgis is in schema %I, and eoswath was asked to go into schema %I.',
                                             postgis_schema, '@extschema@'),
                  HINT = pg_catalog.format('Leave SCHEMA out (or say SCHEMA %I), or install both into one new schema: CREATE EXTENSION eoswath SCHEMA x CASCADE in a database without postgis.',
                                           postgis_schema);
    END IF;
    FOR rel IN SELECT r FROM pg_catalog.unnest(ARRAY['swaths', 'swaths_id_seq']) r LOOP
        IF pg_catalog.to_regclass(pg_catalog.quote_ident('@extschema@') || '.' || rel) IS NOT NULL THEN
            RAISE EXCEPTION 'relation "%" already exists in schema "@extschema@"', rel
                USING ERRCODE = 'duplicate_table',
                      DETAIL = 'eoswath creates its own catalog table "swaths" (and its sequence "swaths_id_seq"); an existing one (e.g. an earlier Django site''s) is in the way.',
                      HINT = 'Rename the old table and its sequence (ALTER TABLE swaths RENAME TO swaths_old; ALTER SEQUENCE swaths_id_seq RENAME TO swaths_old_id_seq), create the extension, then copy the rows over: see "Migrating an existing swaths table" in the README.';
        END IF;
    END LOOP;
    IF libs !~ '(^|[\s,])"?(\$libdir/)?eoswath(\.so)?"?\s*(,|$)' THEN
        RAISE WARNING 'eoswath is not in shared_preload_libraries'
            USING DETAIL = 'Its settings (eoswath.*) exist in a session only once the library is loaded: before that, SHOW and ALTER SYSTEM SET of one fail with "unrecognized configuration parameter".',
                  HINT = 'Preload it: ALTER SYSTEM SET shared_preload_libraries = ''eoswath'', then restart the server.  Or run LOAD ''eoswath'' in the session first.';
    END IF;
END
$checks$;

-- ---------------------------------------------------------------------------
-- The swath catalog
-- ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.swath_footprint_wkb(oid @extschema@.wosoid) RETURNS bytea
    AS 'MODULE_PATHNAME', 'swath_footprint_wkb' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.swath_footprint_wkb(@extschema@.wosoid) IS
    'footprint of a granule object as WKB (lon/lat, SRID 4326); see swath_footprint()';

-- The granule helper gives overlapping parts with longitudes unwrapped past
-- +-180 and polar rings closed along the pole.  Here they become one valid
-- (Multi)Polygon: each part made valid, all unioned, split at the
-- antimeridian (ST_WrapX) and unioned again.  PostGIS geography misreads a
-- polygon that winds far round the globe (a full orbit), so a polygon wider
-- or taller than 60 degrees is cut into cells of 60 degrees of longitude by
-- a hemisphere, separated by hairline gaps (2e-9 degrees, along meridians
-- and a parallel off the round numbers): the cells do not touch, so the
-- result stays valid.  See "How footprints are
-- computed" in README.md.
-- jit = off: PostGIS's cost estimates (1000 rows per ST_Dump, costly
-- ST_Intersection) put the body's plan over jit_above_cost, and compiling it
-- took 15-20 ms of every call, which itself runs in 1-30 ms.
CREATE FUNCTION eoswath.footprint_from_parts(parts @extschema@.geometry) RETURNS @extschema@.geometry
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET jit = off
    RETURN (
        WITH u AS (
            SELECT @extschema@.ST_UnaryUnion(@extschema@.ST_WrapX(@extschema@.ST_WrapX(
                       @extschema@.ST_UnaryUnion(@extschema@.ST_Collect(
                           @extschema@.ST_MakeValid(d.geom, 'method=structure'))),
                       180, -360), -180, 360)) AS g
              FROM @extschema@.ST_Dump(parts) d),
        p AS (
            SELECT d.geom AS g, (@extschema@.ST_XMax(d.geom) - @extschema@.ST_XMin(d.geom) > 60 OR
                                 @extschema@.ST_YMax(d.geom) - @extschema@.ST_YMin(d.geom) > 60) AS wide
              FROM u, @extschema@.ST_Dump(@extschema@.ST_CollectionExtract(u.g, 3)) d),
        s AS (
            SELECT @extschema@.ST_MakeEnvelope(
                       CASE WHEN k = 0 THEN -180 ELSE -180 + 60 * k - 0.01234567 + 1e-9 END,
                       CASE WHEN h = 0 THEN -90 ELSE -0.01234567 + 1e-9 END,
                       CASE WHEN k = 5 THEN 180 ELSE -120 + 60 * k - 0.01234567 - 1e-9 END,
                       CASE WHEN h = 0 THEN -0.01234567 - 1e-9 ELSE 90 END,
                       4326) AS box
              FROM generate_series(0, 5) k, generate_series(0, 1) h)
        SELECT @extschema@.ST_SetSRID(@extschema@.ST_CollectionExtract(@extschema@.ST_Collect(
                   CASE WHEN p.wide THEN @extschema@.ST_Intersection(p.g, s.box) ELSE p.g END), 3), 4326)
          FROM p LEFT JOIN s ON p.wide AND @extschema@.ST_Intersects(s.box, p.g));
COMMENT ON FUNCTION eoswath.footprint_from_parts(@extschema@.geometry) IS
    'the valid footprint (multi)polygon of the overlapping parts the granule helper gives (lon/lat, SRID 4326)';
REVOKE ALL ON FUNCTION eoswath.footprint_from_parts(@extschema@.geometry) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION eoswath.footprint_from_parts(@extschema@.geometry) TO eoswath_reader;

CREATE FUNCTION @extschema@.swath_footprint(oid @extschema@.wosoid) RETURNS geography
    LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
    RETURN @extschema@.geography(eoswath.footprint_from_parts(
               @extschema@.ST_GeomFromEWKB(@extschema@.swath_footprint_wkb(oid))));
COMMENT ON FUNCTION @extschema@.swath_footprint(@extschema@.wosoid) IS
    'footprint (multi)polygon of a swath granule computed from its own latitude/longitude arrays';

CREATE FUNCTION @extschema@.swath_time_range(oid @extschema@.wosoid,
    OUT start_time timestamptz, OUT end_time timestamptz)
    AS 'MODULE_PATHNAME', 'swath_time_range' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.swath_time_range(@extschema@.wosoid) IS
    'first and last acquisition time of a granule, from its time variable (NULLs if it has none)';

CREATE FUNCTION @extschema@.swath_geolocation(oid @extschema@.wosoid)
    RETURNS TABLE (pair integer, "group" text, lat_var text, lon_var text, dims text[],
                   nrows bigint, ncols bigint, time_var text, used boolean, note text)
    AS 'MODULE_PATHNAME', 'swath_geolocation' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.swath_geolocation(@extschema@.wosoid) IS
    'the latitude/longitude variable pairs found in a granule: one row per swath (used), then the pairs that are no swath (platform position, support data, duplicates) with the reason in note';

CREATE FUNCTION @extschema@.swath_pixels(oid @extschema@.wosoid, step integer DEFAULT 1)
    RETURNS TABLE (pair integer, "row" integer, col integer, lat float8, lon float8)
    AS 'MODULE_PATHNAME', 'swath_pixels' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.swath_pixels(@extschema@.wosoid, integer) IS
    'valid pixel centres of a granule (fill skipped, scale/offset applied), every step-th one';

CREATE TABLE @extschema@.swaths (
    id          bigserial PRIMARY KEY,
    filename    varchar(255) NOT NULL,
    filepath    varchar(255) NOT NULL DEFAULT '',
    fileext     varchar(20) NOT NULL DEFAULT '',
    shape       @extschema@.geography(Geometry, 4326)
                CHECK (shape IS NULL OR @extschema@.GeometryType(shape) IN ('POLYGON', 'MULTIPOLYGON')),
    source      varchar(100) NOT NULL,
    version     varchar(20) NOT NULL DEFAULT '',
    overpass    timestamptz NOT NULL,
    oid         @extschema@.wosoid NOT NULL UNIQUE
                REFERENCES eoswath.objects (oid) ON DELETE RESTRICT,
    orbit       integer,
    overpass_end timestamptz,
    size        bigint,
    registered  timestamptz NOT NULL DEFAULT now(),
    CHECK (overpass_end IS NULL OR overpass_end >= overpass)
);
COMMENT ON TABLE @extschema@.swaths IS
    'catalog of swath granules: footprint, overpass time, orbit, source, version and the object holding the granule';
COMMENT ON COLUMN @extschema@.swaths.shape IS
    'footprint: a Polygon, or a MultiPolygon of along-track segments (long granules, antimeridian and polar passes)';
COMMENT ON COLUMN @extschema@.swaths.overpass IS 'start of acquisition';
COMMENT ON COLUMN @extschema@.swaths.overpass_end IS 'end of acquisition';
COMMENT ON COLUMN @extschema@.swaths.oid IS 'the object holding the granule, catalogued once (deleting it is refused while this row exists)';

-- space and time in GiST indexes.  A multicolumn GiST tree is built on its
-- first column (later ones only break ties), so a (shape, time) index would
-- be a spatial tree: for a region and a month it reads the region's entries
-- of every year (at 10 M rows, 100 years of 5-minute granules, thousands of
-- pages).  (time, shape) is a time tree: a month's entries are a few leaf
-- pages, checked on both columns there.  A region alone (or with a window
-- the statistics say covers most rows) takes the smaller spatial index.
CREATE INDEX swaths_shape_idx ON @extschema@.swaths USING gist (shape);
CREATE INDEX swaths_time_shape_idx ON @extschema@.swaths USING gist
    (tstzrange(overpass, coalesce(overpass_end, overpass), '[]'), shape);
CREATE INDEX swaths_overpass_idx ON @extschema@.swaths (overpass);
CREATE INDEX swaths_filename_idx ON @extschema@.swaths (filename);
CREATE INDEX swaths_orbit_idx ON @extschema@.swaths (orbit);
CREATE INDEX swaths_source_overpass_idx ON @extschema@.swaths (source, overpass);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.swaths', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.swaths_id_seq', '');

-- Fill what a row lacks, and only what it lacks: shape from the granule when
-- NULL, overpass (and overpass_end) from its time variable when overpass is
-- NULL, size from the object catalog.  A row that gives shape and overpass
-- opens no file, so any object can be catalogued (an ENVISAT .N1.gz, a
-- PDF); a row that lacks them for an object that is not a readable granule
-- is refused with 23502 naming what to give.
CREATE FUNCTION eoswath.swaths_fill() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    t record;
    opened boolean := false;
    msg text;
    det text;
BEGIN
    IF NEW.shape IS NULL THEN
        BEGIN
            NEW.shape := swath_footprint(NEW.oid);
            opened := true;
        EXCEPTION WHEN data_exception THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
            RAISE EXCEPTION 'swath row for object % has no shape, and none can be computed from the object', NEW.oid
                USING ERRCODE = 'not_null_violation', COLUMN = 'shape', TABLE = TG_TABLE_NAME,
                      SCHEMA = TG_TABLE_SCHEMA,
                      DETAIL = rtrim(msg || coalesce(': ' || nullif(det, ''), ''), '.') || '.',
                      HINT = 'Give shape and overpass in the row: only netCDF and HDF5 swath granules have a footprint eoswath can compute.';
        END;
    END IF;
    IF NEW.overpass IS NULL OR (NEW.overpass_end IS NULL AND opened) THEN
        BEGIN
            SELECT * INTO t FROM swath_time_range(NEW.oid);
        EXCEPTION WHEN data_exception THEN
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
            RAISE EXCEPTION 'swath row for object % has no overpass, and none can be computed from the object', NEW.oid
                USING ERRCODE = 'not_null_violation', COLUMN = 'overpass', TABLE = TG_TABLE_NAME,
                      SCHEMA = TG_TABLE_SCHEMA,
                      DETAIL = rtrim(msg || coalesce(': ' || nullif(det, ''), ''), '.') || '.',
                      HINT = 'Give overpass in the row: only netCDF and HDF5 granules with a time variable have times eoswath can read.';
        END;
        IF NEW.overpass IS NULL THEN
            NEW.overpass := t.start_time;
            NEW.overpass_end := coalesce(NEW.overpass_end, t.end_time);
        ELSIF t.end_time >= NEW.overpass THEN
            NEW.overpass_end := t.end_time;
        END IF;
        IF NEW.overpass IS NULL THEN
            RAISE EXCEPTION 'granule % has no time variable, and no overpass was given', NEW.oid
                USING ERRCODE = 'not_null_violation', COLUMN = 'overpass', TABLE = TG_TABLE_NAME,
                      SCHEMA = TG_TABLE_SCHEMA,
                      HINT = 'Give the overpass time in the row.';
        END IF;
    END IF;
    IF NEW.size IS NULL THEN
        SELECT o.size INTO NEW.size FROM eoswath.objects o WHERE o.oid = NEW.oid;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER swaths_fill BEFORE INSERT OR UPDATE OF oid ON @extschema@.swaths
    FOR EACH ROW EXECUTE FUNCTION eoswath.swaths_fill();

-- Tell listeners (the web site) about new swaths.
CREATE FUNCTION eoswath.swaths_notify() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- rows a restore loads (COPY) are not news
    IF pg_catalog.current_query() ~* '^(\s|--[^\n]*\n)*COPY\s' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('eoswath_swaths', json_build_object(
        'op', lower(TG_OP), 'id', NEW.id, 'oid', NEW.oid::text,
        'filename', NEW.filename, 'source', NEW.source, 'version', NEW.version,
        'orbit', NEW.orbit, 'overpass', NEW.overpass)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER swaths_notify AFTER INSERT ON @extschema@.swaths
    FOR EACH ROW EXECUTE FUNCTION eoswath.swaths_notify();

-- An object is catalogued once (swaths.oid is unique): registering it again
-- updates the names of its row (filename, filepath, fileext, source; version
-- and orbit when given) and returns the row, as INSERT ... ON CONFLICT (oid)
-- DO UPDATE would, without computing the footprint again (an object's bytes
-- never change).
CREATE FUNCTION @extschema@.swath_register(oid @extschema@.wosoid, filename text, source text,
                                            version text DEFAULT NULL, orbit integer DEFAULT NULL)
    RETURNS @extschema@.swaths
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    r @extschema@.swaths;
    path text := coalesce(substring($2 FROM '^(.*)/'), '');
    ext text := coalesce(substring($2 FROM '\.([^./]+)$'), '');
    cname text;
BEGIN
    LOOP
        UPDATE @extschema@.swaths s
           SET filename = $2, filepath = path, fileext = ext, source = $3,
               version = coalesce($4, s.version), orbit = coalesce($5, s.orbit)
         WHERE s.oid = $1
        RETURNING * INTO r;
        IF FOUND THEN
            RETURN r;
        END IF;
        BEGIN
            INSERT INTO @extschema@.swaths (filename, filepath, fileext, source, version, orbit, oid, overpass)
            VALUES ($2, path, ext, $3, coalesce($4, ''), $5, $1, NULL)
            RETURNING * INTO r;
            RETURN r;
        EXCEPTION WHEN unique_violation THEN
            -- another transaction catalogued the object at the same time: update its row
            GET STACKED DIAGNOSTICS cname = CONSTRAINT_NAME;
            IF cname <> 'swaths_oid_key' THEN
                RAISE;
            END IF;
        END;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.swath_register(@extschema@.wosoid, text, text, text, integer) IS
    'catalogue a granule object (footprint and overpass computed from the granule) and return its row; an object already catalogued keeps its row, whose names are updated';

CREATE FUNCTION eoswath.geog_intersects_wkb(a bytea, b bytea) RETURNS boolean
    AS 'MODULE_PATHNAME', 'geog_intersects_wkb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION eoswath.geog_intersects_wkb(bytea, bytea) IS
    'ST_Intersects() of two geographies given as WKB (polygons or multipolygons of any size), exact and cheap; NULL when a shape is not a polygon, has an edge between antipodal points or a part without a defined interior';

-- The time window [from, to) of a search; from after to is the caller's
-- mistake (22023), not an empty answer.  IMMUTABLE so that constant windows
-- are checked and folded at plan time, before anything else.
CREATE FUNCTION eoswath.search_window("from" timestamptz, "to" timestamptz) RETURNS tstzrange
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF $1 > $2 THEN
        RAISE EXCEPTION 'search window starts after it ends'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = pg_catalog.format('"from" is %s and "to" is %s.', $1, $2),
                  HINT = 'Give "from" before "to": the window is [from, to).';
    END IF;
    RETURN tstzrange($1, $2, '[)');
END
$$;
COMMENT ON FUNCTION eoswath.search_window(timestamptz, timestamptz) IS
    'the window [from, to) of swath_search(); 22023 when from is after to';

CREATE FUNCTION @extschema@.swath_search(region geography, "from" timestamptz DEFAULT NULL,
                                          "to" timestamptz DEFAULT NULL, source text DEFAULT NULL)
    RETURNS SETOF @extschema@.swaths
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT s.* FROM @extschema@.swaths s
         WHERE s.shape OPERATOR(@extschema@.&&) $1
           AND coalesce(eoswath.geog_intersects_wkb(@extschema@.ST_AsBinary(s.shape),
                                                        @extschema@.ST_AsBinary($1)),
                        @extschema@.ST_Intersects(s.shape, $1))
           AND tstzrange(s.overpass, coalesce(s.overpass_end, s.overpass), '[]')
               && eoswath.search_window($2, $3)
           AND ($4 IS NULL OR s.source = $4)
    $$;
COMMENT ON FUNCTION @extschema@.swath_search(geography, timestamptz, timestamptz, text) IS
    'swaths whose footprint intersects region and whose acquisition overlaps [from, to), optionally of one source';

REVOKE ALL ON FUNCTION
    eoswath.geog_intersects_wkb(bytea, bytea),
    eoswath.search_window(timestamptz, timestamptz),
    @extschema@.swath_geolocation(@extschema@.wosoid),
    @extschema@.swath_pixels(@extschema@.wosoid, integer),
    @extschema@.swath_footprint_wkb(@extschema@.wosoid),
    @extschema@.swath_footprint(@extschema@.wosoid),
    @extschema@.swath_time_range(@extschema@.wosoid),
    @extschema@.swath_register(@extschema@.wosoid, text, text, text, integer),
    @extschema@.swath_search(geography, timestamptz, timestamptz, text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    eoswath.geog_intersects_wkb(bytea, bytea),
    eoswath.search_window(timestamptz, timestamptz),
    @extschema@.swath_geolocation(@extschema@.wosoid),
    @extschema@.swath_pixels(@extschema@.wosoid, integer),
    @extschema@.swath_footprint_wkb(@extschema@.wosoid),
    @extschema@.swath_footprint(@extschema@.wosoid),
    @extschema@.swath_time_range(@extschema@.wosoid),
    @extschema@.swath_search(geography, timestamptz, timestamptz, text)
TO eoswath_reader;
GRANT EXECUTE ON FUNCTION
    @extschema@.swath_register(@extschema@.wosoid, text, text, text, integer)
TO eoswath_writer;
GRANT SELECT ON @extschema@.swaths TO eoswath_reader;
GRANT INSERT, UPDATE, DELETE ON @extschema@.swaths TO eoswath_writer;
GRANT USAGE ON SEQUENCE @extschema@.swaths_id_seq TO eoswath_writer;

COMMENT ON FUNCTION eoswath.swaths_fill() IS
    'trigger: fill shape, overpass, overpass_end and size of a swath row from its granule';
COMMENT ON FUNCTION eoswath.swaths_notify() IS
    'trigger: NOTIFY eoswath_swaths with a JSON payload for every new swath row';
