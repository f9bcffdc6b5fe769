-- privileges: PUBLIC gets nothing, reader reads, writer writes, admin administers
-- object ids in this file start at 4000 (ids only move forward), so that
-- messages naming them do not depend on the files before
SELECT setval('eoswath.oid_seq', 4000) AS id_base;
CREATE ROLE regress_nobody;
CREATE ROLE regress_reader IN ROLE eoswath_reader;
CREATE ROLE regress_writer IN ROLE eoswath_writer;
CREATE ROLE regress_admin IN ROLE eoswath_admin;
SELECT wos_put('owned by the catalog') AS id \gset
GRANT USAGE ON SCHEMA public TO regress_nobody;
\set VERBOSITY sqlstate
SET ROLE regress_nobody;
SELECT wos_get(:'id');
SELECT wos_put('x');
SELECT count(*) FROM eoswath.objects;
RESET ROLE;
SET ROLE regress_reader;
SELECT encode(wos_get(:'id'), 'escape'), wos_exists(:'id');
SELECT wos_put('x');
SELECT wos_delete(:'id');
-- no direct access to the catalog tables
SELECT count(*) FROM eoswath.objects;
UPDATE eoswath.objects SET size = 1;
SELECT count(*) FROM wos_objects;
RESET ROLE;
SET ROLE regress_writer;
SELECT wos_exists(wos_put('written by a writer'));
SELECT wos_putoid(wos_reserve(), 'reserved by a writer');
DELETE FROM eoswath.objects;
SELECT wos_site_add('w', regress_dir('w'));
SELECT wos_policy_add('w', 1);
SELECT count(*) FROM wos_sweep();
RESET ROLE;
SET ROLE regress_admin;
SELECT count(*) > 0 FROM wos_objects;
SELECT wos_policy_add('byadmin', 1);
SELECT count(*) FROM wos_verify() WHERE action <> 'none';
RESET ROLE;
\set VERBOSITY default
REVOKE USAGE ON SCHEMA public FROM regress_nobody;
DROP ROLE regress_nobody, regress_reader, regress_writer, regress_admin;
