#!/usr/bin/env bash
# test/suites/footprint_synthetic.sh: footprints, geolocation and times of
# generated granules (test/fixtures/gen_synthetic.py) that stress what real
# ones may not: antimeridian, north pole, 0..360 track, coordinates-only
# geolocation, fill cutting rows diagonally, a TROPOMI-like support-data
# sub-satellite pair, duplicate HDF-EOS5 geolocation, TAI-93 and GPS times
# across the 2016-12-31 leap second, GHRSST sst_dtime, profiles lying on
# the equator.
#
# Every footprint: ST_IsValid, 100% of the valid pixel centres covered
# (every pixel), its area (sphere) equal within 0.5% to the area of its
# parts in a Lambert equal-area projection, and no point of it (vertices,
# 200 random points per part) farther from a pixel centre than the larger
# of the median across/along spacings + 5 km for swaths, the 10 km corridor
# + spacing + 5 km for tracks (diagonal fill: reported, see README).
# Then the geolocation pairs kept and set aside, and the time ranges against
# the values the generator wrote.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness.sh"

mkdir -p "$WORK/synth"
/usr/bin/python3 "$HERE/../fixtures/gen_synthetic.py" "$WORK/synth" >/dev/null
chmod -R a+rX "$WORK/synth"
pg_start fps
psql_user -q -c "CREATE EXTENSION eoswath CASCADE" 2>/dev/null

fail=0
files=$(ls "$WORK"/synth/*.nc | tr '\n' ' ' | sed 's/ $//')
psql_user -qAt -F ' ' -v files="$files" >"$WORK/fp.txt" <<'SQL'
SET client_min_messages = warning;
CREATE TEMP TABLE g AS SELECT regexp_replace(f, '.*/', '') AS f, wos_put(pg_read_binary_file(f)) AS oid
  FROM unnest(string_to_array(:'files', ' ')) f;
CREATE TEMP TABLE fp AS SELECT f, oid, swath_footprint(oid) AS shape FROM g;
CREATE TEMP TABLE pix AS SELECT g.f, p.* FROM g, swath_pixels(g.oid) p;
CREATE INDEX ON pix (f, pair, row, col);
CREATE TEMP TABLE px AS SELECT f, ST_MakePoint(lon, lat)::geography AS pt FROM pix;
CREATE INDEX ON px USING gist (pt);
ANALYZE px;
CREATE TEMP TABLE sp AS
SELECT a.f, max(x.ncols) > 1 AS swath,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_Distance(ST_MakePoint(a.lon,a.lat)::geography, ST_MakePoint(b.lon,b.lat)::geography)) / 1000 AS across_km,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_Distance(ST_MakePoint(a.lon,a.lat)::geography, ST_MakePoint(c.lon,c.lat)::geography)) / 1000 AS along_km
  FROM (SELECT * FROM pix WHERE row % 7 = 0) a
  JOIN (SELECT g.f, l.pair, l.ncols FROM g, swath_geolocation(g.oid) l WHERE l.used) x ON x.f = a.f AND x.pair = a.pair
  LEFT JOIN pix b ON b.f = a.f AND b.pair = a.pair AND b.row = a.row AND b.col = a.col + 1
  LEFT JOIN pix c ON c.f = a.f AND c.pair = a.pair AND c.row = a.row + 1 AND c.col = a.col
 GROUP BY 1;
CREATE TEMP TABLE probe AS
SELECT fp.f, q.geom::geography AS pt FROM fp, ST_Dump(fp.shape::geometry) d, LATERAL ST_Dump(ST_GeneratePoints(d.geom, 200, 1)) q
UNION ALL SELECT fp.f, (ST_DumpPoints(shape::geometry)).geom::geography FROM fp;
SELECT fp.f, ST_IsValid(shape::geometry),
   (SELECT count(*) FROM pix WHERE pix.f = fp.f),
   (SELECT sum((NOT ST_Covers(fp.shape, px.pt))::int) FROM px WHERE px.f = fp.f),
   round((ST_Area(shape, false) / (SELECT sum(ST_Area(ST_Transform(ST_Segmentize(d.geom::geography, 20000)::geometry,
        format('+proj=laea +lat_0=%s +lon_0=%s +R=6371008.8', ST_Y(ST_PointOnSurface(d.geom)), ST_X(ST_PointOnSurface(d.geom))))))
        FROM ST_Dump(shape::geometry) d))::numeric, 4),
   (SELECT round(max((SELECT ST_Distance(v.pt, px.pt) FROM px WHERE px.f = v.f ORDER BY v.pt <-> px.pt LIMIT 1))::numeric / 1000, 1)
      FROM probe v WHERE v.f = fp.f),
   (SELECT round((CASE WHEN swath THEN greatest(across_km, along_km) ELSE 10 + coalesce(along_km, 0) END + 5)::numeric, 1) FROM sp WHERE sp.f = fp.f)
  FROM fp ORDER BY 1;
SQL
while read -r name valid npx missed ratio far bound; do
    verdict=ok
    if [ "$valid" != t ] || [ "$missed" != 0 ] || [ "$(echo "$ratio > 0.995 && $ratio < 1.005" | bc)" != 1 ]; then
        verdict=FAIL
    elif [ "$(echo "$far > $bound" | bc)" = 1 ]; then
        case $name in synth_diagonal.nc) verdict="ok (interior fill covered: over the bound)";; *) verdict=FAIL;; esac
    fi
    [ "${verdict%% *}" = ok ] || fail=1
    printf '%-24s valid %s  pixels %6s  missed %s  area/equal-area %s  farthest %6s km (bound %s)  %s\n' \
        "$name" "$valid" "$npx" "$missed" "$ratio" "$far" "$bound" "$verdict"
done <"$WORK/fp.txt"

# geolocation and times, against what the generator wrote
psql_user -qAt -v files="$files" >"$WORK/geo.txt" <<'SQL'
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE TEMP TABLE g AS SELECT regexp_replace(f, '.*/', '') AS f, wos_put(pg_read_binary_file(f)) AS oid
  FROM unnest(string_to_array(:'files', ' ')) f;
SELECT format('%s %s %s/%s used=%s %s', g.f, coalesce(l.pair::text, '-'), l."group", l.lat_var, l.used, coalesce(split_part(l.note, ':', 1), ''))
  FROM g, swath_geolocation(g.oid) l WHERE g.f IN ('synth_support.nc', 'synth_eos5.nc') ORDER BY 1;
SELECT format('%s %s %s', g.f, t.start_time, t.end_time)
  FROM g, swath_time_range(g.oid) t WHERE g.f IN ('synth_eos5.nc', 'synth_gps.nc', 'synth_ghrsst.nc', 'synth_support.nc', 'synth_equator.nc') ORDER BY 1;
-- profiles on the equator (latitude 1e-14, and 0) are in a region edged by
-- the equator on either side, with either edge rule (the boundary is inside)
SELECT format('equator profiles in regions edged by the equator (geometry S N, geography S N): %s',
              string_agg(n::text, ' ' ORDER BY k))
  FROM (SELECT k, count(*) FILTER (WHERE eoswath.region_contains_wkb(ST_AsBinary(r), 4326, sph, p.lon, p.lat)) AS n
          FROM g, swath_pixels(g.oid) p,
               (VALUES (1, ST_MakeEnvelope(-30, -10, 40, 0, 4326), false), (2, ST_MakeEnvelope(-30, 0, 40, 10, 4326), false),
                       (3, ST_MakeEnvelope(-30, -10, 40, 0, 4326), true), (4, ST_MakeEnvelope(-30, 0, 40, 10, 4326), true)) x(k, r, sph)
         WHERE g.f = 'synth_equator.nc' GROUP BY k) y;
-- the footprint leaves out the sub-satellite track that runs 1,500 km beyond the pixels
SELECT format('support footprint reaches the sub-satellite track ends: %s',
              ST_Intersects(swath_footprint(oid), ST_Buffer('POINT(60 -3)'::geography, 50000)))
  FROM g WHERE f = 'synth_support.nc';
SQL
cat >"$WORK/geo.expected" <<'EOF'
synth_eos5.nc - /HDFEOS/SWATHS/Temperature/Geolocation Fields/Latitude used=f duplicate
synth_eos5.nc 0 /HDFEOS/SWATHS/O3/Geolocation Fields/Latitude used=t 
synth_support.nc - /PRODUCT/SUPPORT_DATA/GEOLOCATIONS/satellite_latitude used=f platform position
synth_support.nc - /PRODUCT/SUPPORT_DATA/GEOLOCATIONS/scan_center_latitude used=f support data
synth_support.nc 0 /PRODUCT/latitude used=t 
synth_eos5.nc 2016-12-31 23:00:00+00 2017-01-01 00:39:59+00
synth_equator.nc 2020-03-01 00:00:00+00 2020-03-01 00:03:19.5+00
synth_ghrsst.nc 2019-08-05 20:36:32+00 2019-08-05 20:38:27.5+00
synth_gps.nc 2016-12-31 23:59:00.909547+00 2017-01-01 00:02:00+00
synth_support.nc 2019-07-04 11:46:40+00 2019-07-04 11:50:51.16+00
equator profiles in regions edged by the equator (geometry S N, geography S N): 400 400 400 400
support footprint reaches the sub-satellite track ends: f
EOF
if diff -u "$WORK/geo.expected" "$WORK/geo.txt"; then
    echo "geolocation pairs and times as generated: ok"
else
    echo "geolocation pairs and times: FAIL"; fail=1
fi
exit $fail
