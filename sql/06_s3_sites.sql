-- S3 site options are checked before anything is sent (the S3 suite,
-- test/suites/s3.sh, runs the rest against a real Ceph RGW)
SET eoswath.s3_allow_http = off;
SELECT wos_site_add('s3a', 'http://127.0.0.1:1', 's3', '{"bucket": "eoswath", "access_key": "a", "secret_key": "b"}');
-- no message shows the user info of a URL (it may hold a password)
SELECT wos_site_add('s3a', 'http://u:p@127.0.0.1:1', 's3', '{"bucket": "eoswath"}');
RESET eoswath.s3_allow_http;
SELECT wos_site_add('s3a', 'ftp://127.0.0.1:1', 's3', '{"bucket": "eoswath"}');
SELECT wos_site_add('s3a', 'ftp://u:p@127.0.0.1:1', 's3', '{"bucket": "eoswath"}');
SELECT wos_site_add('s3a', 'https://u:p@127.0.0.1:1', 's3', '{"bucket": "eoswath"}');
SELECT wos_site_add('s3a', 'https://127.0.0.1:1/path', 's3', '{"bucket": "eoswath"}');
SELECT wos_site_add('s3a', 'https://127.0.0.1:1', 's3', '{}');
SELECT wos_site_add('s3a', 'https://127.0.0.1:1', 's3', '{"bucket": "No_Such"}');
SELECT wos_site_add('s3a', 'https://127.0.0.1:1', 's3', '{"bucket": "eoswath", "bukket": "x"}');
SELECT wos_site_add('s3a', 'https://127.0.0.1:1', 's3', '{"bucket": "eoswath", "prefix": "/abs"}');
SELECT wos_site_add('s3a', 'https://127.0.0.1:1', 's3', '{"bucket": "eoswath", "addressing": "dns"}');
SELECT wos_site_add('s3a', 'https://127.0.0.1:1', 's3', '{"bucket": "eoswath", "endpoints": "http://x"}');
SELECT wos_site_add('s3a', 'https://127.0.0.1:1', 's3', '{"bucket": "eoswath", "credentials": "env"}');
SELECT wos_site_add('s3a', 'https://127.0.0.1:1', 's3', '{"bucket": "eoswath", "profile": "p"}');
-- credentials: both or neither, never echoed
SELECT wos_site_add('s3a', 'https://127.0.0.1:1', 's3', '{"bucket": "eoswath", "secret_key": "s3cr3t"}');
SELECT wos_site_add('s3a', 'https://127.0.0.1:1', 's3', '{"bucket": "eoswath", "access_key": "a", "secret_key": 42}');
SELECT wos_site_add('s3a', 'https://127.0.0.1:1', 's3', '{"bucket": "eoswath"}');
SELECT wos_site_credentials('nosuchsite', 'a', 'b');
SELECT wos_site_credentials('local', 'a', NULL);
SELECT wos_site_credentials('local', '', 'x');
-- the credentials table is nobody's but the owner's
SELECT has_table_privilege('eoswath_admin', 'eoswath.site_credentials', 'SELECT') AS admin_can_read;
-- stored sites whose options no longer parse (edited in the catalog, or a
-- rule that changed): their requests fail with the SQLSTATE of that cause,
-- 58030, whatever its words quote: an https URL, or the word "credentials"
INSERT INTO eoswath.sites (name, kind, location, options) VALUES
  ('s3broken1', 's3', 'https://127.0.0.1:1', '{"bucket": "eoswath", "prefix": "https://example.com/x"}'),
  ('s3broken2', 's3', 'https://127.0.0.1:1', '{"bucket": "eoswath", "credentials": "env"}');
SELECT wos_reserve() AS broken_oid \gset
UPDATE eoswath.objects SET sites = ARRAY(SELECT site_id FROM eoswath.sites WHERE name LIKE 's3broken_' ORDER BY name)
 WHERE oid = :'broken_oid';
\set VERBOSITY sqlstate
SELECT wos_delete(:'broken_oid');
-- the copies on S3 sites are queued (COMMIT never waits on a gateway);
-- removing them now tries each site
SELECT count(*) AS queued FROM eoswath.delete_queue WHERE oid = :'broken_oid';
SELECT wos_delete_pending() AS removed;
\set VERBOSITY default
SELECT count(*) AS still_queued, bool_and(last_error IS NOT NULL) AS with_error
  FROM eoswath.delete_queue WHERE oid = :'broken_oid';
DELETE FROM eoswath.sites WHERE name LIKE 's3broken_';
-- the sites are gone: so are their queued deletes
SELECT wos_delete_pending() AS removed;
SELECT count(*) AS queued FROM eoswath.delete_queue;
SELECT count(*) FROM eoswath.sites WHERE kind = 's3';
