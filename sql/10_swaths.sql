-- the swath catalog on the real granules in ../shared/data/swaths
-- object ids in this file start at 10000 (ids only move forward), so that
-- messages naming them do not depend on the files before
SELECT setval('eoswath.oid_seq', 10000) AS id_base;
-- the real granules (EOSWATH_GRANULES; make installcheck defaults it to
-- ../shared/data/swaths beside the repository): without them, the rest of
-- this file is skipped (expected/10_swaths_1.out)
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
CREATE TEMP TABLE g (f text, short text, oid wosoid);
INSERT INTO g
SELECT f, s, wos_put(pg_read_binary_file(:'granules' || '/' || f), json_build_object('file', s)::jsonb)
  FROM (VALUES
    ('ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc', 'ascat'),
    ('JA1_GPN_2PeP001_002_20020115_060706_20020115_070316.nc', 'jason1'),
    ('S5P_OFFL_L2__CH4____20190319T110835_20190319T125006_07407_01_010202_20190325T125810_fullorbit_varsubset.nc4', 's5p'),
    ('S6A_P4_2__HR_RED__NR_014_192_20210403T005056_20210403T010056_F00.nc', 's6a'),
    ('SS_VIIRS_NPP-NAVO-L2P-v3.0.nc', 'viirs'),
    ('GPM_2ADPR_V07A_20210220_039665_l2ss_subset.HDF5', 'gpm')) v(f, s);

-- geolocation found as l2ss-py finds it: names, groups, 1-D/2-D/3-D, several swaths per file
SELECT g.short, l.* FROM g, swath_geolocation(g.oid) l ORDER BY 1, 2;
-- acquisition times from each granule's own time variable
SELECT g.short, t.* FROM g, swath_time_range(g.oid) t ORDER BY 1;
-- equal within a second to the files' own coverage attributes
-- (time_coverage_start/end, start/stop_date+time, first/last_meas_time);
-- GPM: GPS seconds, 18 s ahead of UTC in 2021 (this l2ss subset's header
-- times are the whole orbit's, so the check is the GPS-UTC offset)
SELECT g.short, abs(extract(epoch FROM t.start_time - c.s)) < 1 AS start_ok,
       abs(extract(epoch FROM t.end_time - c.e)) < 1 AS end_ok
  FROM g JOIN (VALUES
    ('ascat', '2015-07-02 08:42:00Z'::timestamptz, '2015-07-02 10:23:56Z'::timestamptz),
    ('jason1', '2002-01-15 06:07:06.818984Z', '2002-01-15 07:03:16.384002Z'),
    ('s5p', '2019-03-19 11:30:10Z', '2019-03-19 12:28:33Z'),
    ('viirs', '2019-08-05 20:37:02Z', '2019-08-05 20:38:26Z'),
    ('gpm', '2021-02-20 11:01:20.170085Z'::timestamptz - interval '18 s', '2021-02-20 11:08:34.869746Z'::timestamptz - interval '18 s'))
    c(short, s, e) USING (short), swath_time_range(g.oid) t ORDER BY 1;
-- scale/offset applied, fill skipped, longitudes folded to [-180, 180)
SELECT g.short, count(*) AS pixels, round(min(lat)::numeric, 3) AS lat_min, round(max(lat)::numeric, 3) AS lat_max,
       min(lon) >= -180 AND max(lon) < 180 AS lon_folded
  FROM g, swath_pixels(g.oid) p GROUP BY 1 ORDER BY 1;

-- footprints: every one is a valid (Multi)Polygon (OGC, planar lon/lat) and
-- contains every sampled valid pixel centre (about 3000 per granule); its
-- area (sphere) equals the sum of its parts' areas in a Lambert equal-area
-- projection within 0.5% (no part overlaps another, antimeridian and polar
-- parts read right); no footprint vertex is farther than 50 km from a pixel
-- centre (dense pixels: all, or every 3rd of S5P's and every 9th of
-- VIIRS's, a few km apart)
CREATE TEMP TABLE fp AS SELECT short, oid, swath_footprint(oid) AS shape FROM g;
CREATE TEMP TABLE steps (short text, cover_step int, near_step int);
INSERT INTO steps VALUES ('ascat', 23, 1), ('gpm', 15, 1), ('jason1', 16, 1),
                         ('s5p', 233, 3), ('s6a', 1, 1), ('viirs', 338, 9);
SELECT fp.short, GeometryType(fp.shape) AS type, ST_IsValid(fp.shape::geometry) AS valid,
       avg(ST_Covers(fp.shape, ST_MakePoint(p.lon, p.lat)::geography)::int) = 1 AS covers_all
  FROM fp JOIN steps USING (short), swath_pixels(fp.oid, steps.cover_step) p
 GROUP BY fp.short, fp.shape ORDER BY 1;
SELECT short, abs(ST_Area(shape, false) /
           (SELECT sum(ST_Area(ST_Transform(ST_Segmentize(d.geom::geography, 20000)::geometry,
                   format('+proj=laea +lat_0=%s +lon_0=%s +R=6371008.8',
                          ST_Y(ST_PointOnSurface(d.geom)), ST_X(ST_PointOnSurface(d.geom))))))
              FROM ST_Dump(shape::geometry) d) - 1) < 0.005 AS area_right
  FROM fp ORDER BY 1;
CREATE TEMP TABLE px AS
  SELECT g.short, ST_MakePoint(p.lon, p.lat)::geography AS pt
    FROM g JOIN steps USING (short), swath_pixels(g.oid, steps.near_step) p;
CREATE INDEX ON px USING gist (pt);
ANALYZE px;
SELECT short, max(d) < 50000 AS vertices_within_50km
  FROM (SELECT fp.short,
               (SELECT ST_Distance(v.geom::geography, px.pt) FROM px
                 WHERE px.short = fp.short ORDER BY v.geom::geography <-> px.pt LIMIT 1) AS d
          FROM fp, ST_DumpPoints(fp.shape::geometry) v) x
 GROUP BY short ORDER BY 1;
-- footprints are right across the antimeridian and over the poles
SELECT short,
       ST_Intersects(shape, 'LINESTRING(179.99 -89, 179.99 0, 179.99 89)'::geography) AS meets_antimeridian,
       ST_Intersects(shape, ST_Buffer('POINT(0 90)'::geography, 200000)) AS near_north_pole,
       ST_Intersects(shape, ST_Buffer('POINT(0 -90)'::geography, 200000)) AS near_south_pole
  FROM fp WHERE short IN ('ascat', 's5p', 'viirs', 'jason1') ORDER BY 1;

-- registering: shape and overpass come from the granule; filename parts split
SELECT (r).id > 0 AS registered, (r).filename = f AS name_kept, (r).fileext, (r).source,
       (r).overpass = t.start_time AS overpass_ok, (r).overpass_end = t.end_time AS end_ok,
       (r).size > 0 AS size_ok, GeometryType((r).shape)
  FROM (SELECT g.f, g.oid, swath_register(g.oid, g.f, 'regress', '1', NULL) AS r FROM g) x,
       swath_time_range(x.oid) t ORDER BY 4, 1;
-- an object is catalogued once: registering it again keeps its one row
-- (names updated, nothing computed again)
SELECT count(*) AS rows, bool_and((r).id = s.id) AS same_row, bool_and((r).version = '2') AS updated
  FROM swaths s, LATERAL swath_register(s.oid, s.filename, s.source, '2') r WHERE s.source = 'regress';
SELECT count(*) AS rows_after, count(DISTINCT oid) AS objects FROM swaths;
-- a plain INSERT with a NULL shape and overpass is filled by the trigger
-- (of a copy of the granule: an object is catalogued once)
INSERT INTO swaths (filename, source, oid, overpass) SELECT 'copy.nc', 'insert', wos_put(wos_get(oid)), NULL FROM g WHERE short = 'gpm';
SELECT source, ST_Equals(shape::geometry, (SELECT shape::geometry FROM fp WHERE short = 'gpm')) AS same_shape,
       overpass = '2021-02-20 11:01:02.170085+00' AS overpass_ok
  FROM swaths WHERE source = 'insert';
-- a shape given by the client is kept
INSERT INTO swaths (filename, source, oid, overpass, shape)
  SELECT 'given.nc', 'given', wos_put(wos_get(oid)), '2020-01-01', 'POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))' FROM g WHERE short = 'gpm';
SELECT ST_AsText(shape) FROM swaths WHERE source = 'given';
DELETE FROM swaths WHERE source IN ('insert', 'given');

-- search: spatial (indexes), time window, source
SELECT source, count(*) FROM swaths GROUP BY 1;
SELECT string_agg(split_part(filename, '_', 1), ',' ORDER BY filename) AS bering_box
  FROM swath_search(ST_MakeEnvelope(-175, 60, -135, 76, 4326)::geography);
SELECT string_agg(split_part(filename, '_', 1), ',' ORDER BY filename) AS drake_passage
  FROM swath_search(ST_Buffer('POINT(-60 -60)'::geography, 300000));
-- Sentinel-6 passes (58.2 N, 52.7 E) on 2021-04-03 00:5x; so do the full orbits of other days
SELECT string_agg(split_part(filename, '_', 1), ',' ORDER BY filename) AS caspian_north_2021
  FROM swath_search(ST_Buffer('POINT(52.7 58.2)'::geography, 20000), '2021-04-03 00:00+00', '2021-04-04 00:00+00');
SELECT string_agg(split_part(filename, '_', 1), ',' ORDER BY filename) AS caspian_north_any_time
  FROM swath_search(ST_Buffer('POINT(52.7 58.2)'::geography, 20000));
SELECT count(*) AS just_after FROM swath_search(ST_Buffer('POINT(52.7 58.2)'::geography, 20000), '2021-04-03 01:01+00', '2021-04-04 00:00+00');
SELECT count(*) AS by_source FROM swath_search(ST_Buffer('POINT(52.7 58.2)'::geography, 20000), NULL, NULL, 'regress');
SELECT count(*) AS other_source FROM swath_search(ST_Buffer('POINT(52.7 58.2)'::geography, 20000), NULL, NULL, 'nobody');
-- the planner uses the time-first index for a region and a window (a
-- region alone takes the spatial one once the table is large: see
-- test/bench/catalog.sh)
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM swath_search('POINT(0 0)'::geography, '2020-01-01', '2020-02-01');
RESET enable_seqscan;

-- a catalogued granule's object cannot be deleted; the row stays
\set VERBOSITY sqlstate
SELECT wos_delete(oid) FROM g WHERE short = 'viirs';
\set VERBOSITY default
SELECT count(*) FROM swaths s JOIN g ON g.oid = s.oid WHERE g.short = 'viirs';
-- gzip objects work transparently: stored compressed, or put already gzipped by a client
BEGIN;
SELECT wos_put_stream(NULL, '{}', true) AS s \gset
SELECT wos_stream_write(:s, pg_read_binary_file(:'granules' || '/GPM_2ADPR_V07A_20210220_039665_l2ss_subset.HDF5')) AS written;
SELECT wos_stream_close(:s) AS gz \gset
COMMIT;
SELECT wos_put((SELECT string_agg(c, ''::bytea) FROM (SELECT wos_stream_get(:'gz')) t(c))) AS clientgz \gset
SELECT (SELECT encoding FROM wos_stat(:'gz')) AS stored_as, (SELECT encoding FROM wos_stat(:'clientgz')) AS client_put_as,
       encode(wos_get(:'clientgz', 0, 2), 'hex') AS magic;
SELECT ST_Equals(swath_footprint(:'gz')::geometry, shape::geometry) AS compressed_same_footprint,
       ST_Equals(swath_footprint(:'clientgz')::geometry, shape::geometry) AS client_gzip_same_footprint,
       (SELECT count(*) FROM swath_pixels(:'clientgz')) AS pixels
  FROM fp WHERE short = 'gpm';
-- the union's plan is not JIT-compiled: PostGIS's estimates put it over
-- jit_above_cost, and compiling took 15-20 ms of every footprint
SELECT proconfig FROM pg_proc WHERE oid = 'eoswath.footprint_from_parts'::regproc;
-- a swath must point at an existing object
\set VERBOSITY sqlstate
INSERT INTO swaths (filename, source, oid, overpass) VALUES ('x', 'x', '00000000ZZZZZ', now());
-- garbage in: clear errors
SELECT swath_footprint(wos_put('this is not a granule'));
SELECT swath_footprint(wos_put('\x43444601000000000000000a0000000100000001780000000000000300000000000000000000000b00000001000000037373740000000001000000000000000000000000000000050000000c000000503f8000004000000040400000'::bytea));
SELECT swath_footprint(wos_put('\x43444601000000000000000a0000000200000003726f77000000000200000003636f6c000000000200000000000000000000000b00000002000000036c6174000000000200000000000000010000000c000000020000000a5f46696c6c56616c756500000000000500000001c479c00000000005756e697473000000000000020000000d646567726565735f6e6f727468000000000000050000001000000104000000036c6f6e000000000200000000000000010000000c000000020000000a5f46696c6c56616c756500000000000500000001c479c00000000005756e697473000000000000020000000c646567726565735f65617374000000050000001000000114c479c000c479c000c479c000c479c000c479c000c479c000c479c000c479c000'::bytea));
SELECT swath_pixels(oid, 0) FROM g WHERE short = 'gpm';
\set VERBOSITY default
SELECT swath_footprint(wos_put('this is not a granule'));
SELECT swath_footprint(wos_put('\x43444601000000000000000a0000000100000001780000000000000300000000000000000000000b00000001000000037373740000000001000000000000000000000000000000050000000c000000503f8000004000000040400000'::bytea));
RESET client_min_messages;
