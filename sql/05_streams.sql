-- put streams, wos_stream_get, gzip, server files
-- object ids in this file start at 5000 (ids only move forward), so that
-- messages naming them do not depend on the files before
SELECT setval('eoswath.oid_seq', 5000) AS id_base;
-- a streamed object equals its source, whatever the pieces
BEGIN;
SELECT wos_put_stream(meta => '{"kind": "test"}') AS s \gset
SELECT wos_stream_write(:s, decode(string_agg(lpad(to_hex(g % 251), 2, '0'), ''), 'hex'))
  FROM generate_series(1, 1500000) g;
SELECT wos_stream_write(:s, 'tail');
SELECT wos_stream_close(:s) AS id \gset
COMMIT;
CREATE TEMP TABLE src AS
  SELECT decode(string_agg(lpad(to_hex(g % 251), 2, '0'), ''), 'hex') || 'tail'::bytea AS b
    FROM generate_series(1, 1500000) g;
SELECT size, encoding, sha256 = encode(sha256((SELECT b FROM src)), 'hex') AS sha_ok
  FROM wos_stat(:'id');
SELECT wos_meta(:'id');
-- chunked reads: in order, every chunk full but the last, same bytes
SELECT count(*) AS chunks, min(length(c)) AS last_len, max(length(c)) AS chunk_len,
       sha256(string_agg(c, '' ORDER BY n)) = sha256((SELECT b FROM src)) AS same
  FROM wos_stream_get(:'id', 100000) WITH ORDINALITY AS t(c, n);
SELECT count(*) AS chunks, sum(length(c)) AS bytes FROM (SELECT wos_stream_get(:'id')) t(c);
SELECT encode(c, 'escape') FROM (SELECT wos_stream_get(wos_put('abcdefghij'), 3)) t(c);
-- rows kept by the consumer (an aggregate, a sort) stay intact: the function
-- reuses one buffer per row, so each consumer must have copied its row
SELECT array_agg(c) FROM (SELECT wos_stream_get(wos_put('abcdefghij'), 3)) t(c);
SELECT c FROM (SELECT wos_stream_get(wos_put('abcdefghij'), 3)) t(c) ORDER BY c DESC;
-- a chunk larger than the object, a stream stopped early
SELECT length(c) FROM (SELECT wos_stream_get(:'id', 200000000)) t(c);
SELECT length(c) FROM (SELECT wos_stream_get(:'id', 1000)) t(c) LIMIT 2;
-- ranges agree with the stream
SELECT wos_get(:'id', 1499990, 14) = substring((SELECT b FROM src) FROM 1499991) AS range_ok;
-- through a cursor
BEGIN;
DECLARE c NO SCROLL CURSOR FOR
  SELECT length(c), md5(c) = md5(substring((SELECT b FROM src) FROM 1 FOR 65536)) AS first
    FROM (SELECT wos_stream_get(:'id', 65536)) t(c);
FETCH 2 FROM c;
MOVE 19 IN c;
FETCH 5 FROM c;
CLOSE c;
COMMIT;
-- a rolled-back stream leaves nothing; ids are still never reused
BEGIN;
SELECT wos_put_stream() AS s \gset
SELECT wos_stream_write(:s, 'gone');
SELECT wos_stream_close(:s) AS rolled \gset
ROLLBACK;
SELECT wos_exists(:'rolled');
-- several streams at once, and within one statement
BEGIN;
SELECT wos_put_stream() AS s1, wos_put_stream() AS s2 \gset
SELECT wos_stream_write(:s1, 'one'), wos_stream_write(:s2, 'two'), wos_stream_write(:s1, '+1');
SELECT encode(wos_get(wos_stream_close(:s2)), 'escape') AS two,
       encode(wos_get(wos_stream_close(:s1)), 'escape') AS one;
COMMIT;
SELECT encode(wos_get(wos_stream_close(s)), 'escape')
  FROM (SELECT s, wos_stream_write(s, 'in one statement') FROM wos_put_stream() s) t;
-- gzip: compress => true stores gzip, decompress => true restores
BEGIN;
SELECT wos_put_stream(compress => true) AS s \gset
SELECT wos_stream_write(:s, (SELECT b FROM src));
SELECT wos_stream_close(:s) AS gz \gset
COMMIT;
SELECT encoding, size < 1500004 AS smaller, substring(wos_get(:'gz') FROM 1 FOR 2) AS magic
  FROM wos_stat(:'gz');
SELECT sha256(string_agg(c, '')) = sha256((SELECT b FROM src)) AS inflated_ok, sum(length(c)) AS bytes
  FROM (SELECT wos_stream_get(:'gz', 1000000, true)) t(c);
-- data put already gzipped by a client, and two gzip members in one object (as cat a.gz b.gz)
BEGIN;
SELECT wos_put_stream(compress => true) AS s \gset
SELECT wos_stream_write(:s, 'first member, ');
SELECT wos_stream_close(:s) AS m1 \gset
SELECT wos_put_stream(compress => true) AS s \gset
SELECT wos_stream_write(:s, 'second member');
SELECT wos_stream_close(:s) AS m2 \gset
COMMIT;
SELECT wos_put(wos_get(:'m1')) AS client_gz \gset
SELECT wos_put(wos_get(:'m1') || wos_get(:'m2')) AS multi \gset
SELECT encoding FROM wos_stat(:'client_gz');
SELECT encode(string_agg(c, ''), 'escape') FROM (SELECT wos_stream_get(:'client_gz', NULL, true)) t(c);
SELECT encode(string_agg(c, ''), 'escape') FROM (SELECT wos_stream_get(:'multi', 4, true)) t(c);
-- truncated, corrupt, trailing garbage, not gzip: errors, never short output
SELECT wos_put(substring(wos_get(:'gz') FROM 1 FOR 5000)) AS truncated \gset
SELECT wos_put(substring(wos_get(:'m1') FROM 1 FOR length(wos_get(:'m1')) - 4)) AS notrailer \gset
SELECT wos_put(overlay(wos_get(:'gz') PLACING '\xdeadbeefdeadbeef'::bytea FROM 100)) AS corrupt \gset
SELECT wos_put(wos_get(:'m1') || 'junk'::bytea) AS trailing \gset
SELECT count(*) FROM (SELECT wos_stream_get(:'truncated', NULL, true)) t;
SELECT count(*) FROM (SELECT wos_stream_get(:'notrailer', NULL, true)) t;
SELECT count(*) FROM (SELECT wos_stream_get(:'corrupt', NULL, true)) t;
SELECT count(*) FROM (SELECT wos_stream_get(:'trailing', NULL, true)) t;
SELECT count(*) FROM (SELECT wos_stream_get(:'id', NULL, true)) t;
\set VERBOSITY sqlstate
SELECT count(*) FROM (SELECT wos_stream_get(:'truncated', NULL, true)) t;
SELECT count(*) FROM (SELECT wos_stream_get(:'id', NULL, true)) t;
-- bad arguments
SELECT wos_stream_get(:'id', 0);
SELECT wos_stream_get(:'id', -1);
SELECT wos_stream_get('00000000ZZZZZ');
SELECT wos_stream_get(wos_reserve());
SELECT wos_put_stream(meta => '{"a": 1}');
SELECT wos_put_stream('nosuchpolicy');
\set VERBOSITY default
-- stream misuse: unknown, after close, after the transaction, failed, not closed
SELECT wos_stream_write(424242, 'x');
BEGIN;
SELECT wos_put_stream() AS s \gset
SELECT wos_stream_write(:s, 'x');
SELECT wos_stream_close(:s) IS NOT NULL AS closed;
SELECT wos_stream_write(:s, 'x');
ROLLBACK;
SELECT wos_stream_write(:s, 'x');
SELECT wos_stream_close(:s);
BEGIN;
SELECT wos_put_stream() AS s \gset
SELECT wos_stream_write(:s, NULL);
ROLLBACK;
BEGIN;
SELECT wos_put_stream() AS s \gset
SELECT wos_stream_close(:s);
ROLLBACK;
-- a savepoint rolled back after opening or writing fails the stream
BEGIN;
SELECT wos_put_stream() AS s \gset
SAVEPOINT a;
SELECT wos_stream_write(:s, 'x') AS written;
ROLLBACK TO a;
SELECT wos_stream_write(:s, 'x');
ROLLBACK;
BEGIN;
SAVEPOINT a;
SELECT wos_put_stream() AS s \gset
RELEASE a;
SELECT wos_stream_write(:s, 'kept after release') AS written;
SELECT wos_stream_close(:s) AS released \gset
COMMIT;
SELECT encode(wos_get(:'released'), 'escape');
-- committing with an open stream is an error and rolls everything back
BEGIN;
SELECT wos_put('rolled back with the stream') AS other \gset
SELECT wos_put_stream() AS s \gset
SELECT wos_stream_write(:s, 'never closed');
COMMIT;
SELECT wos_exists(:'other');
SELECT wos_put_stream();
-- server files: round trip, compression, no overwrite unless asked
CREATE FUNCTION regress_path(name text) RETURNS text LANGUAGE sql AS
$$ SELECT current_setting('data_directory') || '/regress_' || name $$;
SELECT regress_path('f1') AS f1, regress_path('f6') AS f6 \gset
SELECT wos_get_file(:'id', regress_path('f1'));
SELECT wos_put_file(regress_path('f1'), meta => '{"from": "file"}') AS fid \gset
SELECT (SELECT sha256 FROM wos_stat(:'fid')) = (SELECT sha256 FROM wos_stat(:'id')) AS same_sha,
       wos_meta(:'fid');
\set VERBOSITY sqlstate
SELECT wos_get_file(:'id', regress_path('f1'));
\set VERBOSITY default
SELECT wos_get_file(:'id', regress_path('f1'), overwrite => true);
SELECT wos_put_file(regress_path('f1'), compress => true) AS fgz \gset
SELECT encoding FROM wos_stat(:'fgz');
SELECT wos_get_file(:'fgz', regress_path('f2'), decompress => true);
SELECT sha256(pg_read_binary_file(regress_path('f2'))) = sha256((SELECT b FROM src)) AS same;
SELECT wos_get_file(:'fgz', regress_path('f3')) = (SELECT size FROM wos_stat(:'fgz')) AS stored_bytes;
SELECT substring(pg_read_binary_file(regress_path('f3')) FROM 1 FOR 2) AS gzip_magic;
SELECT wos_get_file(:'id', regress_path('f4'), decompress => true);
SELECT (pg_stat_file(regress_path('f4'), true)).size AS f4_size;
SELECT count(*) AS leftovers FROM pg_ls_dir(current_setting('data_directory')) f
 WHERE f LIKE 'regress\_f%.eoswath-tmp%';
\set VERBOSITY sqlstate
SELECT wos_put_file('relative/path');
SELECT wos_get_file(:'id', 'relative/path');
SELECT wos_put_file(regress_path('nosuchfile'));
SELECT wos_put_file(current_setting('data_directory'));
SELECT wos_get_file('00000000ZZZZZ', regress_path('f5'));
\set VERBOSITY default
-- privileges: streams for readers and writers, files for the server-file roles only
CREATE ROLE regress_sreader IN ROLE eoswath_reader;
CREATE ROLE regress_swriter IN ROLE eoswath_writer;
CREATE ROLE regress_fwriter IN ROLE eoswath_writer, pg_read_server_files;
CREATE ROLE regress_freader IN ROLE eoswath_reader, pg_write_server_files;
CREATE ROLE regress_snobody;
GRANT USAGE ON SCHEMA public TO regress_snobody;
\set VERBOSITY sqlstate
SET ROLE regress_snobody;
SELECT wos_stream_get(:'id');
SELECT wos_put_stream();
RESET ROLE;
SET ROLE regress_sreader;
SELECT count(*) FROM (SELECT wos_stream_get(:'id')) t;
SELECT wos_put_stream();
SELECT wos_get_file(:'id', :'f6');
RESET ROLE;
SET ROLE regress_swriter;
BEGIN;
SELECT wos_stream_close(s) IS NOT NULL AS ok
  FROM (SELECT s, wos_stream_write(s, 'by a writer') FROM wos_put_stream() s) t;
COMMIT;
SELECT wos_put_file(:'f1');
RESET ROLE;
SET ROLE regress_fwriter;
SELECT wos_exists(wos_put_file(:'f1'));
SELECT wos_get_file(:'id', :'f6');
RESET ROLE;
SET ROLE regress_freader;
SELECT wos_get_file(:'id', :'f6');
SELECT wos_put_file(:'f1');
RESET ROLE;
\set VERBOSITY default
SET ROLE regress_swriter;
SELECT wos_put_file(:'f1');
RESET ROLE;
SET ROLE regress_sreader;
SELECT wos_get_file(:'id', :'f6');
RESET ROLE;
REVOKE USAGE ON SCHEMA public FROM regress_snobody;
DROP ROLE regress_sreader, regress_swriter, regress_fwriter, regress_freader, regress_snobody;
SELECT (pg_stat_file(:'f6', true)).size AS f6_size;
SELECT count(*) AS leftovers FROM pg_ls_dir(current_setting('data_directory')) f
 WHERE f LIKE 'regress\_f%.eoswath-tmp%';
