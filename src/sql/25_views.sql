
-- ---------------------------------------------------------------------------
-- Views for writers: the policies they may name, the objects they own
-- ---------------------------------------------------------------------------

CREATE FUNCTION eoswath.outer_user() RETURNS name
    AS 'MODULE_PATHNAME', 'wos_outer_user' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION eoswath.outer_user() IS
    'the role the caller is (after SET ROLE), also inside the catalog''s calls as the extension owner: the owner of new objects';

-- Who put (or reserved) each object.  Objects stored before 0.2.0 have none.
ALTER TABLE eoswath.objects ADD COLUMN owner name DEFAULT eoswath.outer_user();
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
