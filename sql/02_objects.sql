-- the object API on the default site
-- object ids in this file start at 2000 (ids only move forward), so that
-- messages naming them do not depend on the files before
SELECT setval('eoswath.oid_seq', 2000) AS id_base;
SELECT wos_put('hello, swath', '{"mission": "Jason-1", "cycle": "001"}') AS id \gset
SELECT wos_exists(:'id'), encode(wos_get(:'id'), 'escape') AS data, wos_meta(:'id');
SELECT state, size, policy, sha256 = encode(sha256('hello, swath'), 'hex') AS sha_ok,
       encoding, created <= now() AS created_ok, copies_wanted, copies_present, sites
  FROM wos_stat(:'id');
-- byte ranges, read without reading the rest
SELECT encode(wos_get(:'id', 7, 5), 'escape') AS mid,
       encode(wos_get(:'id', 0, 1), 'escape') AS first,
       encode(wos_get(:'id', 7, 1000), 'escape') AS past_end,
       length(wos_get(:'id', 12, 10)) AS at_end,
       length(wos_get(:'id', 500, 10)) AS beyond,
       length(wos_get(:'id', 3, 0)) AS zero;
-- a bigger object: every byte comes back, in ranges too
SELECT wos_put(decode(string_agg(lpad(to_hex(g % 256), 2, '0'), ''), 'hex')) AS big
  FROM generate_series(1, 3000000) g \gset
SELECT length(wos_get(:'big')) AS len,
       sha256(wos_get(:'big')) = (SELECT decode(sha256, 'hex') FROM wos_stat(:'big')) AS sha_ok,
       wos_get(:'big', 2999990, 100) = substring(wos_get(:'big') FROM 2999991) AS tail_ok,
       wos_get(:'big', 1048570, 20) = substring(wos_get(:'big') FROM 1048571 FOR 20) AS across_block;
-- metadata: flat string key/values
SELECT wos_meta(wos_put('m', '{}'));
SELECT wos_meta(wos_put('m'));
\set VERBOSITY sqlstate
SELECT wos_put('m', '[1, 2]');
SELECT wos_put('m', '{"a": 1}');
SELECT wos_put('m', '{"a": {"b": "c"}}');
SELECT wos_put('m', '{"a": null}');
-- empty objects are refused, as WOS does
SELECT wos_put('');
SELECT wos_put(NULL);
-- unknown policy
SELECT wos_put('x', '{}', 'nosuchpolicy');
-- unknown ids
SELECT wos_get('00000000ZZZZZ');
SELECT wos_get('00000000ZZZZZ', 0, 1);
SELECT wos_meta('00000000ZZZZZ');
SELECT wos_stat('00000000ZZZZZ');
SELECT wos_delete('00000000ZZZZZ');
SELECT wos_exists('00000000ZZZZZ');
-- bad ranges
SELECT wos_get(:'id', -1, 1);
SELECT wos_get(:'id', 0, -1);
SELECT wos_get(:'id', 0, 2000000000);
\set VERBOSITY default
SELECT wos_put('m', '{"a": 1}');
SELECT wos_put('');
SELECT wos_put('x', '{}', 'nosuchpolicy');
SELECT wos_get('00000000ZZZZZ');
-- delete: gone for good, and the id is never handed out again
SELECT wos_delete(:'id');
SELECT wos_exists(:'id');
SELECT wos_put('after delete') > :'id'::wosoid AS newer_id;
\set VERBOSITY sqlstate
SELECT wos_get(:'id');
SELECT wos_delete(:'id');
\set VERBOSITY default
-- reserve, then putoid exactly once
SELECT wos_reserve() AS res \gset
SELECT wos_exists(:'res');
SELECT state, size, sha256 FROM wos_stat(:'res');
\set VERBOSITY sqlstate
SELECT wos_get(:'res');
SELECT wos_meta(:'res');
\set VERBOSITY default
SELECT wos_get(:'res');
SELECT wos_putoid(:'res', 'reserved data', '{"k": "v"}');
SELECT encode(wos_get(:'res'), 'escape'), wos_meta(:'res'), wos_exists(:'res');
\set VERBOSITY sqlstate
SELECT wos_putoid(:'res', 'again');
SELECT wos_putoid('00000000ZZZZZ', 'never reserved');
SELECT wos_putoid(wos_reserve(), '');
\set VERBOSITY default
SELECT wos_putoid(:'res', 'again');
SELECT wos_putoid('00000000ZZZZZ', 'never reserved');
-- the data of a failed putoid did not replace the first
SELECT encode(wos_get(:'res'), 'escape');
-- a reservation can be deleted, and its id is then unknown
SELECT wos_reserve() AS res2 \gset
SELECT wos_delete(:'res2');
\set VERBOSITY sqlstate
SELECT wos_putoid(:'res2', 'x');
\set VERBOSITY default
-- transactions: a rolled-back put is invisible, a rolled-back delete keeps the object
BEGIN;
SELECT wos_put('rolled back') AS rb \gset
SELECT wos_exists(:'rb') AS inside;
ROLLBACK;
SELECT wos_exists(:'rb') AS after_rollback;
SELECT wos_put('kept') AS kept \gset
BEGIN;
SELECT wos_delete(:'kept');
SELECT wos_exists(:'kept') AS inside;
ROLLBACK;
SELECT encode(wos_get(:'kept'), 'escape') AS after_rollback;
-- savepoints: a put in a rolled-back savepoint goes, the rest stays
BEGIN;
SELECT wos_put('outer') AS outer_id \gset
SAVEPOINT s1;
SELECT wos_put('inner') AS inner_id \gset
ROLLBACK TO s1;
COMMIT;
SELECT wos_exists(:'outer_id') AS outer_kept, wos_exists(:'inner_id') AS inner_gone;
-- nothing is left over on the sites: the sweep finds nothing to remove
SELECT count(*) AS swept FROM wos_sweep();
-- PREPARE TRANSACTION refuses object writes (two-phase commit is not supported)
BEGIN;
SELECT wos_put('2pc') IS NOT NULL AS put;
PREPARE TRANSACTION 'eoswath_regress';
SELECT count(*) FROM pg_prepared_xacts;
