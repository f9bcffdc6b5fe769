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
