-- install and check what the extension creates (quietly: whether postgis
-- comes along and whether eoswath is preloaded depends on the server)
SET client_min_messages = error;
CREATE EXTENSION eoswath CASCADE;
RESET client_min_messages;
SELECT extname, extversion = default_version AS current_version
  FROM pg_extension JOIN pg_available_extensions ON name = extname WHERE extname = 'eoswath';
-- the default site exists and works with no set-up
-- (recorded relative to the data directory)
SELECT name, kind, enabled, location ~ '^eoswath/db[0-9]+-ext[0-9]+$' AS in_datadir
  FROM wos_sites;
SELECT name, copies FROM eoswath.policies ORDER BY copies;
-- every function, type, table and view carries a comment
SELECT p.proname FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'eoswath')
   AND d.deptype = 'e' AND obj_description(p.oid, 'pg_proc') IS NULL
   AND p.proname NOT LIKE 'wosoid\_%' ORDER BY 1;
SELECT c.relname FROM pg_class c JOIN pg_depend d ON d.objid = c.oid
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'eoswath')
   AND d.deptype = 'e' AND c.relkind IN ('r', 'v') AND obj_description(c.oid, 'pg_class') IS NULL;
-- sites for the replication tests, in this database's own directories
-- beside the data directory (a site inside it is refused)
CREATE FUNCTION regress_dir(name text) RETURNS text LANGUAGE sql AS
$$ SELECT current_setting('data_directory') || '/../regress_' ||
          (SELECT oid FROM pg_database WHERE datname = current_database()) || '_' || name $$;
SELECT wos_site_add('b', regress_dir('b')) > 1 AS added;
SELECT wos_site_add('c', regress_dir('c')) > 1 AS added;
