-- eoswath install script (produced from src/sql/*.sql by make)

\echo Use "CREATE EXTENSION eoswath CASCADE" to load this file. \quit

-- ---------------------------------------------------------------------------
-- wosoid: the object id
-- ---------------------------------------------------------------------------

CREATE TYPE @extschema@.wosoid;

CREATE FUNCTION @extschema@.wosoid_in(cstring) RETURNS @extschema@.wosoid
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.wosoid_out(@extschema@.wosoid) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.wosoid_recv(internal) RETURNS @extschema@.wosoid
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.wosoid_send(@extschema@.wosoid) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.wosoid (
    INPUT = @extschema@.wosoid_in,
    OUTPUT = @extschema@.wosoid_out,
    RECEIVE = @extschema@.wosoid_recv,
    SEND = @extschema@.wosoid_send,
    INTERNALLENGTH = 8,
    PASSEDBYVALUE,
    ALIGNMENT = double,
    STORAGE = plain
);
COMMENT ON TYPE @extschema@.wosoid IS
    'eoswath object id: 13 characters of Crockford base 32, never reused';

CREATE FUNCTION @extschema@.wosoid_eq(@extschema@.wosoid, @extschema@.wosoid) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.wosoid_ne(@extschema@.wosoid, @extschema@.wosoid) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.wosoid_lt(@extschema@.wosoid, @extschema@.wosoid) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.wosoid_le(@extschema@.wosoid, @extschema@.wosoid) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.wosoid_gt(@extschema@.wosoid, @extschema@.wosoid) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.wosoid_ge(@extschema@.wosoid, @extschema@.wosoid) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.wosoid_cmp(@extschema@.wosoid, @extschema@.wosoid) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.wosoid_hash(@extschema@.wosoid) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR @extschema@.= (
    LEFTARG = @extschema@.wosoid, RIGHTARG = @extschema@.wosoid,
    PROCEDURE = @extschema@.wosoid_eq, COMMUTATOR = OPERATOR(@extschema@.=),
    NEGATOR = OPERATOR(@extschema@.<>), RESTRICT = eqsel, JOIN = eqjoinsel,
    HASHES, MERGES);
CREATE OPERATOR @extschema@.<> (
    LEFTARG = @extschema@.wosoid, RIGHTARG = @extschema@.wosoid,
    PROCEDURE = @extschema@.wosoid_ne, COMMUTATOR = OPERATOR(@extschema@.<>),
    NEGATOR = OPERATOR(@extschema@.=), RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR @extschema@.< (
    LEFTARG = @extschema@.wosoid, RIGHTARG = @extschema@.wosoid,
    PROCEDURE = @extschema@.wosoid_lt, COMMUTATOR = OPERATOR(@extschema@.>),
    NEGATOR = OPERATOR(@extschema@.>=), RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR @extschema@.<= (
    LEFTARG = @extschema@.wosoid, RIGHTARG = @extschema@.wosoid,
    PROCEDURE = @extschema@.wosoid_le, COMMUTATOR = OPERATOR(@extschema@.>=),
    NEGATOR = OPERATOR(@extschema@.>), RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR @extschema@.> (
    LEFTARG = @extschema@.wosoid, RIGHTARG = @extschema@.wosoid,
    PROCEDURE = @extschema@.wosoid_gt, COMMUTATOR = OPERATOR(@extschema@.<),
    NEGATOR = OPERATOR(@extschema@.<=), RESTRICT = scalargtsel, JOIN = scalargtjoinsel);
CREATE OPERATOR @extschema@.>= (
    LEFTARG = @extschema@.wosoid, RIGHTARG = @extschema@.wosoid,
    PROCEDURE = @extschema@.wosoid_ge, COMMUTATOR = OPERATOR(@extschema@.<=),
    NEGATOR = OPERATOR(@extschema@.<), RESTRICT = scalargesel, JOIN = scalargejoinsel);

CREATE OPERATOR CLASS @extschema@.wosoid_ops
    DEFAULT FOR TYPE @extschema@.wosoid USING btree AS
        OPERATOR 1 @extschema@.<,
        OPERATOR 2 @extschema@.<=,
        OPERATOR 3 @extschema@.=,
        OPERATOR 4 @extschema@.>=,
        OPERATOR 5 @extschema@.>,
        FUNCTION 1 @extschema@.wosoid_cmp(@extschema@.wosoid, @extschema@.wosoid);

CREATE OPERATOR CLASS @extschema@.wosoid_hash_ops
    DEFAULT FOR TYPE @extschema@.wosoid USING hash AS
        OPERATOR 1 @extschema@.=,
        FUNCTION 1 @extschema@.wosoid_hash(@extschema@.wosoid);

-- text casts come from the I/O functions; these two are for the catalog
CREATE FUNCTION @extschema@.wosoid(bigint) RETURNS @extschema@.wosoid
    AS 'MODULE_PATHNAME', 'wosoid_from_int8' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.int8(@extschema@.wosoid) RETURNS bigint
    AS 'MODULE_PATHNAME', 'wosoid_to_int8' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (bigint AS @extschema@.wosoid) WITH FUNCTION @extschema@.wosoid(bigint);
CREATE CAST (@extschema@.wosoid AS bigint) WITH FUNCTION @extschema@.int8(@extschema@.wosoid);
COMMENT ON FUNCTION @extschema@.wosoid(bigint) IS 'object id from its number';
COMMENT ON FUNCTION @extschema@.int8(@extschema@.wosoid) IS 'object id as its number';

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

-- user data survives pg_dump (the default rows come back from CREATE EXTENSION)
SELECT pg_catalog.pg_extension_config_dump('eoswath.objects', '');
SELECT pg_catalog.pg_extension_config_dump('eoswath.oid_seq', '');
SELECT pg_catalog.pg_extension_config_dump('eoswath.sites', 'WHERE site_id > 1');
SELECT pg_catalog.pg_extension_config_dump('eoswath.sites_site_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('eoswath.site_credentials', '');
SELECT pg_catalog.pg_extension_config_dump('eoswath.policies',
    $$WHERE name NOT IN ('default', 'replicate', 'copy3')$$);

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
    'directory of the default site: <data_directory>/eoswath/db<database oid>-ext<extension oid>';

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

CREATE FUNCTION @extschema@.wos_site_enable(name text, enabled boolean) RETURNS void
    LANGUAGE sql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        UPDATE eoswath.sites SET enabled = wos_site_enable.enabled
         WHERE sites.name = wos_site_enable.name;
    END;
COMMENT ON FUNCTION @extschema@.wos_site_enable(text, boolean) IS
    'stop (false) or resume (true) placing new copies on a site; existing copies stay readable';

CREATE FUNCTION @extschema@.wos_policy_add(name text, copies integer, sites text[] DEFAULT NULL,
                                            description text DEFAULT NULL)
    RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        INSERT INTO eoswath.policies (name, copies, sites, description)
        VALUES (wos_policy_add.name, wos_policy_add.copies, wos_policy_add.sites,
                wos_policy_add.description);
    END;
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

CREATE VIEW @extschema@.wos_sites AS
    SELECT s.site_id, s.name, s.kind, s.location, s.enabled, s.created,
           (SELECT count(*) FROM eoswath.objects o WHERE s.site_id = ANY (o.sites)) AS copies,
           (SELECT coalesce(sum(o.size), 0) FROM eoswath.objects o WHERE s.site_id = ANY (o.sites))::bigint AS bytes,
           s.options,
           EXISTS (SELECT 1 FROM eoswath.site_credentials c WHERE c.site_id = s.site_id) AS has_credentials
      FROM eoswath.sites s;
COMMENT ON VIEW @extschema@.wos_sites IS
    'the storage sites with the number of copies and bytes each holds, their options (never credentials) and whether they have credentials, for administrators';

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
    eoswath.default_site_location(oid)
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
    @extschema@.wos_sweep(boolean)
TO eoswath_admin;

GRANT SELECT ON @extschema@.wos_objects, @extschema@.wos_sites TO eoswath_admin;

-- ---------------------------------------------------------------------------
-- Streams, gzip and server files: objects larger than memory
-- ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.wos_put_stream(policy text DEFAULT NULL, meta jsonb DEFAULT '{}',
                                            compress boolean DEFAULT false)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'wos_put_stream' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_put_stream(text, jsonb, boolean) IS
    'open a put stream for a new object (compress: store it gzipped); it lasts until wos_stream_close() or the end of the transaction';

CREATE FUNCTION @extschema@.wos_stream_write(stream integer, data bytea) RETURNS bigint
    AS 'MODULE_PATHNAME', 'wos_stream_write' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_stream_write(integer, bytea) IS
    'append data to a put stream; returns the bytes written to it so far (before compression)';

CREATE FUNCTION @extschema@.wos_stream_close(stream integer) RETURNS @extschema@.wosoid
    AS 'MODULE_PATHNAME', 'wos_stream_close' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_stream_close(integer) IS
    'finish a put stream''s object and return its id; visible at commit, gone on rollback';

CREATE FUNCTION @extschema@.wos_stream_get(oid @extschema@.wosoid, chunk_size integer DEFAULT NULL,
                                            decompress boolean DEFAULT false)
    RETURNS SETOF bytea
    AS 'MODULE_PATHNAME', 'wos_stream_get' LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.wos_stream_get(@extschema@.wosoid, integer, boolean) IS
    'the object''s bytes in order, chunk by chunk (default eoswath.io_block_size), checksum verified at the end; decompress: inflate gzip';

CREATE FUNCTION @extschema@.wos_put_file(path text, policy text DEFAULT NULL, meta jsonb DEFAULT '{}',
                                          compress boolean DEFAULT false)
    RETURNS @extschema@.wosoid
    AS 'MODULE_PATHNAME', 'wos_put_file' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_put_file(text, text, jsonb, boolean) IS
    'store a file on the database server as a new object (needs pg_read_server_files)';

CREATE FUNCTION @extschema@.wos_get_file(oid @extschema@.wosoid, path text, decompress boolean DEFAULT false,
                                          overwrite boolean DEFAULT false)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'wos_get_file' LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.wos_get_file(@extschema@.wosoid, text, boolean, boolean) IS
    'write an object to a new file on the database server, atomically; returns the bytes written (needs pg_write_server_files)';

REVOKE ALL ON FUNCTION
    @extschema@.wos_put_stream(text, jsonb, boolean),
    @extschema@.wos_stream_write(integer, bytea),
    @extschema@.wos_stream_close(integer),
    @extschema@.wos_stream_get(@extschema@.wosoid, integer, boolean),
    @extschema@.wos_put_file(text, text, jsonb, boolean),
    @extschema@.wos_get_file(@extschema@.wosoid, text, boolean, boolean)
FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
    @extschema@.wos_stream_get(@extschema@.wosoid, integer, boolean),
    @extschema@.wos_get_file(@extschema@.wosoid, text, boolean, boolean)
TO eoswath_reader;

GRANT EXECUTE ON FUNCTION
    @extschema@.wos_put_stream(text, jsonb, boolean),
    @extschema@.wos_stream_write(integer, bytea),
    @extschema@.wos_stream_close(integer),
    @extschema@.wos_put_file(text, text, jsonb, boolean)
TO eoswath_writer;

-- ---------------------------------------------------------------------------
-- The swath catalog
-- ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.swath_footprint_wkb(oid @extschema@.wosoid) RETURNS bytea
    AS 'MODULE_PATHNAME', 'swath_footprint_wkb' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.swath_footprint_wkb(@extschema@.wosoid) IS
    'footprint of a granule object as WKB (lon/lat, SRID 4326); see swath_footprint()';

CREATE FUNCTION @extschema@.swath_footprint(oid @extschema@.wosoid) RETURNS geography
    LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
    RETURN @extschema@.ST_GeogFromWKB(@extschema@.swath_footprint_wkb(oid));
COMMENT ON FUNCTION @extschema@.swath_footprint(@extschema@.wosoid) IS
    'footprint (multi)polygon of a swath granule computed from its own latitude/longitude arrays';

CREATE FUNCTION @extschema@.swath_time_range(oid @extschema@.wosoid,
    OUT start_time timestamptz, OUT end_time timestamptz)
    AS 'MODULE_PATHNAME', 'swath_time_range' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.swath_time_range(@extschema@.wosoid) IS
    'first and last acquisition time of a granule, from its time variable (NULLs if it has none)';

CREATE FUNCTION @extschema@.swath_geolocation(oid @extschema@.wosoid)
    RETURNS TABLE (pair integer, "group" text, lat_var text, lon_var text, dims text[],
                   nrows bigint, ncols bigint, time_var text)
    AS 'MODULE_PATHNAME', 'swath_geolocation' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.swath_geolocation(@extschema@.wosoid) IS
    'the latitude/longitude variable pairs found in a granule, one row per swath';

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
    oid         @extschema@.wosoid NOT NULL
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
COMMENT ON COLUMN @extschema@.swaths.oid IS 'the object holding the granule (deleting it is refused while this row exists)';

-- space and time in one GiST index: a search for a region and a month
-- prunes on both (a separate time index would leave the spatial matches of
-- every year to filter)
CREATE INDEX swaths_shape_idx ON @extschema@.swaths USING gist
    (shape, tstzrange(overpass, coalesce(overpass_end, overpass), '[]'));
CREATE INDEX swaths_overpass_idx ON @extschema@.swaths (overpass);
CREATE INDEX swaths_filename_idx ON @extschema@.swaths (filename);
CREATE INDEX swaths_oid_idx ON @extschema@.swaths (oid);
CREATE INDEX swaths_orbit_idx ON @extschema@.swaths (orbit);
CREATE INDEX swaths_source_overpass_idx ON @extschema@.swaths (source, overpass);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.swaths', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.swaths_id_seq', '');

-- Fill shape, times and size from the granule when a row comes without them.
CREATE FUNCTION eoswath.swaths_fill() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    t record;
BEGIN
    IF NEW.shape IS NULL THEN
        NEW.shape := swath_footprint(NEW.oid);
    END IF;
    IF NEW.overpass IS NULL OR NEW.overpass_end IS NULL THEN
        SELECT * INTO t FROM swath_time_range(NEW.oid);
        NEW.overpass := coalesce(NEW.overpass, t.start_time);
        NEW.overpass_end := coalesce(NEW.overpass_end, t.end_time);
        IF NEW.overpass IS NULL THEN
            RAISE EXCEPTION 'granule % has no time variable, and no overpass was given', NEW.oid
                USING ERRCODE = 'not_null_violation',
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
    PERFORM pg_notify('eoswath_swaths', json_build_object(
        'op', lower(TG_OP), 'id', NEW.id, 'oid', NEW.oid::text,
        'filename', NEW.filename, 'source', NEW.source, 'version', NEW.version,
        'orbit', NEW.orbit, 'overpass', NEW.overpass)::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER swaths_notify AFTER INSERT ON @extschema@.swaths
    FOR EACH ROW EXECUTE FUNCTION eoswath.swaths_notify();

CREATE FUNCTION @extschema@.swath_register(oid @extschema@.wosoid, filename text, source text,
                                            version text DEFAULT NULL, orbit integer DEFAULT NULL)
    RETURNS @extschema@.swaths
    LANGUAGE sql VOLATILE
    BEGIN ATOMIC
        INSERT INTO @extschema@.swaths (filename, filepath, fileext, source, version, orbit, oid, overpass)
        VALUES (swath_register.filename,
                coalesce(substring(swath_register.filename FROM '^(.*)/'), ''),
                coalesce(substring(swath_register.filename FROM '\.([^./]+)$'), ''),
                swath_register.source, coalesce(swath_register.version, ''),
                swath_register.orbit, swath_register.oid, NULL)
        RETURNING *;
    END;
COMMENT ON FUNCTION @extschema@.swath_register(@extschema@.wosoid, text, text, text, integer) IS
    'catalogue a granule object: footprint and overpass computed from the granule, row inserted and returned';

CREATE FUNCTION eoswath.geog_intersects_wkb(a bytea, b bytea) RETURNS boolean
    AS 'MODULE_PATHNAME', 'geog_intersects_wkb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION eoswath.geog_intersects_wkb(bytea, bytea) IS
    'ST_Intersects() of two geographies given as WKB (polygons or multipolygons), exact and cheap; NULL when a shape is not a polygon or has a part of a hemisphere or more';

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
               && tstzrange($2, $3, '[)')
           AND ($4 IS NULL OR s.source = $4)
    $$;
COMMENT ON FUNCTION @extschema@.swath_search(geography, timestamptz, timestamptz, text) IS
    'swaths whose footprint intersects region and whose acquisition overlaps [from, to), optionally of one source';

REVOKE ALL ON FUNCTION
    eoswath.geog_intersects_wkb(bytea, bytea),
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
    INSERT INTO swath_subset_queue (swath, region)
    SELECT NEW.id, r.name FROM swath_regions r
     WHERE NEW.shape IS NOT NULL AND ST_Intersects(r.shape, NEW.shape)
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
            SELECT s.id, r.name FROM swaths s JOIN swath_regions r ON ST_Intersects(r.shape, s.shape)
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
    @extschema@.swath_subset_store(@extschema@.wosoid, geography, text, text[]),
    @extschema@.swath_subset_store(@extschema@.wosoid, geometry, text, text[]),
    @extschema@.swath_subset_drain(integer),
    @extschema@.swath_subset_requeue(bigint)
FROM PUBLIC;
REVOKE ALL ON PROCEDURE @extschema@.swath_subset_drain_all(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    eoswath.region_contains_wkb(bytea, integer, boolean, float8, float8),
    eoswath.swath_subset_wkb(@extschema@.wosoid, bytea, integer, boolean, text[]),
    @extschema@.swath_subset(@extschema@.wosoid, geography, text[]),
    @extschema@.swath_subset(@extschema@.wosoid, geometry, text[])
TO eoswath_reader;
GRANT EXECUTE ON FUNCTION
    eoswath.swath_subset_store_wkb(@extschema@.wosoid, bytea, integer, boolean, text, text[], jsonb),
    @extschema@.swath_subset_store(@extschema@.wosoid, geography, text, text[]),
    @extschema@.swath_subset_store(@extschema@.wosoid, geometry, text, text[]),
    @extschema@.swath_subset_drain(integer),
    @extschema@.swath_subset_requeue(bigint)
TO eoswath_writer;
GRANT EXECUTE ON PROCEDURE @extschema@.swath_subset_drain_all(integer) TO eoswath_writer;
GRANT SELECT ON @extschema@.swath_regions, @extschema@.swath_subsets, @extschema@.swath_subset_queue
    TO eoswath_reader;
GRANT INSERT, UPDATE, DELETE ON @extschema@.swath_regions TO eoswath_writer;
GRANT DELETE ON @extschema@.swath_subsets, @extschema@.swath_subset_queue TO eoswath_writer;
