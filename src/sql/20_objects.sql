
-- ---------------------------------------------------------------------------
-- The object API
-- ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.wos_put(data bytea, meta jsonb DEFAULT '{}', policy text DEFAULT NULL)
    RETURNS @extschema@.wosoid
    AS 'MODULE_PATHNAME', 'wos_put' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_put(bytea, jsonb, text) IS
    'store data as a new object with string key/value metadata under a replication policy; visible at commit';

CREATE FUNCTION @extschema@.wos_get(oid @extschema@.wosoid) RETURNS bytea
    AS 'MODULE_PATHNAME', 'wos_get' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_get(@extschema@.wosoid) IS
    'the whole object, checksum verified (a bad copy is repaired from a good one)';

CREATE FUNCTION @extschema@.wos_get(oid @extschema@.wosoid, "offset" bigint, length bigint) RETURNS bytea
    AS 'MODULE_PATHNAME', 'wos_get_range' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_get(@extschema@.wosoid, bigint, bigint) IS
    'length bytes of the object from offset (0-based), read without reading the rest';

CREATE FUNCTION @extschema@.wos_meta(oid @extschema@.wosoid) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'wos_meta' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.wos_meta(@extschema@.wosoid) IS
    'the object''s key/value metadata';

CREATE FUNCTION @extschema@.wos_exists(oid @extschema@.wosoid) RETURNS boolean
    AS 'MODULE_PATHNAME', 'wos_exists' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.wos_exists(@extschema@.wosoid) IS
    'true if the id names an object holding data (false for unknown, deleted or only reserved ids)';

CREATE FUNCTION @extschema@.wos_stat(oid @extschema@.wosoid,
    OUT oid @extschema@.wosoid, OUT state text, OUT size bigint, OUT policy text,
    OUT sha256 text, OUT encoding text, OUT created timestamptz,
    OUT copies_wanted integer, OUT copies_present integer, OUT sites text[])
    AS 'MODULE_PATHNAME', 'wos_stat' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_stat(@extschema@.wosoid) IS
    'size, policy, checksum, creation time and the copies present on the sites';

CREATE FUNCTION @extschema@.wos_delete(oid @extschema@.wosoid) RETURNS void
    AS 'MODULE_PATHNAME', 'wos_delete' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_delete(@extschema@.wosoid) IS
    'delete an object (or a reservation); the bytes go from every site when the transaction commits';

CREATE FUNCTION @extschema@.wos_reserve(policy text DEFAULT NULL) RETURNS @extschema@.wosoid
    AS 'MODULE_PATHNAME', 'wos_reserve' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_reserve(text) IS
    'hand out an object id now; store its data once with wos_putoid()';

CREATE FUNCTION @extschema@.wos_putoid(oid @extschema@.wosoid, data bytea, meta jsonb DEFAULT '{}')
    RETURNS void
    AS 'MODULE_PATHNAME', 'wos_putoid' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_putoid(@extschema@.wosoid, bytea, jsonb) IS
    'store data into a reserved id, exactly once';

-- ---------------------------------------------------------------------------
-- Administration: sites, policies, listing, verification, sweep
-- ---------------------------------------------------------------------------

CREATE FUNCTION eoswath.default_site_location(extoid oid) RETURNS text
    AS 'MODULE_PATHNAME', 'wos_default_site_location' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION eoswath.default_site_location(oid) IS
    'location of a database''s default site: eoswath/db<database oid>-ext<extension oid>, relative to the data directory (or under eoswath.default_site_path)';

CREATE FUNCTION @extschema@.wos_site_add(name text, location text, kind text DEFAULT 'dir',
                                          options jsonb DEFAULT '{}')
    RETURNS integer
    AS 'MODULE_PATHNAME', 'wos_site_add' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_site_add(text, text, text, jsonb) IS
    'add a storage site: a new or empty directory (kind dir) or an S3 bucket prefix (kind s3); credentials in options are stored apart, never shown';

CREATE FUNCTION @extschema@.wos_site_credentials(name text, access_key text, secret_key text)
    RETURNS void
    AS 'MODULE_PATHNAME', 'wos_site_credentials' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_site_credentials(text, text, text) IS
    'set (or with NULLs, remove) the access key of a site; call it with bind parameters so that the secret stays out of pg_stat_activity and the logs';

-- the default site, so that the store works with no set-up
SELECT @extschema@.wos_site_add('local',
    eoswath.default_site_location((SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'eoswath')));
UPDATE eoswath.archive
   SET system_identifier = (SELECT system_identifier FROM pg_catalog.pg_control_system()),
       database = pg_catalog.current_database(),
       data_directory = pg_catalog.current_setting('data_directory'),
       default_site = (SELECT location FROM eoswath.sites WHERE site_id = 1);

CREATE FUNCTION @extschema@.wos_site_enable(name text, enabled boolean) RETURNS void
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
COMMENT ON FUNCTION @extschema@.wos_site_enable(text, boolean) IS
    'stop (false) or resume (true) placing new copies on a site; existing copies stay readable';

CREATE FUNCTION @extschema@.wos_policy_add(name text, copies integer, sites text[] DEFAULT NULL,
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
COMMENT ON FUNCTION @extschema@.wos_policy_add(text, integer, text[], text) IS
    'add a replication policy: copies on distinct sites, optionally only on the named sites';

CREATE VIEW @extschema@.wos_objects AS
    SELECT o.oid, o.state, o.size, o.policy, o.encoding, o.created,
           ARRAY(SELECT s.name FROM unnest(o.sites) WITH ORDINALITY AS u(id, n)
                   JOIN eoswath.sites s ON s.site_id = u.id ORDER BY u.n) AS sites,
           o.meta
      FROM eoswath.objects o;
COMMENT ON VIEW @extschema@.wos_objects IS
    'every object id in the catalog (stored or reserved), for administrators';

CREATE FUNCTION eoswath.site_status(site_id integer,
                                    OUT available boolean, OUT owner text, OUT free_bytes bigint,
                                    OUT why text)
    AS 'MODULE_PATHNAME', 'wos_site_status' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION eoswath.site_status(integer) IS
    'whether a site can take new copies now, who owns it (this database, another instance, or unclaimed), its free space where known, and why it is not available';

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

CREATE FUNCTION @extschema@.wos_verify(oid @extschema@.wosoid DEFAULT NULL, repair boolean DEFAULT true)
    RETURNS TABLE (oid @extschema@.wosoid, site text, status text, action text)
    AS 'MODULE_PATHNAME', 'wos_verify' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_verify(@extschema@.wosoid, boolean) IS
    'check copies against their checksums and repair bad ones; one object: a row per copy; all: a row per bad copy';

CREATE FUNCTION @extschema@.wos_sweep(dry_run boolean DEFAULT false)
    RETURNS TABLE (site text, entry text, oid @extschema@.wosoid, action text)
    AS 'MODULE_PATHNAME', 'wos_sweep' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_sweep(boolean) IS
    'remove bytes on the sites that no committed object owns (left by crashes); never touches live transactions';

-- ---------------------------------------------------------------------------
-- Privileges: functions are granted to roles, PUBLIC gets nothing
-- ---------------------------------------------------------------------------

REVOKE ALL ON FUNCTION
    @extschema@.wos_put(bytea, jsonb, text),
    @extschema@.wos_get(@extschema@.wosoid),
    @extschema@.wos_get(@extschema@.wosoid, bigint, bigint),
    @extschema@.wos_meta(@extschema@.wosoid),
    @extschema@.wos_exists(@extschema@.wosoid),
    @extschema@.wos_stat(@extschema@.wosoid),
    @extschema@.wos_delete(@extschema@.wosoid),
    @extschema@.wos_reserve(text),
    @extschema@.wos_putoid(@extschema@.wosoid, bytea, jsonb),
    @extschema@.wos_site_add(text, text, text, jsonb),
    @extschema@.wos_site_credentials(text, text, text),
    @extschema@.wos_site_enable(text, boolean),
    @extschema@.wos_policy_add(text, integer, text[], text),
    @extschema@.wos_verify(@extschema@.wosoid, boolean),
    @extschema@.wos_sweep(boolean),
    @extschema@.wos_site_adopt(text),
    eoswath.default_site_location(oid),
    eoswath.site_status(integer)
FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
    @extschema@.wos_get(@extschema@.wosoid),
    @extschema@.wos_get(@extschema@.wosoid, bigint, bigint),
    @extschema@.wos_meta(@extschema@.wosoid),
    @extschema@.wos_exists(@extschema@.wosoid),
    @extschema@.wos_stat(@extschema@.wosoid)
TO eoswath_reader;

GRANT EXECUTE ON FUNCTION
    @extschema@.wos_put(bytea, jsonb, text),
    @extschema@.wos_delete(@extschema@.wosoid),
    @extschema@.wos_reserve(text),
    @extschema@.wos_putoid(@extschema@.wosoid, bytea, jsonb)
TO eoswath_writer;

GRANT EXECUTE ON FUNCTION
    @extschema@.wos_site_add(text, text, text, jsonb),
    @extschema@.wos_site_credentials(text, text, text),
    @extschema@.wos_site_enable(text, boolean),
    @extschema@.wos_policy_add(text, integer, text[], text),
    @extschema@.wos_verify(@extschema@.wosoid, boolean),
    @extschema@.wos_sweep(boolean),
    @extschema@.wos_site_adopt(text)
TO eoswath_admin;

GRANT EXECUTE ON FUNCTION eoswath.site_status(integer) TO eoswath_admin;
GRANT SELECT ON @extschema@.wos_objects, @extschema@.wos_sites TO eoswath_admin;

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

-- DROP EXTENSION (or DROP SCHEMA ... CASCADE) must not silently drop the
-- catalog of objects whose bytes stay on the sites: the check is a hook of
-- the library (it sees every way the catalog can be dropped); this event
-- trigger makes sure the library is loaded in the session that drops.
CREATE FUNCTION eoswath.drop_guard() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'wos_drop_guard' LANGUAGE C;
COMMENT ON FUNCTION eoswath.drop_guard() IS
    'loads eoswath before a DROP, so that dropping the object catalog while it holds objects is refused (eoswath.allow_drop_with_objects)';
CREATE EVENT TRIGGER eoswath_drop_guard ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED', 'DROP TABLE')
    EXECUTE FUNCTION eoswath.drop_guard();
