-- eoswath upgrade script 0.1.0 -> 0.2.0
--
-- Every schema change of 0.2.0 (src/sql/*.sql) appears here too, so that
-- ALTER EXTENSION eoswath UPDATE brings a 0.1.0 install to exactly what a
-- fresh 0.2.0 install has (test/t/012_upgrade.pl compares the two).

\echo Use "ALTER EXTENSION eoswath UPDATE TO '0.2.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Issue 14: any object in the catalog, views for writers, SQL friction
-- ---------------------------------------------------------------------------

-- ---------------------------------------------------------------------------
-- Views for writers: the policies they may name, the objects they own
-- ---------------------------------------------------------------------------

CREATE FUNCTION eoswath.outer_user() RETURNS name
    AS 'MODULE_PATHNAME', 'wos_outer_user' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION eoswath.outer_user() IS
    'the role the caller is (after SET ROLE), also inside the catalog''s calls as the extension owner: the owner of new objects';

-- Who put (or reserved) each object.  Objects stored before 0.2.0 have none.
-- (rows stored before 0.2.0 keep a NULL owner: nobody recorded who put them)
ALTER TABLE eoswath.objects ADD COLUMN owner name;
ALTER TABLE eoswath.objects ALTER COLUMN owner SET DEFAULT eoswath.outer_user();
COMMENT ON COLUMN eoswath.objects.owner IS
    'the role that put or reserved the object (NULL for objects stored before 0.2.0)';

CREATE VIEW @extschema@.wos_policies AS
    SELECT p.name, p.copies, p.sites, p.description,
           p.name = coalesce(pg_catalog.current_setting('eoswath.default_policy', true), 'default') AS is_default
      FROM eoswath.policies p;
COMMENT ON VIEW @extschema@.wos_policies IS
    'the replication policies a put may name: copies, sites (NULL: any enabled site), and which one is eoswath.default_policy';

CREATE VIEW @extschema@.wos_my_objects WITH (security_barrier) AS
    SELECT o.oid, o.state, o.size, o.policy, o.encoding, o.created, o.meta
      FROM eoswath.objects o
     WHERE o.owner = CURRENT_USER;
COMMENT ON VIEW @extschema@.wos_my_objects IS
    'the objects the current role put or reserved (wos_objects lists every object, for administrators)';

REVOKE ALL ON FUNCTION eoswath.outer_user() FROM PUBLIC;
GRANT SELECT ON @extschema@.wos_policies, @extschema@.wos_my_objects TO eoswath_writer;

-- An object is catalogued once: swaths.oid becomes unique.  An archive that
-- catalogued an object twice under 0.1.0 (swath_register called twice) is
-- refused, naming the duplicates, rather than losing rows silently.
DO $dups$
DECLARE
    dups text;
BEGIN
    SELECT pg_catalog.string_agg(pg_catalog.format('%s (rows %s)', d.oid, d.ids), ', ')
      INTO dups
      FROM (SELECT s.oid::text AS oid, pg_catalog.string_agg(s.id::text, ' ' ORDER BY s.id) AS ids
              FROM @extschema@.swaths s GROUP BY s.oid HAVING pg_catalog.count(*) > 1
             ORDER BY 1 LIMIT 20) d;
    IF dups IS NOT NULL THEN
        RAISE EXCEPTION 'objects are catalogued more than once in table "swaths"'
            USING ERRCODE = 'unique_violation',
                  DETAIL = 'eoswath 0.2.0 catalogues an object once (swaths.oid is unique); these objects have several rows: ' || dups || '.',
                  HINT = 'Keep one row per object, e.g. the first: DELETE FROM swaths s USING swaths t WHERE s.oid = t.oid AND s.id > t.id; then run ALTER EXTENSION eoswath UPDATE again.';
    END IF;
END
$dups$;
DROP INDEX @extschema@.swaths_oid_idx;
ALTER TABLE @extschema@.swaths ADD CONSTRAINT swaths_oid_key UNIQUE (oid);
COMMENT ON COLUMN @extschema@.swaths.oid IS 'the object holding the granule, catalogued once (deleting it is refused while this row exists)';

CREATE OR REPLACE FUNCTION eoswath.swaths_fill() RETURNS trigger
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

CREATE OR REPLACE FUNCTION @extschema@.swath_register(oid @extschema@.wosoid, filename text, source text,
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

CREATE OR REPLACE FUNCTION @extschema@.swath_search(region geography, "from" timestamptz DEFAULT NULL,
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

REVOKE ALL ON FUNCTION eoswath.search_window(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION eoswath.search_window(timestamptz, timestamptz) TO eoswath_reader;

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

REVOKE ALL ON FUNCTION
    @extschema@.swath_subset(@extschema@.wosoid, text, text[]),
    @extschema@.swath_subset_store(@extschema@.wosoid, text, text, text[])
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.swath_subset(@extschema@.wosoid, text, text[]) TO eoswath_reader;
GRANT EXECUTE ON FUNCTION @extschema@.swath_subset_store(@extschema@.wosoid, text, text, text[]) TO eoswath_writer;
