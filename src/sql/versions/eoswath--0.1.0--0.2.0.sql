-- eoswath upgrade script 0.1.0 -> 0.2.0
--
-- Every schema change of 0.2.0 (src/sql/*.sql) appears here too, so that
-- ALTER EXTENSION eoswath UPDATE brings a 0.1.0 install to exactly what a
-- fresh 0.2.0 install has (test/t/012_upgrade.pl compares the two).

\echo Use "ALTER EXTENSION eoswath UPDATE TO '0.2.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Archive identity and site ownership (10_catalog.sql, 20_objects.sql)
-- ---------------------------------------------------------------------------

CREATE TABLE eoswath.archive (
    archive_id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created     timestamptz NOT NULL DEFAULT clock_timestamp()
);
COMMENT ON TABLE eoswath.archive IS
    'identities of this archive: the oldest row is the archive''s UUID; others came with restores';
INSERT INTO eoswath.archive DEFAULT VALUES;
SELECT pg_catalog.pg_extension_config_dump('eoswath.archive', '');

CREATE OR REPLACE FUNCTION @extschema@.wos_site_enable(name text, enabled boolean) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    BEGIN
        UPDATE eoswath.sites SET enabled = wos_site_enable.enabled
         WHERE sites.name = wos_site_enable.name;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'site "%" does not exist', wos_site_enable.name
                USING ERRCODE = 'undefined_object';
        END IF;
    END
    $$;

CREATE OR REPLACE FUNCTION @extschema@.wos_policy_add(name text, copies integer, sites text[] DEFAULT NULL,
                                                       description text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    DECLARE
        unknown text;
    BEGIN
        SELECT string_agg(format('"%s"', s), ', ') INTO unknown
          FROM unnest(wos_policy_add.sites) AS s
         WHERE NOT EXISTS (SELECT 1 FROM eoswath.sites WHERE sites.name = s);
        IF unknown IS NOT NULL THEN
            RAISE EXCEPTION 'policy "%" names sites that do not exist: %', wos_policy_add.name, unknown
                USING ERRCODE = 'undefined_object',
                      HINT = 'Add the sites first with wos_site_add(); wos_sites lists the existing ones.';
        END IF;
        INSERT INTO eoswath.policies (name, copies, sites, description)
        VALUES (wos_policy_add.name, wos_policy_add.copies, wos_policy_add.sites,
                wos_policy_add.description);
    END
    $$;

CREATE FUNCTION eoswath.site_status(site_id integer,
                                    OUT available boolean, OUT owner text, OUT free_bytes bigint,
                                    OUT why text)
    AS 'MODULE_PATHNAME', 'wos_site_status' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION eoswath.site_status(integer) IS
    'whether a site can take new copies now, who owns it (this database, another instance, or unclaimed), its free space where known, and why it is not available';

DROP VIEW @extschema@.wos_sites;
CREATE VIEW @extschema@.wos_sites AS
    SELECT s.site_id, s.name, s.kind, s.location, s.enabled, s.created,
           (SELECT count(*) FROM eoswath.objects o WHERE s.site_id = ANY (o.sites)) AS copies,
           (SELECT coalesce(sum(o.size), 0) FROM eoswath.objects o WHERE s.site_id = ANY (o.sites))::bigint AS bytes,
           s.options,
           EXISTS (SELECT 1 FROM eoswath.site_credentials c WHERE c.site_id = s.site_id) AS has_credentials,
           st.available, st.owner, st.free_bytes, st.why
      FROM eoswath.sites s, LATERAL eoswath.site_status(s.site_id) st;
COMMENT ON VIEW @extschema@.wos_sites IS
    'the storage sites with the number of copies and bytes each holds, their options (never credentials), whether they have credentials, and whether they are available now, who owns them, their free space and why they are not available, for administrators';

CREATE FUNCTION @extschema@.wos_site_adopt(name text) RETURNS void
    AS 'MODULE_PATHNAME', 'wos_site_adopt' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_site_adopt(text) IS
    'take ownership of a site whose marker names another instance of this archive (a restore, an upgrade or a new server); ids continue above every id found there';

REVOKE ALL ON FUNCTION @extschema@.wos_site_adopt(text), eoswath.site_status(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.wos_site_adopt(text), eoswath.site_status(integer) TO eoswath_admin;
GRANT SELECT ON @extschema@.wos_sites TO eoswath_admin;

CREATE FUNCTION eoswath.drop_guard() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'wos_drop_guard' LANGUAGE C;
COMMENT ON FUNCTION eoswath.drop_guard() IS
    'loads eoswath before a DROP, so that dropping the object catalog while it holds objects is refused (eoswath.allow_drop_with_objects)';
CREATE EVENT TRIGGER eoswath_drop_guard ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED', 'DROP TABLE')
    EXECUTE FUNCTION eoswath.drop_guard();

-- ---------------------------------------------------------------------------
-- Site life cycle: drop, drain, relocate, rebalance; policy drop and alter
-- ---------------------------------------------------------------------------

CREATE FUNCTION eoswath.object_place(oid @extschema@.wosoid) RETURNS bigint
    AS 'MODULE_PATHNAME', 'wos_object_place' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION eoswath.object_place(@extschema@.wosoid) IS
    'move the copies of one object to where its policy places them now; returns the bytes copied';

CREATE FUNCTION @extschema@.wos_site_relocate(name text, location text) RETURNS void
    AS 'MODULE_PATHNAME', 'wos_site_relocate' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_site_relocate(text, text) IS
    'record a site''s new location (its disk was mounted elsewhere, its bucket moved); the marker there must be the site''s';

CREATE FUNCTION @extschema@.wos_site_drop(name text) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    DECLARE
        sid integer;
        n bigint;
        pols text;
    BEGIN
        SELECT site_id INTO sid FROM eoswath.sites WHERE sites.name = wos_site_drop.name FOR UPDATE;
        IF sid IS NULL THEN
            RAISE EXCEPTION 'site "%" does not exist', wos_site_drop.name USING ERRCODE = 'undefined_object';
        END IF;
        IF sid = 1 THEN
            RAISE EXCEPTION 'the default site cannot be dropped' USING ERRCODE = 'feature_not_supported';
        END IF;
        SELECT count(*) INTO n FROM eoswath.objects o WHERE sid = ANY (o.sites);
        IF n > 0 THEN
            RAISE EXCEPTION 'site "%" still holds % copies', wos_site_drop.name, n
                USING ERRCODE = 'object_in_use',
                      HINT = format('Move them to other sites first: CALL wos_site_drain(%L).', wos_site_drop.name);
        END IF;
        SELECT string_agg(format('"%s"', p.name), ', ') INTO pols
          FROM eoswath.policies p WHERE wos_site_drop.name = ANY (p.sites);
        IF pols IS NOT NULL THEN
            RAISE EXCEPTION 'site "%" is named by policies %', wos_site_drop.name, pols
                USING ERRCODE = 'dependent_objects_still_exist',
                      HINT = 'Alter or drop those policies first.';
        END IF;
        DELETE FROM eoswath.sites WHERE site_id = sid;
    END
    $$;
COMMENT ON FUNCTION @extschema@.wos_site_drop(text) IS
    'forget a site that holds no copies (drain it first); its files and marker stay where they are';

CREATE FUNCTION @extschema@.wos_policy_drop(name text) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    DECLARE
        n bigint;
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM eoswath.policies p WHERE p.name = wos_policy_drop.name) THEN
            RAISE EXCEPTION 'replication policy "%" does not exist', wos_policy_drop.name
                USING ERRCODE = 'undefined_object';
        END IF;
        IF wos_policy_drop.name IN ('default', 'replicate', 'copy3') THEN
            RAISE EXCEPTION 'the built-in policy "%" cannot be dropped', wos_policy_drop.name
                USING ERRCODE = 'feature_not_supported';
        END IF;
        SELECT count(*) INTO n FROM eoswath.objects o WHERE o.policy = wos_policy_drop.name;
        IF n > 0 THEN
            RAISE EXCEPTION 'replication policy "%" is used by % objects', wos_policy_drop.name, n
                USING ERRCODE = 'dependent_objects_still_exist',
                      HINT = 'Objects keep their policy; delete them, or alter the policy instead.';
        END IF;
        DELETE FROM eoswath.policies p WHERE p.name = wos_policy_drop.name;
    END
    $$;
COMMENT ON FUNCTION @extschema@.wos_policy_drop(text) IS
    'drop a replication policy that no object uses';

CREATE FUNCTION eoswath.policy_set(name text, copies integer, sites text[]) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    DECLARE
        unknown text;
        n bigint;
    BEGIN
        SELECT string_agg(format('"%s"', s), ', ') INTO unknown
          FROM unnest(policy_set.sites) AS s
         WHERE NOT EXISTS (SELECT 1 FROM eoswath.sites WHERE sites.name = s);
        IF unknown IS NOT NULL THEN
            RAISE EXCEPTION 'policy "%" names sites that do not exist: %', policy_set.name, unknown
                USING ERRCODE = 'undefined_object';
        END IF;
        UPDATE eoswath.policies p SET copies = policy_set.copies, sites = policy_set.sites
         WHERE p.name = policy_set.name;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'replication policy "%" does not exist', policy_set.name
                USING ERRCODE = 'undefined_object';
        END IF;
        SELECT count(*) INTO n FROM eoswath.objects o WHERE o.policy = policy_set.name AND o.state = 'stored';
        RETURN n;
    END
    $$;
COMMENT ON FUNCTION eoswath.policy_set(text, integer, text[]) IS
    'change a policy''s copies and sites (wos_policy_alter); returns how many objects use it';

-- The procedures commit after every object, so that they run online, can be
-- interrupted and resumed, and show their progress in wos_sites as they go.
-- (Procedures that commit cannot be SECURITY DEFINER or have SET clauses:
-- they run as the admin and use the functions above.)
CREATE PROCEDURE @extschema@.wos_site_drain(name text)
    LANGUAGE plpgsql
    AS $$
    DECLARE
        o @extschema@.wosoid;
        n bigint := 0;
        total bigint;
        bytes bigint := 0;
    BEGIN
        PERFORM @extschema@.wos_site_enable(name, false);
        COMMIT;
        SELECT count(*) INTO total FROM @extschema@.wos_objects v
         WHERE wos_site_drain.name = ANY (v.sites) AND v.state = 'stored';
        FOR o IN SELECT v.oid FROM @extschema@.wos_objects v
                  WHERE wos_site_drain.name = ANY (v.sites) AND v.state = 'stored' ORDER BY v.oid
        LOOP
            bytes := bytes + eoswath.object_place(o);
            n := n + 1;
            COMMIT;
            IF n % 100 = 0 THEN
                RAISE NOTICE 'wos_site_drain: % of % objects moved off site "%" (% bytes copied)',
                    n, total, name, bytes;
            END IF;
        END LOOP;
        RAISE NOTICE 'wos_site_drain: % objects moved off site "%" (% bytes copied); it is disabled and can be dropped with wos_site_drop()',
            n, name, bytes;
    END
    $$;
COMMENT ON PROCEDURE @extschema@.wos_site_drain(text) IS
    'disable a site and move every copy on it to the sites its object''s policy places it on now; online and resumable (CALL it again)';

CREATE PROCEDURE @extschema@.wos_rebalance(max_rate double precision DEFAULT NULL)
    LANGUAGE plpgsql
    AS $$
    DECLARE
        o @extschema@.wosoid;
        n bigint := 0;
        moved bigint := 0;
        b bigint;
        bytes bigint := 0;
    BEGIN
        IF max_rate IS NOT NULL AND max_rate <= 0 THEN
            RAISE EXCEPTION 'max_rate must be positive (MB/s), or NULL for no limit'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        FOR o IN SELECT v.oid FROM @extschema@.wos_objects v WHERE v.state = 'stored' ORDER BY v.oid
        LOOP
            b := eoswath.object_place(o);
            n := n + 1;
            IF b > 0 THEN
                moved := moved + 1;
                bytes := bytes + b;
                IF max_rate IS NOT NULL THEN
                    PERFORM pg_sleep(b / (max_rate * 1048576.0));
                END IF;
            END IF;
            COMMIT;
            IF n % 1000 = 0 THEN
                RAISE NOTICE 'wos_rebalance: % objects looked at, % moved (% bytes copied)', n, moved, bytes;
            END IF;
        END LOOP;
        RAISE NOTICE 'wos_rebalance: % objects looked at, % moved (% bytes copied)', n, moved, bytes;
    END
    $$;
COMMENT ON PROCEDURE @extschema@.wos_rebalance(double precision) IS
    'move copies to where rendezvous placement puts them now (after sites were added or enabled), at most max_rate MB/s; online and resumable';

CREATE PROCEDURE @extschema@.wos_policy_alter(name text, copies integer, sites text[] DEFAULT NULL)
    LANGUAGE plpgsql
    AS $$
    DECLARE
        o @extschema@.wosoid;
        n bigint := 0;
        total bigint;
        bytes bigint := 0;
    BEGIN
        total := eoswath.policy_set(name, copies, sites);
        COMMIT;
        FOR o IN SELECT v.oid FROM @extschema@.wos_objects v
                  WHERE v.policy = wos_policy_alter.name AND v.state = 'stored' ORDER BY v.oid
        LOOP
            bytes := bytes + eoswath.object_place(o);
            n := n + 1;
            COMMIT;
        END LOOP;
        RAISE NOTICE 'wos_policy_alter: % objects of policy "%" re-placed (% bytes copied)', n, name, bytes;
    END
    $$;
COMMENT ON PROCEDURE @extschema@.wos_policy_alter(text, integer, text[]) IS
    'change a policy''s copies and sites, then re-replicate its objects (online, resumable with wos_rebalance())';

REVOKE ALL ON FUNCTION
    eoswath.object_place(@extschema@.wosoid),
    @extschema@.wos_site_relocate(text, text),
    @extschema@.wos_site_drop(text),
    @extschema@.wos_policy_drop(text),
    eoswath.policy_set(text, integer, text[])
FROM PUBLIC;
REVOKE ALL ON PROCEDURE
    @extschema@.wos_site_drain(text),
    @extschema@.wos_rebalance(double precision),
    @extschema@.wos_policy_alter(text, integer, text[])
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    eoswath.object_place(@extschema@.wosoid),
    @extschema@.wos_site_relocate(text, text),
    @extschema@.wos_site_drop(text),
    @extschema@.wos_policy_drop(text),
    eoswath.policy_set(text, integer, text[])
TO eoswath_admin;
GRANT EXECUTE ON PROCEDURE
    @extschema@.wos_site_drain(text),
    @extschema@.wos_rebalance(double precision),
    @extschema@.wos_policy_alter(text, integer, text[])
TO eoswath_admin;

-- ---------------------------------------------------------------------------
-- The default site is recorded relative to the data directory, so that it
-- follows the data directory (base backups, pg_upgrade, a moved cluster)
-- ---------------------------------------------------------------------------

COMMENT ON FUNCTION eoswath.default_site_location(oid) IS
    'location of a database''s default site: eoswath/db<database oid>-ext<extension oid>, relative to the data directory (or under eoswath.default_site_path)';
UPDATE eoswath.sites
   SET location = substr(location, length(current_setting('data_directory')) + 2)
 WHERE site_id = 1 AND kind = 'dir'
   AND location LIKE current_setting('data_directory') || '/eoswath/%';

-- ---------------------------------------------------------------------------
-- A restore does not re-queue subsets or re-announce swaths (45_subset.sql,
-- 40_swaths.sql): pg_restore -1 -e of a database with a queue works
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION eoswath.swaths_queue_subsets() RETURNS trigger
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
     WHERE NEW.shape IS NOT NULL AND ST_Intersects(r.shape, NEW.shape)
    ON CONFLICT (swath, region) DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION eoswath.swaths_notify() RETURNS trigger
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
-- issue 13: valid footprints (parts unioned, split at the antimeridian)
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
CREATE FUNCTION eoswath.footprint_from_parts(parts @extschema@.geometry) RETURNS @extschema@.geometry
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
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

CREATE OR REPLACE FUNCTION @extschema@.swath_footprint(oid @extschema@.wosoid) RETURNS geography
    LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
    RETURN @extschema@.geography(eoswath.footprint_from_parts(
               @extschema@.ST_GeomFromEWKB(@extschema@.swath_footprint_wkb(oid))));

-- issue 13: swath_geolocation says which pairs are swaths and why others are not
DROP FUNCTION @extschema@.swath_geolocation(@extschema@.wosoid);
CREATE FUNCTION @extschema@.swath_geolocation(oid @extschema@.wosoid)
    RETURNS TABLE (pair integer, "group" text, lat_var text, lon_var text, dims text[],
                   nrows bigint, ncols bigint, time_var text, used boolean, note text)
    AS 'MODULE_PATHNAME', 'swath_geolocation' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.swath_geolocation(@extschema@.wosoid) IS
    'the latitude/longitude variable pairs found in a granule: one row per swath (used), then the pairs that are no swath (platform position, support data, duplicates) with the reason in note';
REVOKE ALL ON FUNCTION @extschema@.swath_geolocation(@extschema@.wosoid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.swath_geolocation(@extschema@.wosoid) TO eoswath_reader;

-- issue 13: STAC Items (src/sql/50_stac.sql)

-- ---------------------------------------------------------------------------
-- STAC: the swath catalog as SpatioTemporal Asset Catalog Items (STAC 1.0.0,
-- with the sat and processing extensions 1.0.0)
-- ---------------------------------------------------------------------------

-- [west, south, east, north] of a lon/lat (multi)polygon as RFC 7946 and
-- STAC ask: the shortest longitude interval holding every part, so a
-- footprint across the antimeridian gets west > east (gaps under 1e-6
-- degrees, such as the footprints' hairline cuts, do not count).
CREATE FUNCTION eoswath.stac_bbox(g @extschema@.geometry) RETURNS jsonb
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (
        WITH parts AS (
            SELECT @extschema@.ST_XMin(d.geom) AS x0, @extschema@.ST_XMax(d.geom) AS x1
              FROM @extschema@.ST_Dump(g) d),
        -- merge overlapping longitude intervals
        ordered AS (
            SELECT x0, x1, max(x1) OVER (ORDER BY x0, x1 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
              FROM parts),
        runs AS (
            SELECT x0, x1, sum(CASE WHEN prev_end IS NULL OR x0 > prev_end + 1e-6 THEN 1 ELSE 0 END)
                           OVER (ORDER BY x0, x1) AS run
              FROM ordered),
        merged AS (
            SELECT min(x0) AS x0, max(x1) AS x1 FROM runs GROUP BY run),
        -- the widest gap between merged intervals, the one across 180 included
        gaps AS (
            SELECT x1 AS gap_west, coalesce(lead(x0) OVER (ORDER BY x0),
                                          (SELECT min(x0) FROM merged) + 360) AS gap_east
              FROM merged),
        widest AS (
            SELECT gap_west, gap_east FROM gaps ORDER BY gap_east - gap_west DESC LIMIT 1)
        SELECT jsonb_build_array(
                   CASE WHEN w.gap_east - w.gap_west <= 1e-6 THEN -180
                        WHEN w.gap_east > 180 THEN w.gap_east - 360 ELSE w.gap_east END,
                   @extschema@.ST_YMin(g),
                   CASE WHEN w.gap_east - w.gap_west <= 1e-6 THEN 180 ELSE w.gap_west END,
                   @extschema@.ST_YMax(g))
          FROM widest w);
COMMENT ON FUNCTION eoswath.stac_bbox(@extschema@.geometry) IS
    'RFC 7946 bounding box [west, south, east, north] of a lon/lat geometry; west > east across the antimeridian';

-- RFC 3339 in UTC, as STAC asks
CREATE FUNCTION eoswath.stac_datetime(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
COMMENT ON FUNCTION eoswath.stac_datetime(timestamptz) IS
    'a timestamp as RFC 3339 in UTC (2021-02-20T11:01:02.170085Z)';

-- the href of an object's asset, from the setting eoswath.stac_asset_href
CREATE FUNCTION eoswath.stac_href(oid @extschema@.wosoid, filename text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN replace(replace(current_setting('eoswath.stac_asset_href'), '{oid}', oid::text),
                   '{filename}', regexp_replace(filename, '^.*/', ''));
COMMENT ON FUNCTION eoswath.stac_href(@extschema@.wosoid, text) IS
    'href of a STAC asset: the template eoswath.stac_asset_href with {oid} and {filename} replaced';

CREATE FUNCTION eoswath.stac_media_type(fileext text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE lower(fileext)
               WHEN 'nc' THEN 'application/netcdf'
               WHEN 'nc4' THEN 'application/netcdf'
               WHEN 'cdf' THEN 'application/netcdf'
               WHEN 'hdf5' THEN 'application/x-hdf5'
               WHEN 'h5' THEN 'application/x-hdf5'
               WHEN 'he5' THEN 'application/x-hdf5'
               WHEN 'hdf' THEN 'application/x-hdf'
               ELSE 'application/octet-stream' END;
COMMENT ON FUNCTION eoswath.stac_media_type(text) IS
    'media type of a granule asset by file extension (netCDF, HDF5, else octet-stream)';

REVOKE ALL ON FUNCTION
    eoswath.stac_bbox(@extschema@.geometry),
    eoswath.stac_datetime(timestamptz),
    eoswath.stac_href(@extschema@.wosoid, text),
    eoswath.stac_media_type(text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    eoswath.stac_bbox(@extschema@.geometry),
    eoswath.stac_datetime(timestamptz),
    eoswath.stac_href(@extschema@.wosoid, text),
    eoswath.stac_media_type(text)
TO eoswath_reader;

-- ---- restores name the former default site (0.2.0) ----
ALTER TABLE eoswath.archive
    ADD COLUMN system_identifier bigint,
    ADD COLUMN database name,
    ADD COLUMN data_directory text,
    ADD COLUMN default_site text;
COMMENT ON COLUMN eoswath.archive.default_site IS
    'location of the default site of the install that made the row (relative to data_directory unless absolute)';
UPDATE eoswath.archive
   SET system_identifier = (SELECT system_identifier FROM pg_catalog.pg_control_system()),
       database = pg_catalog.current_database(),
       data_directory = pg_catalog.current_setting('data_directory'),
       default_site = (SELECT location FROM eoswath.sites WHERE site_id = 1);

-- ---------------------------------------------------------------------------
-- Block checksums (26_blocks.sql): a SHA-256 per block; objects stored by
-- 0.1.0 keep NULL (the whole-object checksum only) until wos_verify() or the
-- scrub computes them
-- ---------------------------------------------------------------------------

ALTER TABLE eoswath.objects ADD COLUMN block_size integer CHECK (block_size > 0);
ALTER TABLE eoswath.objects ADD COLUMN block_sha256 bytea;
ALTER TABLE eoswath.objects ALTER COLUMN block_sha256 SET STORAGE EXTERNAL;
ALTER TABLE eoswath.objects ADD CONSTRAINT objects_block_sha256_check
    CHECK ((block_size IS NULL) = (block_sha256 IS NULL)
           AND (block_sha256 IS NULL
                OR (state = 'stored'
                    AND length(block_sha256) = 32 * ((size + block_size - 1) / block_size))));
COMMENT ON COLUMN eoswath.objects.block_size IS
    'bytes per block of block_sha256 (eoswath.block_size when the object was put); NULL: whole-object checksum only (objects stored by 0.1.0, until wos_verify() or the scrub fills it)';
COMMENT ON COLUMN eoswath.objects.block_sha256 IS
    'the SHA-256 of each block_size block of the stored bytes (the last one shorter), 32 bytes each, concatenated';

-- ===========================================================================
-- Background workers and health (issue 12): delete queue, scrub state,
-- subset-queue wake trigger, wos_health views
-- ===========================================================================

-- ---------------------------------------------------------------------------
-- Background workers: the delete queue, the scrub's state, the health views
-- ---------------------------------------------------------------------------

-- Copies to remove after the deleting transaction committed.  The row is
-- written by that transaction (an abort drops it, a crash after commit
-- keeps it); the maintenance worker, wos_delete_pending() or wos_sweep()
-- removes the copy and the row.  Not dumped: a restored database owns no
-- site until it adopts it.
CREATE TABLE eoswath.delete_queue (
    id           bigserial PRIMARY KEY,
    oid          @extschema@.wosoid NOT NULL,
    site_id      integer NOT NULL,
    queued       timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 0,
    next_attempt timestamptz NOT NULL DEFAULT now(),
    last_error   text
);
COMMENT ON TABLE eoswath.delete_queue IS
    'copies of deleted (or moved) objects still to remove from their sites, written by the deleting transaction';

-- Where the scrub is, and when the sweep ran: one row.
CREATE TABLE eoswath.scrub_state (
    singleton          boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    pass_started       timestamptz,
    position           @extschema@.wosoid,
    checked_at         timestamptz,
    objects_checked    bigint NOT NULL DEFAULT 0,
    bytes_checked      bigint NOT NULL DEFAULT 0,
    last_pass_started  timestamptz,
    last_pass_finished timestamptz,
    last_sweep         timestamptz,
    sweep_removed      bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE eoswath.scrub_state IS
    'the scrub''s pass (position: the last object checked; pass_started NULL: between passes) and the last sweep';
INSERT INTO eoswath.scrub_state DEFAULT VALUES;

-- What the scrub found, per site, since the extension was created.
CREATE TABLE eoswath.scrub_counters (
    site_id        integer PRIMARY KEY REFERENCES eoswath.sites ON DELETE CASCADE,
    copies_checked bigint NOT NULL DEFAULT 0,
    corrupt_found  bigint NOT NULL DEFAULT 0,
    missing_found  bigint NOT NULL DEFAULT 0,
    repaired       bigint NOT NULL DEFAULT 0,
    repair_failed  bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE eoswath.scrub_counters IS
    'copies the scrub checked, found corrupt or missing, repaired, and could not repair, per site';

-- The copies the last look at an object left bad (not repaired).
CREATE TABLE eoswath.scrub_findings (
    oid      @extschema@.wosoid NOT NULL REFERENCES eoswath.objects (oid) ON DELETE CASCADE,
    site_id  integer NOT NULL,
    status   text NOT NULL,
    action   text NOT NULL,
    found    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (oid, site_id)
);
COMMENT ON TABLE eoswath.scrub_findings IS
    'copies the scrub found bad and could not repair (status and action as wos_verify() reports them)';

CREATE FUNCTION eoswath.worker_status()
    RETURNS TABLE (worker text, pid integer, state text, since timestamptz)
    AS 'MODULE_PATHNAME', 'wos_worker_status' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION eoswath.worker_status() IS
    'eoswath''s background workers for this database (the launcher first); one row "none" when eoswath is not in shared_preload_libraries';

CREATE FUNCTION @extschema@.wos_delete_pending() RETURNS bigint
    AS 'MODULE_PATHNAME', 'wos_delete_pending' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_delete_pending() IS
    'remove now every copy queued by committed deletes (the workers do it when preloaded); returns how many were removed';

-- A new row in the subset queue wakes the subset workers at commit.
CREATE FUNCTION eoswath.wake_subset_workers() RETURNS trigger
    AS 'MODULE_PATHNAME', 'wos_wake_subset_workers' LANGUAGE C;
COMMENT ON FUNCTION eoswath.wake_subset_workers() IS
    'trigger: wake this database''s subset workers when the transaction commits';
CREATE TRIGGER swath_subset_queue_wake AFTER INSERT ON @extschema@.swath_subset_queue
    FOR EACH STATEMENT EXECUTE FUNCTION eoswath.wake_subset_workers();

-- One queued subset, as swath_subset_drain() makes each: the subset worker's
-- step (it picks the item, locked, by its own due time and attempts).
CREATE FUNCTION eoswath.subset_make(item bigint) RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    q record;
    made @extschema@.wosoid;
    err text;
BEGIN
    SELECT i.id, i.swath, i.region, s.oid, r.shape INTO q
      FROM swath_subset_queue i
      JOIN swaths s ON s.id = i.swath
      JOIN swath_regions r ON r.name = i.region
     WHERE i.id = item
       FOR UPDATE OF i;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    BEGIN
        made := swath_subset_store(q.oid, q.shape);
        INSERT INTO swath_subsets (swath, region, subset)
        VALUES (q.swath, q.region, made)
        ON CONFLICT ON CONSTRAINT swath_subsets_pkey
        DO UPDATE SET subset = EXCLUDED.subset, made = EXCLUDED.made;
        DELETE FROM swath_subset_queue WHERE id = q.id;
        RETURN NULL;
    EXCEPTION WHEN query_canceled THEN
        RAISE;
    WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS err = MESSAGE_TEXT;
        UPDATE swath_subset_queue i
           SET attempts = i.attempts + 1, last_error = err, last_attempt = clock_timestamp()
         WHERE i.id = q.id;
        RETURN err;
    END;
END
$$;
COMMENT ON FUNCTION eoswath.subset_make(bigint) IS
    'make one queued subset; returns NULL, or the error (then kept on the item with its attempts)';

-- Objects with fewer intact copies than their policy asks for, as far as
-- the catalog and the scrub's last look tell.
CREATE VIEW @extschema@.wos_health_objects AS
    SELECT o.oid, o.policy, o.size,
           p.copies AS copies_wanted,
           c.listed - coalesce(f.bad, 0) AS copies_intact,
           CASE WHEN c.listed - coalesce(f.bad, 0) <= 0 THEN 'unrecoverable'
                ELSE 'under-replicated' END AS status,
           f.detail, f.found
      FROM eoswath.objects o
      JOIN eoswath.policies p ON p.name = o.policy
      CROSS JOIN LATERAL (SELECT count(*) AS listed FROM unnest(o.sites) u(site_id)
                            JOIN eoswath.sites s USING (site_id)) c
      LEFT JOIN (SELECT x.oid, count(*) AS bad, min(x.found) AS found,
                        string_agg(format('%s: %s, %s', coalesce(s.name, '?'), x.status, x.action),
                                   '; ' ORDER BY x.site_id) AS detail
                   FROM eoswath.scrub_findings x LEFT JOIN eoswath.sites s USING (site_id)
                  GROUP BY x.oid) f ON f.oid = o.oid
     WHERE o.state = 'stored'
       AND c.listed - coalesce(f.bad, 0) < p.copies;
COMMENT ON VIEW @extschema@.wos_health_objects IS
    'objects with fewer intact copies than their policy asks (as of the scrub''s last look): under-replicated, or unrecoverable with none';

-- One row per site, and a last row (site NULL) for the whole archive.
CREATE VIEW @extschema@.wos_health AS
    WITH per_site AS (
        SELECT s.site_id, s.name, s.kind, s.enabled, st.available, st.owner, st.why, st.free_bytes,
               coalesce(u.copies, 0) AS copies, coalesce(u.bytes, 0) AS bytes,
               coalesce(k.copies_checked, 0) AS copies_checked,
               coalesce(k.corrupt_found, 0) AS corrupt_found,
               coalesce(k.missing_found, 0) AS missing_found,
               coalesce(k.repaired, 0) AS repaired,
               coalesce(k.repair_failed, 0) AS repair_failed,
               coalesce(d.pending, 0) AS pending_deletes,
               d.oldest AS oldest_pending_delete
          FROM eoswath.sites s
          CROSS JOIN LATERAL eoswath.site_status(s.site_id) st
          LEFT JOIN (SELECT x.site_id, count(*) AS copies, sum(o.size)::bigint AS bytes
                       FROM eoswath.objects o, unnest(o.sites) x(site_id)
                      WHERE o.state = 'stored' GROUP BY x.site_id) u USING (site_id)
          LEFT JOIN eoswath.scrub_counters k USING (site_id)
          LEFT JOIN (SELECT q.site_id, count(*) AS pending, min(q.queued) AS oldest
                       FROM eoswath.delete_queue q GROUP BY q.site_id) d USING (site_id))
    SELECT name AS site, kind, enabled, available, owner, why AS why_unavailable, free_bytes,
           copies, bytes, copies_checked, corrupt_found, missing_found, repaired, repair_failed,
           pending_deletes, now() - oldest_pending_delete AS oldest_pending_delete,
           NULL::bigint AS under_replicated, NULL::bigint AS unrecoverable,
           NULL::@extschema@.wosoid AS scrub_position, NULL::timestamptz AS scrub_pass_started,
           NULL::timestamptz AS scrub_checked_at, NULL::timestamptz AS last_scrub_pass_finished,
           NULL::timestamptz AS last_sweep,
           NULL::bigint AS subset_queue, NULL::interval AS subset_queue_oldest,
           NULL::bigint AS subset_failed, NULL::text AS workers
      FROM per_site
    UNION ALL
    SELECT NULL, NULL, NULL, bool_and(p.available OR NOT p.enabled), NULL, NULL,
           sum(p.free_bytes)::bigint,
           (SELECT coalesce(sum(cardinality(o.sites)), 0) FROM eoswath.objects o WHERE o.state = 'stored'),
           (SELECT coalesce(sum(o.size), 0)::bigint FROM eoswath.objects o WHERE o.state = 'stored'),
           sum(p.copies_checked)::bigint, sum(p.corrupt_found)::bigint, sum(p.missing_found)::bigint,
           sum(p.repaired)::bigint, sum(p.repair_failed)::bigint,
           (SELECT count(*) FROM eoswath.delete_queue),
           (SELECT now() - min(q.queued) FROM eoswath.delete_queue q),
           (SELECT count(*) FROM @extschema@.wos_health_objects h WHERE h.status = 'under-replicated'),
           (SELECT count(*) FROM @extschema@.wos_health_objects h WHERE h.status = 'unrecoverable'),
           st.position, st.pass_started, st.checked_at, st.last_pass_finished, st.last_sweep,
           (SELECT count(*) FROM @extschema@.swath_subset_queue),
           (SELECT now() - min(q.queued) FROM @extschema@.swath_subset_queue q),
           (SELECT count(*) FROM @extschema@.swath_subset_queue q WHERE q.attempts > 0),
           (SELECT string_agg(w.worker || coalesce(' (pid ' || w.pid || ')', '') || ': ' || w.state,
                              '; ' ORDER BY w.worker = 'launcher' DESC, w.worker)
              FROM eoswath.worker_status() w)
      FROM per_site p, eoswath.scrub_state st
     GROUP BY st.position, st.pass_started, st.checked_at, st.last_pass_finished, st.last_sweep;
COMMENT ON VIEW @extschema@.wos_health IS
    'health of the archive: a row per site (availability, owner, copies, bytes, free space, scrub counters, pending deletes) and a last row, site NULL, for the whole (scrub position, sweep, under-replicated objects, subset queue, workers)';

-- The coarse summary readers may see: no site names, locations or owners.
CREATE FUNCTION eoswath.health_summary(
    OUT status text, OUT objects bigint, OUT under_replicated bigint, OUT unrecoverable bigint,
    OUT pending_deletes bigint, OUT subset_queue bigint,
    OUT last_scrub_pass_finished timestamptz, OUT workers_running boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN h.unrecoverable > 0 THEN 'data lost'
                WHEN h.under_replicated > 0 OR NOT h.available THEN 'degraded'
                ELSE 'ok' END,
           (SELECT count(*) FROM eoswath.objects o WHERE o.state = 'stored'),
           h.under_replicated, h.unrecoverable, h.pending_deletes, h.subset_queue,
           h.last_scrub_pass_finished,
           EXISTS (SELECT 1 FROM eoswath.worker_status() w WHERE w.worker = 'maintenance')
      FROM @extschema@.wos_health h WHERE h.site IS NULL
$$;
COMMENT ON FUNCTION eoswath.health_summary() IS
    'the row of wos_health_summary, computed as the extension''s owner';

CREATE VIEW @extschema@.wos_health_summary AS
    SELECT * FROM eoswath.health_summary();
COMMENT ON VIEW @extschema@.wos_health_summary IS
    'one row: ok, degraded or data lost; counts of objects, under-replicated and unrecoverable ones, pending deletes, queued subsets; whether workers run';

REVOKE ALL ON FUNCTION
    eoswath.worker_status(),
    @extschema@.wos_delete_pending(),
    eoswath.wake_subset_workers(),
    eoswath.subset_make(bigint),
    eoswath.health_summary()
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION eoswath.worker_status(), @extschema@.wos_delete_pending() TO eoswath_admin;
GRANT EXECUTE ON FUNCTION eoswath.health_summary() TO eoswath_reader;
GRANT SELECT ON @extschema@.wos_health, @extschema@.wos_health_objects TO eoswath_admin;
GRANT SELECT ON @extschema@.wos_health_summary TO eoswath_reader;

-- geography regions of any size (issue 13): the exact intersection test
-- takes parts of a hemisphere or more
COMMENT ON FUNCTION eoswath.geog_intersects_wkb(bytea, bytea) IS
    'ST_Intersects() of two geographies given as WKB (polygons or multipolygons of any size), exact and cheap; NULL when a shape is not a polygon, has an edge between antipodal points or a part without a defined interior';
-- new swaths are queued for the regions swath_search()'s exact test finds
-- them in (regions of any size; PostGIS's polygon-polygon ST_Intersects is
-- not reliable for them), and for the regions it cannot take (the drain
-- records why)
CREATE OR REPLACE FUNCTION eoswath.swaths_queue_subsets() RETURNS trigger
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
CREATE OR REPLACE FUNCTION @extschema@.swath_subset_requeue(swath bigint DEFAULT NULL)
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

-- ---------------------------------------------------------------------------
-- 0.2.0: quicklooks (issue 15): swath_quicklook(), its legend and info,
-- stored quicklooks linked to swaths and STAC Items, quicklooks of the
-- regional subsets the queue makes (src/sql/55_quicklook.sql)
-- ---------------------------------------------------------------------------

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

-- one swath row as a STAC Item
CREATE FUNCTION eoswath.stac_item_of(s @extschema@.swaths) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object(
        'type', 'Feature',
        'stac_version', '1.0.0',
        'stac_extensions',
            CASE WHEN s.orbit IS NOT NULL AND s.orbit >= 1
                 THEN jsonb_build_array('https://stac-extensions.github.io/sat/v1.0.0/schema.json',
                                        'https://stac-extensions.github.io/processing/v1.0.0/schema.json')
                 ELSE jsonb_build_array('https://stac-extensions.github.io/processing/v1.0.0/schema.json') END,
        'id', s.filename,
        'geometry', @extschema@.ST_AsGeoJSON(@extschema@.ST_ForcePolygonCCW(s.shape::@extschema@.geometry), 9)::jsonb,
        'bbox', eoswath.stac_bbox(s.shape::@extschema@.geometry),
        'properties', jsonb_strip_nulls(jsonb_build_object(
            'datetime', eoswath.stac_datetime(s.overpass),
            'start_datetime', eoswath.stac_datetime(s.overpass),
            'end_datetime', eoswath.stac_datetime(coalesce(s.overpass_end, s.overpass)),
            'created', eoswath.stac_datetime(s.registered),
            'sat:absolute_orbit', CASE WHEN s.orbit >= 1 THEN s.orbit END,
            'processing:software', jsonb_build_object('eoswath',
                (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'eoswath')),
            'processing:lineage', 'footprint and acquisition times computed by eoswath from the granule''s own geolocation and time variables',
            'eoswath:id', s.id,
            'eoswath:source', s.source,
            'eoswath:version', nullif(s.version, ''))),
        'links', '[]'::jsonb,
        'assets', jsonb_build_object(
            'granule', jsonb_build_object(
                'href', eoswath.stac_href(s.oid, s.filename),
                'type', eoswath.stac_media_type(s.fileext),
                'title', s.filename,
                'roles', jsonb_build_array('data'))) ||
            coalesce((SELECT jsonb_object_agg('subset:' || u.region, jsonb_build_object(
                                  'href', eoswath.stac_href(u.subset, format('%s.%s.nc',
                                            regexp_replace(regexp_replace(s.filename, '^.*/', ''), '\.[^.]*$', ''), u.region)),
                                  'type', 'application/netcdf',
                                  'title', format('subset of %s to the region %s', s.filename, u.region),
                                  'roles', jsonb_build_array('data', 'subset')))
                        FROM @extschema@.swath_subsets u
                       WHERE u.swath = s.id AND u.subset IS NOT NULL), '{}'::jsonb) ||
            -- quicklooks: each as an overview; the newest of the whole swath
            -- is also the Item's thumbnail
            coalesce((SELECT jsonb_object_agg(
                                  CASE WHEN q.region = '' THEN 'quicklook:' || q.variable
                                       ELSE format('quicklook:%s:%s', q.variable, q.region) END,
                                  eoswath.stac_quicklook_asset(s, q, false))
                        FROM @extschema@.swath_quicklooks q
                       WHERE q.swath = s.id), '{}'::jsonb) ||
            coalesce((SELECT jsonb_build_object('thumbnail', eoswath.stac_quicklook_asset(s, q, true))
                        FROM @extschema@.swath_quicklooks q
                       WHERE q.swath = s.id AND q.region = ''
                       ORDER BY q.made DESC, q.variable LIMIT 1), '{}'::jsonb));
COMMENT ON FUNCTION eoswath.stac_item_of(@extschema@.swaths) IS
    'a swath row as a STAC 1.0.0 Item (see swath_stac_item())';

CREATE FUNCTION @extschema@.swath_stac_item(id bigint) RETURNS jsonb
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN (SELECT eoswath.stac_item_of(s) FROM @extschema@.swaths s WHERE s.id = swath_stac_item.id);
COMMENT ON FUNCTION @extschema@.swath_stac_item(bigint) IS
    'a catalogued swath as a STAC 1.0.0 Item: footprint geometry (counter-clockwise, split at the antimeridian), bbox, times, sat:absolute_orbit, processing:, an asset for the granule and one per stored subset; NULL if no such swath';

CREATE FUNCTION @extschema@.swath_stac_search(region geography, "from" timestamptz DEFAULT NULL,
                                               "to" timestamptz DEFAULT NULL, source text DEFAULT NULL,
                                               "limit" integer DEFAULT 100)
    RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT jsonb_build_object(
                       'type', 'FeatureCollection',
                       'features', coalesce(jsonb_agg(eoswath.stac_item_of(s) ORDER BY s.overpass, s.id), '[]'::jsonb),
                       'numberReturned', count(*),
                       'links', '[]'::jsonb)
              FROM (SELECT * FROM @extschema@.swath_search($1, $2, $3, $4) x
                     ORDER BY x.overpass, x.id LIMIT $5) s);
COMMENT ON FUNCTION @extschema@.swath_stac_search(geography, timestamptz, timestamptz, text, integer) IS
    'swath_search() as a GeoJSON FeatureCollection of STAC Items, the first "limit" by overpass';

REVOKE ALL ON FUNCTION
    eoswath.stac_item_of(@extschema@.swaths),
    @extschema@.swath_stac_item(bigint),
    @extschema@.swath_stac_search(geography, timestamptz, timestamptz, text, integer)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    eoswath.stac_item_of(@extschema@.swaths),
    @extschema@.swath_stac_item(bigint),
    @extschema@.swath_stac_search(geography, timestamptz, timestamptz, text, integer)
TO eoswath_reader;

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

-- footprint speed: footprint_from_parts() without JIT compilation of its
-- body (15-20 ms a call; see src/sql/40_swaths.sql)
ALTER FUNCTION eoswath.footprint_from_parts(@extschema@.geometry) SET jit = off;

-- the catalog at 10 M rows: a time-first GiST index for a region and a
-- window, and a spatial index of the shape alone for a region alone (see
-- src/sql/40_swaths.sql)
DROP INDEX @extschema@.swaths_shape_idx;
CREATE INDEX swaths_shape_idx ON @extschema@.swaths USING gist (shape);
CREATE INDEX swaths_time_shape_idx ON @extschema@.swaths USING gist
    (tstzrange(overpass, coalesce(overpass_end, overpass), '[]'), shape);
