
-- ---------------------------------------------------------------------------
-- Subsetting swaths by region, and splitting new swaths by region
-- ---------------------------------------------------------------------------

CREATE FUNCTION eoswath.swath_subset_wkb(oid @extschema@.wosoid, region bytea, srid integer,
                                         spherical boolean, variables text[])
    RETURNS bytea
    AS 'MODULE_PATHNAME', 'swath_subset_wkb' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION eoswath.swath_subset_wkb(@extschema@.wosoid, bytea, integer, boolean, text[]) IS
    'swath_subset() on a region given as WKB, with great-circle (spherical) or straight lon/lat edges';

CREATE FUNCTION eoswath.swath_subset_store_wkb(oid @extschema@.wosoid, region bytea, srid integer,
                                               spherical boolean, policy text, variables text[],
                                               meta jsonb)
    RETURNS @extschema@.wosoid
    AS 'MODULE_PATHNAME', 'swath_subset_store_wkb' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION eoswath.swath_subset_store_wkb(@extschema@.wosoid, bytea, integer, boolean, text, text[], jsonb) IS
    'swath_subset_store() on a region given as WKB';

CREATE FUNCTION eoswath.region_contains_wkb(region bytea, srid integer, spherical boolean,
                                            lon float8, lat float8)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'region_contains_wkb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION eoswath.region_contains_wkb(bytea, integer, boolean, float8, float8) IS
    'the pixel-in-region test of swath_subset() (boundary inclusive) on one point, for checks against PostGIS';

CREATE FUNCTION @extschema@.swath_subset(oid @extschema@.wosoid, region geography,
                                         variables text[] DEFAULT NULL)
    RETURNS bytea
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    RETURN eoswath.swath_subset_wkb(oid, @extschema@.ST_AsBinary(region::@extschema@.geometry),
                                    4326, true, variables);
COMMENT ON FUNCTION @extschema@.swath_subset(@extschema@.wosoid, geography, text[]) IS
    'netCDF-4 file with the part of a granule inside region (great-circle edges); NULL if no pixel is inside';

CREATE FUNCTION @extschema@.swath_subset(oid @extschema@.wosoid, region geometry,
                                         variables text[] DEFAULT NULL)
    RETURNS bytea
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    RETURN eoswath.swath_subset_wkb(oid, @extschema@.ST_AsBinary(region),
                                    @extschema@.ST_SRID(region), false, variables);
COMMENT ON FUNCTION @extschema@.swath_subset(@extschema@.wosoid, geometry, text[]) IS
    'netCDF-4 file with the part of a granule inside region (SRID 4326, edges straight in lon/lat, as l2ss-py boxes); NULL if no pixel is inside';

CREATE FUNCTION @extschema@.swath_subset_store(oid @extschema@.wosoid, region geography,
                                               policy text DEFAULT NULL, variables text[] DEFAULT NULL)
    RETURNS @extschema@.wosoid
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    RETURN eoswath.swath_subset_store_wkb(oid, @extschema@.ST_AsBinary(region::@extschema@.geometry),
        4326, true, policy, variables,
        pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'kind', 'swath_subset', 'source_oid', oid::text,
            'region', @extschema@.ST_AsEWKT(region), 'edges', 'great-circle',
            'variables', pg_catalog.array_to_string(variables, ','))));
COMMENT ON FUNCTION @extschema@.swath_subset_store(@extschema@.wosoid, geography, text, text[]) IS
    'swath_subset() stored as a new object (streamed, never held in memory) whose metadata records source_oid and region; NULL if no pixel is inside';

CREATE FUNCTION @extschema@.swath_subset_store(oid @extschema@.wosoid, region geometry,
                                               policy text DEFAULT NULL, variables text[] DEFAULT NULL)
    RETURNS @extschema@.wosoid
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    RETURN eoswath.swath_subset_store_wkb(oid, @extschema@.ST_AsBinary(region),
        @extschema@.ST_SRID(region), false, policy, variables,
        pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'kind', 'swath_subset', 'source_oid', oid::text,
            'region', @extschema@.ST_AsEWKT(region), 'edges', 'planar',
            'variables', pg_catalog.array_to_string(variables, ','))));
COMMENT ON FUNCTION @extschema@.swath_subset_store(@extschema@.wosoid, geometry, text, text[]) IS
    'swath_subset() (straight lon/lat edges) stored as a new object whose metadata records source_oid and region; NULL if no pixel is inside';

-- A region written as text (WKT or EWKT, no cast) would fit both overloads
-- above (42725): as text it is read as a geography, great-circle edges, as
-- PostGIS reads a WKT literal into a geography column and as swath_search()
-- reads its region.  Cast it to geometry for straight lon/lat edges.
CREATE FUNCTION @extschema@.swath_subset(oid @extschema@.wosoid, region text,
                                         variables text[] DEFAULT NULL)
    RETURNS bytea
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    RETURN @extschema@.swath_subset(oid, region::@extschema@.geography, variables);
COMMENT ON FUNCTION @extschema@.swath_subset(@extschema@.wosoid, text, text[]) IS
    'swath_subset() of a region given as (E)WKT text, read as a geography: great-circle edges';

CREATE FUNCTION @extschema@.swath_subset_store(oid @extschema@.wosoid, region text,
                                               policy text DEFAULT NULL, variables text[] DEFAULT NULL)
    RETURNS @extschema@.wosoid
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    RETURN @extschema@.swath_subset_store(oid, region::@extschema@.geography, policy, variables);
COMMENT ON FUNCTION @extschema@.swath_subset_store(@extschema@.wosoid, text, text, text[]) IS
    'swath_subset_store() of a region given as (E)WKT text, read as a geography: great-circle edges';

-- Regions, and the subsets made of every new swath for each of them.
CREATE TABLE @extschema@.swath_regions (
    name        text PRIMARY KEY,
    shape       @extschema@.geography(Geometry, 4326) NOT NULL
                CHECK (@extschema@.GeometryType(shape) IN ('POLYGON', 'MULTIPOLYGON')),
    created     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.swath_regions IS
    'named regions: every new swath whose footprint intersects one gets its subset made (great-circle edges)';
CREATE INDEX swath_regions_shape_idx ON @extschema@.swath_regions USING gist (shape);

CREATE TABLE @extschema@.swath_subsets (
    swath       bigint NOT NULL REFERENCES @extschema@.swaths (id) ON DELETE CASCADE,
    region      text NOT NULL REFERENCES @extschema@.swath_regions (name)
                ON UPDATE CASCADE ON DELETE CASCADE,
    subset      @extschema@.wosoid REFERENCES eoswath.objects (oid) ON DELETE RESTRICT,
    made        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (swath, region)
);
COMMENT ON TABLE @extschema@.swath_subsets IS
    'the subset object made for each (swath, region); subset is NULL when the footprint meets the region but no pixel centre lies inside';
CREATE INDEX swath_subsets_region_idx ON @extschema@.swath_subsets (region, made);

CREATE TABLE @extschema@.swath_subset_queue (
    id          bigserial PRIMARY KEY,
    swath       bigint NOT NULL REFERENCES @extschema@.swaths (id) ON DELETE CASCADE,
    region      text NOT NULL REFERENCES @extschema@.swath_regions (name)
                ON UPDATE CASCADE ON DELETE CASCADE,
    queued      timestamptz NOT NULL DEFAULT now(),
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text,
    last_attempt timestamptz,
    UNIQUE (swath, region)
);
COMMENT ON TABLE @extschema@.swath_subset_queue IS
    'subsets still to make, queued in the transaction that inserted the swath; swath_subset_drain() works it off';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.swath_regions', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.swath_subsets', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.swath_subset_queue', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.swath_subset_queue_id_seq', '');

-- A new swath queues one item per region its footprint meets: cheap, in the
-- inserting transaction, so the swath row never waits for or fails with a subset.
CREATE FUNCTION eoswath.swaths_queue_subsets() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
    -- a restore (pg_restore, or a dump run by psql) loads the rows with COPY
    -- and brings the queue and the subsets as they were dumped: queue nothing
    IF pg_catalog.current_query() ~* '^(\s|--[^\n]*\n)*COPY\s' THEN
        RETURN NULL;
    END IF;
    INSERT INTO swath_subset_queue (swath, region)
    SELECT NEW.id, r.name FROM swath_regions r
     WHERE NEW.shape IS NOT NULL AND r.shape && NEW.shape
       -- swath_search()'s exact test; NULL (a region it cannot take, e.g.
       -- one without a defined interior): queued, the drain records why
       AND coalesce(eoswath.geog_intersects_wkb(ST_AsBinary(NEW.shape), ST_AsBinary(r.shape)), true)
    ON CONFLICT (swath, region) DO NOTHING;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION eoswath.swaths_queue_subsets() IS
    'trigger: queue a subset of a new swath for every region its footprint intersects';

CREATE TRIGGER swaths_queue_subsets AFTER INSERT ON @extschema@.swaths
    FOR EACH ROW EXECUTE FUNCTION eoswath.swaths_queue_subsets();

-- Work the queue off: each item in its own subtransaction; a failure is
-- recorded in the item and the others go on.
CREATE FUNCTION @extschema@.swath_subset_drain(max integer DEFAULT NULL)
    RETURNS TABLE (swath bigint, region text, subset @extschema@.wosoid, error text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    item record;
    last_id bigint := 0;
    done integer := 0;
    made wosoid;
BEGIN
    LOOP
        EXIT WHEN max IS NOT NULL AND done >= max;
        SELECT q.id, q.swath, q.region, s.oid, r.shape INTO item
          FROM swath_subset_queue q
          JOIN swaths s ON s.id = q.swath
          JOIN swath_regions r ON r.name = q.region
         WHERE q.id > last_id
         ORDER BY q.id
         LIMIT 1
           FOR UPDATE OF q SKIP LOCKED;
        EXIT WHEN NOT FOUND;
        last_id := item.id;
        done := done + 1;
        swath := item.swath;
        region := item.region;
        BEGIN
            made := swath_subset_store(item.oid, item.shape);
            INSERT INTO swath_subsets (swath, region, subset)
            VALUES (item.swath, item.region, made)
            ON CONFLICT ON CONSTRAINT swath_subsets_pkey
            DO UPDATE SET subset = EXCLUDED.subset, made = EXCLUDED.made;
            DELETE FROM swath_subset_queue WHERE id = item.id;
            subset := made;
            error := NULL;
        EXCEPTION WHEN query_canceled THEN
            RAISE;
        WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS error = MESSAGE_TEXT;
            UPDATE swath_subset_queue q
               SET attempts = q.attempts + 1, last_error = error, last_attempt = clock_timestamp()
             WHERE q.id = item.id;
            subset := NULL;
        END;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.swath_subset_drain(integer) IS
    'make the queued subsets (at most max; NULL: all), each in its own subtransaction; failures stay queued with their error';

CREATE PROCEDURE @extschema@.swath_subset_drain_all(batch integer DEFAULT 10)
    LANGUAGE plpgsql
AS $$
DECLARE
    n integer;
BEGIN
    -- no SET clause: a procedure that commits cannot have one
    LOOP
        SELECT count(*) INTO n FROM @extschema@.swath_subset_drain(batch) d WHERE d.error IS NULL;
        COMMIT;
        EXIT WHEN n = 0;
    END LOOP;
END
$$;
COMMENT ON PROCEDURE @extschema@.swath_subset_drain_all(integer) IS
    'drain the queue batch by batch, committing after each batch so a crash loses at most one batch of work (never a queued item)';

CREATE FUNCTION @extschema@.swath_subset_requeue(swath bigint DEFAULT NULL)
    RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, @extschema@, pg_temp
    BEGIN ATOMIC
        WITH q AS (
            INSERT INTO swath_subset_queue (swath, region)
            SELECT s.id, r.name FROM swaths s JOIN swath_regions r
                ON r.shape && s.shape
               AND coalesce(eoswath.geog_intersects_wkb(ST_AsBinary(s.shape), ST_AsBinary(r.shape)), true)
             WHERE (swath_subset_requeue.swath IS NULL OR s.id = swath_subset_requeue.swath)
               AND NOT EXISTS (SELECT 1 FROM swath_subsets x WHERE x.swath = s.id AND x.region = r.name)
            ON CONFLICT (swath, region) DO NOTHING
            RETURNING 1)
        SELECT count(*) FROM q;
    END;
COMMENT ON FUNCTION @extschema@.swath_subset_requeue(bigint) IS
    'queue the subsets missing for one swath (NULL: every swath), e.g. after adding a region; returns how many were queued';

REVOKE ALL ON FUNCTION
    eoswath.swath_subset_wkb(@extschema@.wosoid, bytea, integer, boolean, text[]),
    eoswath.swath_subset_store_wkb(@extschema@.wosoid, bytea, integer, boolean, text, text[], jsonb),
    @extschema@.swath_subset(@extschema@.wosoid, geography, text[]),
    @extschema@.swath_subset(@extschema@.wosoid, geometry, text[]),
    @extschema@.swath_subset(@extschema@.wosoid, text, text[]),
    @extschema@.swath_subset_store(@extschema@.wosoid, geography, text, text[]),
    @extschema@.swath_subset_store(@extschema@.wosoid, geometry, text, text[]),
    @extschema@.swath_subset_store(@extschema@.wosoid, text, text, text[]),
    @extschema@.swath_subset_drain(integer),
    @extschema@.swath_subset_requeue(bigint)
FROM PUBLIC;
REVOKE ALL ON PROCEDURE @extschema@.swath_subset_drain_all(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    eoswath.region_contains_wkb(bytea, integer, boolean, float8, float8),
    eoswath.swath_subset_wkb(@extschema@.wosoid, bytea, integer, boolean, text[]),
    @extschema@.swath_subset(@extschema@.wosoid, geography, text[]),
    @extschema@.swath_subset(@extschema@.wosoid, geometry, text[]),
    @extschema@.swath_subset(@extschema@.wosoid, text, text[])
TO eoswath_reader;
GRANT EXECUTE ON FUNCTION
    eoswath.swath_subset_store_wkb(@extschema@.wosoid, bytea, integer, boolean, text, text[], jsonb),
    @extschema@.swath_subset_store(@extschema@.wosoid, geography, text, text[]),
    @extschema@.swath_subset_store(@extschema@.wosoid, geometry, text, text[]),
    @extschema@.swath_subset_store(@extschema@.wosoid, text, text, text[]),
    @extschema@.swath_subset_drain(integer),
    @extschema@.swath_subset_requeue(bigint)
TO eoswath_writer;
GRANT EXECUTE ON PROCEDURE @extschema@.swath_subset_drain_all(integer) TO eoswath_writer;
GRANT SELECT ON @extschema@.swath_regions, @extschema@.swath_subsets, @extschema@.swath_subset_queue
    TO eoswath_reader;
GRANT INSERT, UPDATE, DELETE ON @extschema@.swath_regions TO eoswath_writer;
GRANT DELETE ON @extschema@.swath_subsets, @extschema@.swath_subset_queue TO eoswath_writer;
