-- the id type: text form, casts, ordering, errors
SELECT '0000000000001'::wosoid, '000000000000Z'::wosoid, '7ZZZZZZZZZZZZ'::wosoid;
SELECT '000000000000z'::wosoid = '000000000000Z'::wosoid AS case_insensitive,
       '0000-0000-0000-1'::wosoid = '0000000000001'::wosoid AS hyphens_ignored,
       '000000000000I'::wosoid = '0000000000001'::wosoid AS i_is_one,
       '00000000000O1'::wosoid = '0000000000001'::wosoid AS o_is_zero;
SELECT 1234567::bigint::wosoid, '00000000159OF'::wosoid::bigint;
SELECT '0000000000002'::wosoid > '0000000000001'::wosoid AS gt,
       '0000000000002'::wosoid <> '0000000000001'::wosoid AS ne;
-- round trip of extremes through text and binary
SELECT x::wosoid::text::wosoid = x::wosoid AS round_trip
  FROM (VALUES (1::bigint), (9223372036854775807)) v(x);
-- invalid text: SQLSTATE 22P02
\set VERBOSITY sqlstate
SELECT ''::wosoid;
SELECT '000000000001'::wosoid;
SELECT '00000000000001'::wosoid;
SELECT '000000000000U'::wosoid;
SELECT '0000000000000'::wosoid;
SELECT '8000000000000'::wosoid;
SELECT 'hello world!!'::wosoid;
SELECT 0::bigint::wosoid;
\set VERBOSITY default
SELECT 'hello world!!'::wosoid;
-- btree and hash indexes work
CREATE TEMP TABLE ids (id wosoid);
INSERT INTO ids SELECT g::bigint::wosoid FROM generate_series(1, 1000) g;
CREATE INDEX ON ids (id);
CREATE INDEX ON ids USING hash (id);
SET enable_seqscan = off;
SELECT count(*) FROM ids WHERE id = '00000000000ZZ';
SELECT count(*) FROM ids WHERE id < '0000000000010';
RESET enable_seqscan;
SELECT count(DISTINCT id) FROM ids;
