-- granule objects read through a spool file (gzip, or no local copy): a
-- failure while the file is open leaves the session and the transaction
-- sound (the spool file has one owner: the resource owner)
-- object ids in this file start at 13000 (ids only move forward), so that
-- messages naming them do not depend on the files before
SELECT setval('eoswath.oid_seq', 13000) AS id_base;
SET client_min_messages = warning;
-- not netCDF, stored compressed and put already gzipped by a client
BEGIN;
SELECT wos_put_stream(NULL, '{}', true) AS s \gset
SELECT wos_stream_write(:s, convert_to(repeat('this is not a granule ', 100), 'UTF8')) AS written;
SELECT wos_stream_close(:s) AS gz \gset
COMMIT;
SELECT wos_put((SELECT string_agg(c, ''::bytea) FROM (SELECT wos_stream_get(:'gz')) t(c))) AS clientgz \gset
SELECT (SELECT encoding FROM wos_stat(:'gz')) AS stored_as, (SELECT encoding FROM wos_stat(:'clientgz')) AS client_put_as;
-- the fill trigger opens the object for the footprint (no shape given),
-- fails, and the transaction rolls back cleanly
BEGIN;
INSERT INTO swaths (filename, source, oid, overpass)
  VALUES ('gz.nc', 'spool', :'gz', '2020-01-01');
ROLLBACK;
SELECT count(*) AS rows_after_rollback FROM swaths WHERE source = 'spool';
-- the same in a savepoint: the transaction goes on and commits
BEGIN;
SAVEPOINT a;
INSERT INTO swaths (filename, source, oid, overpass)
  VALUES ('clientgz.nc', 'spool', :'clientgz', '2020-01-01');
ROLLBACK TO SAVEPOINT a;
SELECT count(*) AS rows_in_transaction FROM swaths WHERE source = 'spool';
COMMIT;
-- outside a transaction block, twice, then a statement that works
INSERT INTO swaths (filename, source, oid, overpass)
  VALUES ('gz.nc', 'spool', :'gz', '2020-01-01');
SELECT swath_time_range(:'clientgz');
SELECT count(*) AS rows_at_end FROM swaths WHERE source = 'spool';
-- the real granules (EOSWATH_GRANULES; make installcheck defaults it to
-- ../shared/data/swaths beside the repository): without them, the rest of
-- this file is skipped (expected/13_granule_spool_1.out)
\getenv granules EOSWATH_GRANULES
\if :{?granules}
SELECT (pg_stat_file(:'granules' || '/SS_VIIRS_NPP-NAVO-L2P-v3.0.nc', true)).size IS NOT NULL AS have_granules \gset
\else
\set have_granules false
\endif
\if :have_granules
\else
\echo 'skipped: the real granules are not in EOSWATH_GRANULES'
\quit
\endif
-- a real granule, stored compressed: read through the spool file, closed
-- when done (no "temporary file leak" warning at commit), and an error
-- while it is open (a variable it lacks) leaves the transaction usable
BEGIN;
SELECT wos_put_stream(NULL, '{}', true) AS s \gset
SELECT wos_stream_write(:s, pg_read_binary_file(:'granules' || '/GPM_2ADPR_V07A_20210220_039665_l2ss_subset.HDF5')) > 0 AS written;
SELECT wos_stream_close(:s) AS gpmgz \gset
COMMIT;
BEGIN;
SELECT start_time < end_time AS times FROM swath_time_range(:'gpmgz');
SAVEPOINT b;
SELECT swath_subset(:'gpmgz', ST_Buffer('POINT(-60 -60)'::geography, 600000), ARRAY['no_such_variable']);
ROLLBACK TO SAVEPOINT b;
SELECT length(swath_subset(:'gpmgz', ST_Buffer('POINT(-60 -60)'::geography, 600000))) > 0 AS subset;
COMMIT;
RESET client_min_messages;
