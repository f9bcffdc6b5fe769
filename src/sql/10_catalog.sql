
-- ---------------------------------------------------------------------------
-- Roles and the catalog
-- ---------------------------------------------------------------------------

-- Reading, writing and administering are separate roles (cluster-wide, so
-- created once and kept by DROP EXTENSION).  writer includes reader, admin
-- includes writer.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eoswath_reader') THEN
        CREATE ROLE eoswath_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eoswath_writer') THEN
        CREATE ROLE eoswath_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eoswath_admin') THEN
        CREATE ROLE eoswath_admin NOLOGIN;
    END IF;
    IF NOT pg_has_role('eoswath_writer', 'eoswath_reader', 'MEMBER') THEN
        GRANT eoswath_reader TO eoswath_writer;
    END IF;
    IF NOT pg_has_role('eoswath_admin', 'eoswath_writer', 'MEMBER') THEN
        GRANT eoswath_writer TO eoswath_admin;
    END IF;
END
$roles$;

CREATE SCHEMA eoswath;
COMMENT ON SCHEMA eoswath IS 'eoswath internal catalog: sites, policies, objects';
GRANT USAGE ON SCHEMA eoswath TO eoswath_reader;

CREATE TABLE eoswath.sites (
    site_id     serial PRIMARY KEY,
    name        text NOT NULL UNIQUE
                CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
    kind        text NOT NULL DEFAULT 'dir',
    location    text NOT NULL,
    options     jsonb NOT NULL DEFAULT '{}',
    enabled     boolean NOT NULL DEFAULT true,
    created     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE eoswath.sites IS
    'storage sites (failure domains): a directory on its own disk, or an S3 bucket';

-- Credentials of sites (S3 access keys), apart from eoswath.sites so that
-- nobody but the extension's owner can read them: no grants at all; eoswath
-- reads them as the owner, admins set them with wos_site_credentials().
CREATE TABLE eoswath.site_credentials (
    site_id     integer PRIMARY KEY REFERENCES eoswath.sites ON DELETE CASCADE,
    access_key  text NOT NULL,
    secret_key  text NOT NULL
);
REVOKE ALL ON eoswath.site_credentials FROM PUBLIC;
COMMENT ON TABLE eoswath.site_credentials IS
    'access keys of sites; readable only by the extension owner (never granted)';

CREATE TABLE eoswath.policies (
    name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,63}$'),
    copies      integer NOT NULL CHECK (copies BETWEEN 1 AND 16),
    sites       text[],
    description text
);
COMMENT ON TABLE eoswath.policies IS
    'replication policies: how many copies, on which sites (NULL: any enabled site)';

INSERT INTO eoswath.policies (name, copies, description) VALUES
    ('default',   1, 'one copy'),
    ('replicate', 2, 'two copies on distinct sites'),
    ('copy3',     3, 'three copies on distinct sites');

CREATE SEQUENCE eoswath.oid_seq AS bigint MINVALUE 1 NO CYCLE;
COMMENT ON SEQUENCE eoswath.oid_seq IS 'object ids; never reset';

CREATE TABLE eoswath.objects (
    oid         @extschema@.wosoid PRIMARY KEY,
    state       text NOT NULL CHECK (state IN ('reserved', 'stored')),
    policy      text NOT NULL REFERENCES eoswath.policies (name),
    size        bigint CHECK (size > 0),
    sha256      bytea CHECK (length(sha256) = 32),
    encoding    text NOT NULL DEFAULT 'identity',
    meta        jsonb NOT NULL DEFAULT '{}',
    sites       integer[] NOT NULL DEFAULT '{}',
    created     timestamptz NOT NULL DEFAULT now(),
    stored_at   timestamptz,
    CHECK ((state = 'stored') = (size IS NOT NULL AND sha256 IS NOT NULL))
);
COMMENT ON TABLE eoswath.objects IS
    'object catalog: one row per object id handed out and not deleted; the bytes live on the sites';

-- The archive's identity.  CREATE EXTENSION gives an archive a UUID; every
-- site marker names it with the instance that owns the site (system
-- identifier and database), so that a restored copy of the database, or a
-- new install, never writes into another's sites until it adopts them.  The
-- rows are dumped: after a restore the table holds the restored archive's
-- UUID beside the one CREATE EXTENSION made; the oldest is the archive's.
CREATE TABLE eoswath.archive (
    archive_id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created     timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- the install that made the row, and where its default site was: a
    -- restored or upgraded catalog names that directory when copies are
    -- missing from its own default site
    system_identifier bigint,
    database    name,
    data_directory text,
    default_site text
);
COMMENT ON TABLE eoswath.archive IS
    'identities of this archive: the oldest row is the archive''s UUID; others came with restores';
COMMENT ON COLUMN eoswath.archive.default_site IS
    'location of the default site of the install that made the row (relative to data_directory unless absolute)';
INSERT INTO eoswath.archive DEFAULT VALUES;
SELECT pg_catalog.pg_extension_config_dump('eoswath.archive', '');

-- user data survives pg_dump (the default rows come back from CREATE EXTENSION)
SELECT pg_catalog.pg_extension_config_dump('eoswath.objects', '');
SELECT pg_catalog.pg_extension_config_dump('eoswath.oid_seq', '');
SELECT pg_catalog.pg_extension_config_dump('eoswath.sites', 'WHERE site_id > 1');
SELECT pg_catalog.pg_extension_config_dump('eoswath.sites_site_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('eoswath.site_credentials', '');
SELECT pg_catalog.pg_extension_config_dump('eoswath.policies',
    $$WHERE name NOT IN ('default', 'replicate', 'copy3')$$);
