-- the exact intersection test of swath_search on shapes of many edges:
-- cancellable, and answered without testing every pair of edges
-- two zigzags of 16,000 long edges each, 1 degree apart: every edge of one
-- is near every edge of the other (no pre-filter can help), none meets;
-- testing all pairs takes seconds, and a cancel stops it at once
CREATE TEMP TABLE zigzag AS
SELECT s.shift,
       ST_AsBinary(ST_MakePolygon(ST_MakeLine(array_append(pts, pts[1])))) AS wkb
  FROM (VALUES (0), (1)) s(shift),
       LATERAL (SELECT array_agg(ST_MakePoint(CASE WHEN i % 2 = 0 THEN 0 ELSE 10 END,
                                              (i % 2) * 10 + s.shift + i * 1e-6) ORDER BY i) AS pts
                  FROM generate_series(0, 15999) i) p;
SET statement_timeout = '100ms';
DO $$
DECLARE
    t0 timestamptz := clock_timestamp();
BEGIN
    PERFORM eoswath.geog_intersects_wkb(a.wkb, b.wkb)
       FROM zigzag a, zigzag b WHERE a.shift = 0 AND b.shift = 1;
    RAISE NOTICE 'not canceled';
EXCEPTION WHEN query_canceled THEN
    RAISE NOTICE 'canceled within 1.5 s: %', clock_timestamp() - t0 < interval '1.5 s';
END
$$;
RESET statement_timeout;
-- a circle of 20,000 vertices inside a slightly larger one, and beside
-- another: most edges are far from most others, so the answer is quick
CREATE TEMP TABLE circles AS
SELECT name, ST_AsBinary(ST_Buffer(ST_MakePoint(lon, 0)::geography, radius, 5000)::geometry) AS wkb
  FROM (VALUES ('small', 0, 100000), ('large', 0, 100001), ('beside', 1.8, 100000)) c(name, lon, radius);
SELECT ST_NPoints(ST_GeomFromWKB(wkb)) AS npoints FROM circles WHERE name = 'small';
SET statement_timeout = '10s';
SELECT b.name, eoswath.geog_intersects_wkb(a.wkb, b.wkb) AS intersects,
       ST_Intersects(ST_GeogFromWKB(a.wkb), ST_GeogFromWKB(b.wkb)) AS postgis
  FROM circles a, circles b WHERE a.name = 'small' AND b.name <> 'small' ORDER BY 1;
RESET statement_timeout;
