-- swath_search()'s exact intersection test, eoswath.geog_intersects_wkb(),
-- must give PostGIS ST_Intersects(geography, geography)'s answer on every
-- pair it does not hand back (NULL: the caller falls back to PostGIS)
SET client_min_messages = warning;
SELECT setseed(0.1234);
-- a random point: anywhere, near a pole, or near the antimeridian
CREATE FUNCTION pg_temp.rpoint() RETURNS geography LANGUAGE sql VOLATILE AS $$
    SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography
      FROM (SELECT CASE WHEN k < 0.2 THEN 175 + 10 * random() ELSE 360 * random() - 180 END AS lon,
                   CASE WHEN k >= 0.2 AND k < 0.4 THEN (80 + 10 * random()) * sign(random() - 0.5)
                        ELSE degrees(asin(2 * random() - 1)) END AS lat
              FROM (SELECT random() AS k) x) y
$$;
-- a point dist metres from p towards az (radians)
CREATE FUNCTION pg_temp.proj(p geography, dist float8, az float8) RETURNS geometry LANGUAGE sql IMMUTABLE AS $$
    SELECT ST_Project(p, dist, az)::geometry
$$;
-- closed ring of n vertices around c, star-shaped, radii in [r0, r1] metres
CREATE FUNCTION pg_temp.ring(c geography, n int, r0 float8, r1 float8, rev boolean DEFAULT false)
    RETURNS geometry LANGUAGE sql VOLATILE AS $$
    WITH v AS (SELECT i, pg_temp.proj(c, r0 + (r1 - r0) * random(),
                                      (i + 0.8 * random()) * 2 * pi() / n) AS pt
                 FROM generate_series(0, n - 1) i)
    SELECT ST_AddPoint(l, ST_StartPoint(l))
      FROM (SELECT ST_MakeLine(pt ORDER BY CASE WHEN rev THEN -i ELSE i END) AS l FROM v) x
$$;
CREATE FUNCTION pg_temp.star(c geography, r float8) RETURNS geography LANGUAGE sql VOLATILE AS $$
    SELECT ST_MakePolygon(pg_temp.ring(c, 3 + (random() * 8)::int, r * (0.3 + 0.4 * random()), r))::geography
$$;
CREATE FUNCTION pg_temp.holed(c geography, r float8) RETURNS geography LANGUAGE sql VOLATILE AS $$
    SELECT ST_MakePolygon(pg_temp.ring(c, 8 + (random() * 8)::int, r * 0.8, r),
                          ARRAY[pg_temp.ring(c, 3 + (random() * 6)::int, r * 0.2, r * 0.6, true)])::geography
$$;
-- a shape of kind k around c of size about r metres
CREATE FUNCTION pg_temp.shape(k int, c geography, r float8) RETURNS geography LANGUAGE sql VOLATILE AS $$
    SELECT CASE k
        WHEN 0 THEN pg_temp.star(c, r)
        WHEN 1 THEN ST_Buffer(c, r * 0.7, (2 + random() * 8)::int)
        WHEN 2 THEN pg_temp.holed(c, r)
        ELSE ST_Collect(pg_temp.star(c, r / 2)::geometry,
                        pg_temp.star(pg_temp.proj(c, r * 1.2, random() * 2 * pi())::geography, r / 2)::geometry)::geography
    END
$$;
CREATE TEMP TABLE pairs (kind text, a geography, b geography);
-- random shapes near each other, 1 m to 2000 km
INSERT INTO pairs
SELECT 'random', pg_temp.shape(ka, c, ra), pg_temp.shape(kb, pg_temp.proj(c, (ra + rb) * 1.3 * random(), random() * 2 * pi())::geography, rb)
  FROM (SELECT (random() * 3.99)::int AS ka, (random() * 3.99)::int AS kb, pg_temp.rpoint() AS c,
               exp(ln(1) + random() * ln(2e6)) AS ra, exp(random() * ln(2e6)) AS rb
          FROM generate_series(1, 4000)) x;
-- a small shape at the other one's edge (true hits and near misses of a few metres)
INSERT INTO pairs
SELECT 'edge', a, pg_temp.shape(kb, pg_temp.proj(pg_temp.proj(c, 1, 0)::geography, 0, 0)::geography, 1)
  FROM (SELECT pg_temp.shape(0, pg_temp.rpoint(), 1e5 * (1 + random() * 9)) AS a, (random() * 1.99)::int AS kb
          FROM generate_series(1, 400)) x,
       LATERAL (SELECT ST_PointN(ST_ExteriorRing(a::geometry), 1)::geography AS v) y,
       LATERAL (SELECT pg_temp.proj(v, random() * 30, random() * 2 * pi())::geography AS c) z;
-- sharing a vertex, sharing an edge
INSERT INTO pairs
SELECT 'shared vertex', a,
       ST_MakePolygon(ST_MakeLine(ARRAY[v0, pg_temp.proj(v0::geography, r, az), pg_temp.proj(v0::geography, r, az + 0.5), v0]))::geography
  FROM (SELECT pg_temp.star(pg_temp.rpoint(), 1e6 * random() + 1e3) AS a, random() * 2 * pi() AS az,
               1e6 * random() + 1e3 AS r FROM generate_series(1, 400)) x,
       LATERAL (SELECT ST_PointN(ST_ExteriorRing(a::geometry), 1) AS v0) y;
INSERT INTO pairs
SELECT 'shared edge', a,
       ST_MakePolygon(ST_MakeLine(ARRAY[v1, v0, pg_temp.proj(v0::geography, r, az), v1]))::geography
  FROM (SELECT pg_temp.star(pg_temp.rpoint(), 1e6 * random() + 1e3) AS a, random() * 2 * pi() AS az,
               1e6 * random() + 1e3 AS r FROM generate_series(1, 400)) x,
       LATERAL (SELECT ST_PointN(ST_ExteriorRing(a::geometry), 1) AS v0,
                       ST_PointN(ST_ExteriorRing(a::geometry), 2) AS v1) y;
-- the real granules (EOSWATH_GRANULES; make installcheck defaults it to
-- ../shared/data/swaths beside the repository): without them, the rest of
-- this file is skipped (expected/11_search_exact_1.out)
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
-- the real footprints of sql/10_swaths.sql against random regions near them
-- (in a fixed order, so that each footprint gets the same random regions
-- whatever the rows' physical order)
INSERT INTO pairs
SELECT 'footprint', s.shape, pg_temp.shape((random() * 3.99)::int,
           pg_temp.proj(ST_PointN(ST_ExteriorRing(ST_GeometryN(s.shape::geometry, 1)), 1)::geography,
                        2e6 * random(), random() * 2 * pi())::geography, exp(random() * ln(2e6)))
  FROM (SELECT s.shape FROM swaths s, generate_series(1, 200) g ORDER BY s.filename, g OFFSET 0) s;
-- rings 100 to 110 degrees from c (PostGIS takes the side around c's
-- antipode, under a hemisphere), and points (handed back)
INSERT INTO pairs
SELECT 'large', ST_MakePolygon(pg_temp.ring(c, 6, 1.1e7, 1.2e7))::geography, pg_temp.star(c, 1e6)
  FROM (SELECT pg_temp.rpoint() AS c FROM generate_series(1, 100)) x;
INSERT INTO pairs SELECT 'point', c, ST_Buffer(c, 1000) FROM (SELECT pg_temp.rpoint() AS c FROM generate_series(1, 100)) x;

CREATE TEMP TABLE answers AS
SELECT kind, a, b, eoswath.geog_intersects_wkb(ST_AsBinary(a), ST_AsBinary(b)) AS t,
       ST_Intersects(a, b) AS postgis
  FROM pairs;
SELECT kind, count(*) AS pairs,
       count(*) FILTER (WHERE postgis) AS postgis_hits,
       count(*) FILTER (WHERE t IS NULL) AS fallbacks,
       count(*) FILTER (WHERE t IS DISTINCT FROM postgis AND t IS NOT NULL) AS mismatches
  FROM answers
 GROUP BY ROLLUP (kind) ORDER BY kind NULLS LAST;
-- swapped arguments give the same answer
SELECT count(*) AS asymmetric FROM pairs
 WHERE eoswath.geog_intersects_wkb(ST_AsBinary(a), ST_AsBinary(b))
       IS DISTINCT FROM eoswath.geog_intersects_wkb(ST_AsBinary(b), ST_AsBinary(a));
-- the same region against many rows (the cached argument), either side
SELECT count(*) AS cached_mismatches FROM (SELECT b FROM pairs WHERE kind = 'random' LIMIT 2000) p
 WHERE eoswath.geog_intersects_wkb(ST_AsBinary(b), ST_AsBinary(ST_Buffer('POINT(10 50)'::geography, 2e6)))
       IS DISTINCT FROM ST_Intersects(b, ST_Buffer('POINT(10 50)'::geography, 2e6))
    OR eoswath.geog_intersects_wkb(ST_AsBinary(ST_Buffer('POINT(10 50)'::geography, 2e6)), ST_AsBinary(b))
       IS DISTINCT FROM ST_Intersects(b, ST_Buffer('POINT(10 50)'::geography, 2e6));
-- swath_search() agrees with a plain ST_Intersects() over the catalog
SELECT count(*) AS search_mismatches FROM pairs p
 WHERE kind = 'footprint'
   AND (SELECT count(*) FROM swath_search(p.b)) <> (SELECT count(*) FROM swaths s WHERE ST_Intersects(s.shape, p.b));
-- the mismatching pairs, if any, for a report
SELECT kind, ST_AsText(a) AS a, ST_AsText(b) AS b, postgis, ST_Distance(a, b, false)
  FROM answers WHERE t IS DISTINCT FROM postgis AND t IS NOT NULL LIMIT 5;
-- regions of any size (a hemisphere or more, bands, a 100-degree sliver with
-- a dense edge) against every footprint.  The reference is PostGIS without
-- its polygon-polygon test, which is not reliable here (ST_Intersects of
-- the GPM footprint, south of 52 S, and "everything north of 10 S" is true,
-- and answers vary with PostGIS's per-query tree cache): two closed regions
-- meet iff their boundaries meet (ST_Intersects of lines) or a vertex of
-- one is covered by the other (ST_Covers of a point, the test the pixel
-- comparisons in 20_subset check)
CREATE FUNCTION pg_temp.big(pts geometry[]) RETURNS geography LANGUAGE sql
    RETURN ST_MakePolygon(ST_MakeLine(pts))::geography;
CREATE TEMP TABLE big (name text, g geography);
INSERT INTO big VALUES
  ('quarter_sphere', 'POLYGON((-180 -90, -90 -90, 0 -90, 0 0, -90 0, -180 0, -180 -90))'),
  ('north_hemisphere', 'POLYGON((-180 0, -90 0, 0 0, 90 0, 180 0, 180 90, -180 90, -180 0))'),
  ('band_30', pg_temp.big(array(SELECT ST_Point(x, -30) FROM generate_series(-180, 180, 4) x)
                          || array(SELECT ST_Point(x, 30) FROM generate_series(180, -180, -4) x) || ST_Point(-180, -30))),
  ('north_of_10s', pg_temp.big(array(SELECT ST_Point(x, -10) FROM generate_series(-180, 180, 4) x)
                               || ARRAY[ST_Point(180, 90), ST_Point(-180, 90), ST_Point(-180, -10)])),
  ('sliver_100', pg_temp.big(array(SELECT ST_Point(x, 0) FROM generate_series(-60, 40, 0.5) x)
                             || ARRAY[ST_Point(40, 3), ST_Point(-60, 3), ST_Point(-60, 0)])),
  ('wide_lens', 'POLYGON((-100 0, 0 -5, 100 0, 0 5, -100 0))');
CREATE TEMP TABLE any_size AS
SELECT b.name, s.id, eoswath.geog_intersects_wkb(ST_AsBinary(s.shape), ST_AsBinary(b.g)) AS t,
       s.id IN (SELECT id FROM swath_search(b.g)) AS found,
       EXISTS (SELECT 1 FROM ST_Dump(s.shape::geometry) d
                WHERE ST_Intersects(ST_Boundary(d.geom)::geography, ST_Boundary(b.g::geometry)::geography)
                   OR ST_Covers(b.g, ST_PointN(ST_ExteriorRing(d.geom), 1)::geography)
                   OR ST_Covers(d.geom::geography, ST_PointN(ST_ExteriorRing(b.g::geometry), 1)::geography)) AS postgis
  FROM swaths s, big b;
SELECT name, count(*) AS footprints, count(*) FILTER (WHERE postgis) AS postgis_hits,
       count(*) FILTER (WHERE t IS NULL) AS fallbacks,
       count(*) FILTER (WHERE t IS DISTINCT FROM postgis) AS mismatches,
       count(*) FILTER (WHERE found IS DISTINCT FROM postgis) AS search_mismatches
  FROM any_size GROUP BY 1 ORDER BY 1;
DROP TABLE pairs, answers, any_size;
RESET client_min_messages;
