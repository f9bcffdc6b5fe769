-- any object in the catalog (no granule needed): a row that gives shape and
-- overpass opens no file; missing fields on a non-granule object are 23502
-- naming what to give; an object is catalogued once; SQL friction
-- object ids in this file start at 7000 (ids only move forward)
SELECT setval('eoswath.oid_seq', 7000) AS id_base;
-- a gzip'd ENVISAT MERIS product, as a client put it (not netCDF)
SELECT wos_put('\x1f8b08000000000002030b08f27709750eb155f2750d8a0f0a8a8f370c50e202009208e0b215000000'::bytea,
               '{"filename": "MER_RR__1P.N1.gz"}') AS n1 \gset
INSERT INTO swaths (filename, source, oid, shape, overpass)
VALUES ('MER_RR__1P.N1.gz', 'MERIS', :'n1', 'POLYGON((10 40, 25 40, 25 55, 10 55, 10 40))', '2003-06-02 09:42:31+00')
RETURNING filename, fileext, GeometryType(shape), overpass, overpass_end, size;
-- once per object: a second row is refused
\set VERBOSITY sqlstate
INSERT INTO swaths (filename, source, oid, shape, overpass)
VALUES ('again.N1.gz', 'MERIS', :'n1', 'POLYGON((10 40, 25 40, 25 55, 10 55, 10 40))', '2003-06-02');
\set VERBOSITY default
-- what cannot be computed must be given
SELECT wos_put('%PDF-1.4 not a granule') AS pdf \gset
INSERT INTO swaths (filename, source, oid, overpass) VALUES ('report.pdf', 'docs', :'pdf', now());
INSERT INTO swaths (filename, source, oid, shape)
VALUES ('report.pdf', 'docs', :'pdf', 'POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))');
SELECT swath_register(:'pdf', 'report.pdf', 'docs');
-- deleting a catalogued object: refused, with a hint
SELECT wos_delete(:'n1');
-- a search window that ends before it starts
SELECT count(*) FROM swath_search('POINT(15 45)', '2003-07-01', '2003-06-01');
SELECT count(*) FROM swath_search('POINT(15 45)', '2003-06-01', '2003-07-01');
SELECT count(*) FROM swath_search('POINT(15 45)', '2003-06-02 09:42:31+00', '2003-06-02 09:42:31+00');
-- a region as text is not ambiguous: read as geography (the object is no
-- granule, so the subset itself fails, after the call was resolved)
\set VERBOSITY sqlstate
SELECT swath_subset(:'n1', 'POLYGON((10 40, 25 40, 25 55, 10 55, 10 40))');
SELECT swath_subset_store(:'n1', 'POLYGON((10 40, 25 40, 25 55, 10 55, 10 40))');
\set VERBOSITY default
SELECT p.oid::regprocedure FROM pg_proc p WHERE proname = 'swath_subset' ORDER BY 1::text;
-- writers see the policies and their own objects
CREATE ROLE regress_owner IN ROLE eoswath_writer;
CREATE ROLE regress_other IN ROLE eoswath_writer;
SET ROLE regress_owner;
SELECT name, copies, is_default FROM wos_policies WHERE name IN ('default', 'replicate', 'copy3') ORDER BY copies;
SELECT wos_put('mine', '{"k": "v"}') AS mine \gset
SELECT oid = :'mine' AS is_mine, size, policy, meta FROM wos_my_objects;
SET ROLE regress_other;
SELECT count(*) AS others_see FROM wos_my_objects;
RESET ROLE;
SELECT owner FROM eoswath.objects WHERE oid = :'mine';
DELETE FROM swaths WHERE oid = :'n1';
SELECT wos_delete(:'n1');
SELECT wos_delete(:'mine');
SELECT wos_delete(:'pdf');
DROP ROLE regress_owner;
DROP ROLE regress_other;
