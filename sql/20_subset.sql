-- swath_subset: the SQL surface, regions, errors, the queue of regional subsets
-- object ids in this file start at 20000 (ids only move forward), so that
-- messages naming them do not depend on the files before
SELECT setval('eoswath.oid_seq', 20000) AS id_base;
-- (value-level checks of the files themselves: test/suites/subset.sh)
-- the real granules (EOSWATH_GRANULES; make installcheck defaults it to
-- ../shared/data/swaths beside the repository): without them, the rest of
-- this file is skipped (expected/20_subset_1.out)
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
SET client_min_messages = warning;
CREATE TEMP TABLE sg (f text, short text, oid wosoid);
INSERT INTO sg
SELECT f, s, wos_put(pg_read_binary_file(:'granules' || '/' || f), json_build_object('file', s)::jsonb)
  FROM (VALUES
    ('ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc', 'ascat'),
    ('JA1_GPN_2PeP001_002_20020115_060706_20020115_070316.nc', 'jason1'),
    ('S5P_OFFL_L2__CH4____20190319T110835_20190319T125006_07407_01_010202_20190325T125810_fullorbit_varsubset.nc4', 's5p'),
    ('S6A_P4_2__HR_RED__NR_014_192_20210403T005056_20210403T010056_F00.nc', 's6a'),
    ('SS_VIIRS_NPP-NAVO-L2P-v3.0.nc', 'viirs'),
    ('GPM_2ADPR_V07A_20210220_039665_l2ss_subset.HDF5', 'gpm')) v(f, s);

-- the pixel test agrees with PostGIS's ST_Covers on sampled pixels of every
-- granule: geometry (straight lon/lat edges, 0..360 and across 180) and
-- geography (great circles, antimeridian, pole)
CREATE TEMP TABLE regions (name text, geom geometry, geog geography);
INSERT INTO regions VALUES
  ('box_l2ss', ST_MakeEnvelope(-180, -90, 0, 0, 4326), NULL),
  ('box_0360', ST_MakeEnvelope(160, -40, 220, 65, 4326), NULL),
  ('poly_hole', 'SRID=4326;POLYGON((-60 -70, 0 -70, 0 70, -60 70, -60 -70), (-40 -40, -20 -40, -20 40, -40 40, -40 -40))', NULL),
  ('africa', NULL, 'POLYGON((-20 -35, 20 -35, 20 -20, 10 -5, 15 10, -5 30, -25 30, -20 -35))'),
  ('pacific_am', NULL, 'POLYGON((170 -40, -165 -40, -165 40, 170 40, 170 -40))'),
  ('arctic', NULL, ST_Buffer('POINT(0 90)'::geography, 2000000)),
  ('drake', NULL, ST_Buffer('POINT(-60 -60)'::geography, 600000));
CREATE TEMP TABLE steps (short text, step int);
INSERT INTO steps VALUES ('ascat', 7), ('gpm', 5), ('jason1', 5), ('s5p', 71), ('s6a', 1), ('viirs', 101);
CREATE TEMP TABLE px AS
  SELECT sg.short, p.lat, p.lon FROM sg JOIN steps USING (short), swath_pixels(sg.oid, steps.step) p;
SELECT r.name, count(*) AS pixels,
       sum((CASE WHEN r.geom IS NOT NULL THEN ST_Covers(r.geom, ST_SetSRID(ST_MakePoint(px.lon, px.lat), 4326))
                                           OR ST_Covers(r.geom, ST_SetSRID(ST_MakePoint(px.lon + 360, px.lat), 4326))
                 ELSE ST_Covers(r.geog, ST_MakePoint(px.lon, px.lat)::geography) END)::int) AS postgis_inside,
       sum((CASE WHEN r.geom IS NOT NULL
                 THEN eoswath.region_contains_wkb(ST_AsBinary(r.geom), 4326, false, px.lon, px.lat)
                 ELSE eoswath.region_contains_wkb(ST_AsBinary(r.geog::geometry), 4326, true, px.lon, px.lat) END)::int) AS eoswath_inside
  FROM regions r, px
 WHERE r.geom IS NOT NULL OR ST_DWithin(r.geog, ST_MakePoint(px.lon, px.lat)::geography, 300000)
 GROUP BY r.name ORDER BY 1;
-- geography regions of any size (a hemisphere or more, bands, a 100-degree
-- sliver with one densely sampled edge): the interior is the side PostGIS
-- takes, and the pixel test agrees with ST_Covers on every 16th sampled pixel
CREATE FUNCTION pg_temp.ring(pts geometry[]) RETURNS geography LANGUAGE sql
    RETURN ST_MakePolygon(ST_MakeLine(pts))::geography;
CREATE TEMP TABLE big (name text, g geography);
INSERT INTO big VALUES
  ('quarter_sphere', 'POLYGON((-180 -90, -90 -90, 0 -90, 0 0, -90 0, -180 0, -180 -90))'),
  ('north_hemisphere', 'POLYGON((-180 0, -90 0, 0 0, 90 0, 180 0, 180 90, -180 90, -180 0))'),
  ('equator_ccw', 'POLYGON((0 0, 90 0, 180 0, -90 0, 0 0))'),
  ('band_30', pg_temp.ring(array(SELECT ST_Point(x, -30) FROM generate_series(-180, 180, 4) x)
                           || array(SELECT ST_Point(x, 30) FROM generate_series(180, -180, -4) x) || ST_Point(-180, -30))),
  ('north_of_10s', pg_temp.ring(array(SELECT ST_Point(x, -10) FROM generate_series(-180, 180, 4) x)
                                || ARRAY[ST_Point(180, 90), ST_Point(-180, 90), ST_Point(-180, -10)])),
  ('sliver_100', pg_temp.ring(array(SELECT ST_Point(x, 0) FROM generate_series(-60, 40, 0.5) x)
                              || ARRAY[ST_Point(40, 3), ST_Point(-60, 3), ST_Point(-60, 0)])),
  ('wide_lens', 'POLYGON((-100 0, 0 -5, 100 0, 0 5, -100 0))'),
  ('quarter_and_box', 'MULTIPOLYGON(((-180 -90, -90 -90, 0 -90, 0 0, -90 0, -180 0, -180 -90)), ((10 10, 20 10, 20 20, 10 20, 10 10)))');
SELECT b.name, count(*) AS pixels, sum(pg::int) AS postgis_inside,
       count(*) FILTER (WHERE pg IS DISTINCT FROM ours) AS mismatches
  FROM big b, LATERAL (SELECT ST_Covers(b.g, ST_Point(p.lon, p.lat)::geography) AS pg,
                              eoswath.region_contains_wkb(ST_AsBinary(b.g::geometry), 4326, true, p.lon, p.lat) AS ours
                         FROM (SELECT lon, lat, row_number() OVER (ORDER BY short, lat, lon) AS n FROM px) p
                        WHERE p.n % 16 = 0) t
 GROUP BY 1 ORDER BY 1;
-- on a ring, inside (PostGIS's answer there depends on rounding)
SELECT eoswath.region_contains_wkb(ST_AsBinary(g::geometry), 4326, true, 0, -45) AS on_meridian_0,
       eoswath.region_contains_wkb(ST_AsBinary(g::geometry), 4326, true, 0.000001, -45) AS just_east,
       eoswath.region_contains_wkb(ST_AsBinary(g::geometry), 4326, true, -45.5, 0.000001) AS just_north,
       eoswath.region_contains_wkb(ST_AsBinary(g::geometry), 4326, true, -45.5, -0.000001) AS just_south,
       eoswath.region_contains_wkb(ST_AsBinary(g::geometry), 4326, true, 170, -90) AS south_pole
  FROM big WHERE name = 'quarter_sphere';
-- (for PostGIS, box_0360 needs the pixel at lon + 360 too: geometry boxes
-- may be given in 0..360 or across 180, and swath_subset shifts longitudes)
SELECT eoswath.region_contains_wkb(ST_AsBinary(ST_MakeEnvelope(160, -40, 220, 65, 4326)), 4326, false, -170, 0) AS lon_minus_170_in_160_220;

-- the same four corners, two regions: geography takes the short way across
-- the antimeridian, geometry the straight lon/lat way across Greenwich
SELECT edges, eoswath.region_contains_wkb(wkb, 4326, edges = 'geography', 180, 0) AS has_180_0,
       eoswath.region_contains_wkb(wkb, 4326, edges = 'geography', 0, 0) AS has_0_0
  FROM (SELECT ST_AsBinary('POLYGON((170 -40, -165 -40, -165 40, 170 40, 170 -40))'::geometry) AS wkb) x,
       (VALUES ('geography'), ('geometry')) e(edges) ORDER BY 1;
-- great circles bulge poleward: (0 60.5) is inside the geography box, not the geometry one
SELECT eoswath.region_contains_wkb(ST_AsBinary(ST_MakeEnvelope(-40, 30, 40, 60, 4326)), 4326, true, 0, 60.5) AS geography,
       eoswath.region_contains_wkb(ST_AsBinary(ST_MakeEnvelope(-40, 30, 40, 60, 4326)), 4326, false, 0, 60.5) AS geometry;
-- boundary inclusive, holes excluded (their ring included)
SELECT eoswath.region_contains_wkb(ST_AsBinary(geom), 4326, false, lon, lat) AS inside, lon, lat
  FROM regions, (VALUES (-60, 0), (-50, 0), (-30, 0), (-40, 0), (-20, 10), (-61, 0)) p(lon, lat)
 WHERE name = 'poly_hole' ORDER BY lon;

-- subsets: a netCDF-4 (HDF5) file; NULL when no pixel is inside
SELECT short, substr(swath_subset(oid, ST_MakeEnvelope(-180, -90, 0, 0, 4326)), 1, 4) AS magic
  FROM sg ORDER BY 1;
SELECT short, swath_subset(oid, 'POLYGON((-20 -35, 20 -35, 20 -20, 10 -5, 15 10, -5 30, -25 30, -20 -35))'::geography) IS NULL AS no_pixel_in_africa
  FROM sg ORDER BY 1;
-- a quarter of the sphere: the whole GPM pass, part of the others
SELECT short, swath_subset(oid, g) IS NOT NULL AS has_pixels
  FROM sg, big WHERE name = 'quarter_sphere' ORDER BY 1;
-- variables: just those (plus geolocation), smaller
SELECT length(swath_subset(oid, ST_MakeEnvelope(-180, -90, 0, 0, 4326), ARRAY['wind_speed']))
       < length(swath_subset(oid, ST_MakeEnvelope(-180, -90, 0, 0, 4326)))  / 2 AS smaller
  FROM sg WHERE short = 'ascat';
-- NULL in, NULL out
SELECT swath_subset(NULL, ST_MakeEnvelope(0, 0, 1, 1, 4326)) IS NULL AS a,
       swath_subset(oid, NULL::geometry) IS NULL AS b,
       swath_subset(oid, NULL::geography) IS NULL AS c
  FROM sg WHERE short = 'gpm';

-- gzip objects work transparently (stored compressed, inflated on the way)
BEGIN;
SELECT wos_put_stream(NULL, '{}', true) AS gs \gset
SELECT wos_stream_write(:gs, wos_get(oid)) > 0 AS written FROM sg WHERE short = 'gpm';
SELECT wos_stream_close(:gs) AS gzoid \gset
COMMIT;
SELECT (SELECT encoding FROM wos_stat(:'gzoid')) AS encoding,
       length(swath_subset(:'gzoid', ST_Buffer('POINT(-60 -60)'::geography, 600000)))
       = length(swath_subset(oid, ST_Buffer('POINT(-60 -60)'::geography, 600000))) AS same_size_as_plain
  FROM sg WHERE short = 'gpm';

-- stored as an object: the metadata records the source and the region
SELECT swath_subset_store(oid, ST_Buffer('POINT(-60 -60)'::geography, 600000)) AS sub FROM sg WHERE short = 'gpm' \gset
SELECT m->>'kind' AS kind, m->>'source_oid' = (SELECT oid::text FROM sg WHERE short = 'gpm') AS source_ok,
       m->>'edges' AS edges, left(m->>'region', 24) AS region, m ? 'variables' AS has_variables
  FROM wos_meta(:'sub') m;
SELECT s.size > 100000 AS sized, s.encoding, substr(wos_get(:'sub'), 1, 4) AS magic FROM wos_stat(:'sub') s;
SELECT wos_meta(swath_subset_store(oid, ST_MakeEnvelope(-180, -90, 0, 0, 4326), 'replicate', ARRAY['wind_speed'])) - 'source_oid'
  FROM sg WHERE short = 'ascat';
SELECT swath_subset_store(oid, ST_MakeEnvelope(-10, -1, -9, 0, 4326)) IS NULL AS nothing_stored FROM sg WHERE short = 'gpm';

-- garbage in: clear errors
\set VERBOSITY default
SELECT swath_subset(oid, ST_Transform(ST_MakeEnvelope(0, 0, 1, 1, 4326), 3857)) FROM sg WHERE short = 'gpm';
SELECT swath_subset(oid, 'SRID=4326;LINESTRING(0 0, 1 1)'::geometry) FROM sg WHERE short = 'gpm';
-- SRID 0 is not taken as longitude/latitude
SELECT swath_subset(oid, 'POLYGON((0 0, 1 0, 1 1, 0 0))'::geometry) FROM sg WHERE short = 'gpm';
\set VERBOSITY sqlstate
SELECT swath_subset_store(oid, ST_MakeEnvelope(0, 0, 1, 1)) FROM sg WHERE short = 'gpm';
\set VERBOSITY default
SELECT eoswath.swath_subset_wkb(oid, '\x0103000000'::bytea, 4326, false, NULL) FROM sg WHERE short = 'gpm';
SELECT swath_subset(oid, ST_MakeEnvelope(-180, -90, 0, 0, 4326)::geography) FROM sg WHERE short = 'gpm';
-- a ring around the globe whose first edge has no length: which side is inside is undefined
SELECT swath_subset(oid, 'POLYGON((-100 0, -100 0, 0 -5, 100 0, 0 5, -100 0))'::geography) FROM sg WHERE short = 'gpm';
SELECT swath_subset(oid, 'SRID=4326;POLYGON((0 0, 1 0, 1 100, 0 0))'::geometry) FROM sg WHERE short = 'gpm';
SELECT swath_subset(oid, ST_MakeEnvelope(-180, -90, 0, 0, 4326), ARRAY['no_such_variable']) FROM sg WHERE short = 'ascat';
SELECT swath_subset(oid, ST_MakeEnvelope(-180, -90, 0, 0, 4326), '{}') FROM sg WHERE short = 'ascat';
SELECT swath_subset(wos_put('this is not a granule'), ST_MakeEnvelope(0, 0, 1, 1, 4326));
SELECT swath_subset_store(oid, ST_MakeEnvelope(-180, -90, 0, 0, 4326), 'no_such_policy') FROM sg WHERE short = 'ascat';
\set VERBOSITY sqlstate
SELECT swath_subset('00000000ZZZZZ', ST_MakeEnvelope(0, 0, 1, 1, 4326));
-- a subset larger than temp_file_limit is refused
SET temp_file_limit = '64kB';
SELECT length(swath_subset(oid, ST_MakeEnvelope(-180, -90, 0, 0, 4326))) FROM sg WHERE short = 'jason1';
RESET temp_file_limit;
\set VERBOSITY default

-- regions: every new swath gets its subset for each region its footprint meets
INSERT INTO swath_regions (name, shape) VALUES
  ('drake', ST_Buffer('POINT(-60 -60)'::geography, 600000)),
  ('bering', 'POLYGON((-175 60, -135 60, -135 76, -175 76, -175 60))'),
  ('no_interior', 'POLYGON((-100 0, -100 0, 0 -5, 100 0, 0 5, -100 0))'),
  ('nowhere', ST_Buffer('POINT(100 -45)'::geography, 1000));
-- queued in the inserting transaction: a rollback queues nothing
BEGIN;
SELECT count(*) FROM (SELECT swath_register(oid, f, 'queue') FROM sg) x;
SELECT count(*) AS queued_in_tx FROM swath_subset_queue;
ROLLBACK;
SELECT count(*) AS queued_after_rollback FROM swath_subset_queue;
SELECT count(*) FROM (SELECT swath_register(oid, f, 'queue') FROM sg) x;
SELECT split_part(s.filename, '_', 1) AS granule, q.region, q.attempts
  FROM swath_subset_queue q JOIN swaths s ON s.id = q.swath ORDER BY 2, 1;
-- a writer drains: two items, then the rest; each in its own subtransaction,
-- a failing one keeps its error in the queue and the others go on
CREATE ROLE regress_subset_writer IN ROLE eoswath_writer;
CREATE ROLE regress_subset_reader IN ROLE eoswath_reader;
GRANT USAGE ON SCHEMA public TO regress_subset_writer, regress_subset_reader;
SET ROLE regress_subset_writer;
SELECT count(*) AS first_two FROM swath_subset_drain(2);
SELECT split_part(s.filename, '_', 1) AS granule, d.region, d.subset IS NOT NULL AS made, d.error
  FROM swath_subset_drain() d JOIN swaths s ON s.id = d.swath ORDER BY 2, 1;
RESET ROLE;
SELECT split_part(s.filename, '_', 1) AS granule, x.region, x.subset IS NOT NULL AS made,
       wos_meta(x.subset)->>'source_oid' = s.oid::text AS source_recorded,
       wos_meta(x.subset)->>'region' = ST_AsEWKT(r.shape) AS region_recorded
  FROM swath_subsets x JOIN swaths s ON s.id = x.swath JOIN swath_regions r ON r.name = x.region
 ORDER BY 2, 1;
-- the failures stay queued with their error; the swath rows are all there
SELECT split_part(s.filename, '_', 1) AS granule, q.region, q.attempts, q.last_error
  FROM swath_subset_queue q JOIN swaths s ON s.id = q.swath ORDER BY 2, 1;
SELECT count(*) AS queue_swaths FROM swaths WHERE source = 'queue';
-- draining again retries them (and counts the attempts); dropping the region empties the queue
SELECT count(*) AS retried FROM swath_subset_drain();
SELECT DISTINCT attempts FROM swath_subset_queue;
DELETE FROM swath_regions WHERE name = 'no_interior';
SELECT count(*) AS left_in_queue FROM swath_subset_queue;
-- a region added later: requeue what is missing, then drain
INSERT INTO swath_regions (name, shape) VALUES ('arctic', ST_Buffer('POINT(0 90)'::geography, 2000000));
SELECT swath_subset_requeue() AS requeued;
SELECT swath_subset_requeue() AS requeued_again;
CALL swath_subset_drain_all(2);
SELECT region, count(*), count(subset) AS with_pixels FROM swath_subsets GROUP BY 1 ORDER BY 1;
SELECT count(*) AS left_in_queue FROM swath_subset_queue;
-- privileges: readers read the tables and cut subsets, but do not drain or edit regions
SELECT oid AS gpm FROM sg WHERE short = 'gpm' \gset
\set VERBOSITY sqlstate
SET ROLE regress_subset_reader;
SELECT count(*) > 0 AS reads FROM swath_subsets;
SELECT swath_subset(:'gpm', ST_MakeEnvelope(-10, -1, -9, 0, 4326)) IS NULL AS cuts;
SELECT swath_subset_drain();
DELETE FROM swath_regions;
INSERT INTO swath_subset_queue (swath, region) VALUES (1, 'drake');
RESET ROLE;
\set VERBOSITY default
-- a deleted swath takes its subsets' rows (not the objects) and queue items along
DELETE FROM swaths WHERE source = 'queue';
SELECT count(*) AS subsets_left FROM swath_subsets;
REVOKE USAGE ON SCHEMA public FROM regress_subset_writer, regress_subset_reader;
DROP ROLE regress_subset_writer, regress_subset_reader;
RESET client_min_messages;
