#!/usr/bin/env bash
# test/suites/footprint_synthetic.sh: footprints of generated granules that
# stress what real ones may not: a polar orbit across the antimeridian with
# packed int32 lat/lon, fill pixels and a data gap; a strip over the north
# pole (3-D, 0..360, NaN fill); a 1-D track in 0..360 across the antimeridian;
# lat/lon found only through a "coordinates" attribute.  Each footprint must
# cover >= 99% of the valid pixel centres, and no point of it (vertices, and
# random points inside each part) may be more than 50 km from a pixel centre.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness.sh"

mkdir -p "$WORK/synth"
/usr/bin/python3 "$HERE/../fixtures/gen_synthetic.py" "$WORK/synth" >/dev/null
chmod -R a+rX "$WORK/synth"
pg_start fps
psql_user -q -c "CREATE EXTENSION eoswath CASCADE" 2>/dev/null

fail=0
for f in "$WORK"/synth/*.nc; do
    name=$(basename "$f")
    res=$(psql_user -qAt -F ' ' -v f="$f" <<'SQL'
SET client_min_messages = warning;
SELECT wos_put(pg_read_binary_file(:'f')) AS id \gset
CREATE TEMP TABLE fp AS SELECT swath_footprint(:'id') AS g;
CREATE TEMP TABLE px AS SELECT ST_MakePoint(lon, lat)::geography AS pt FROM swath_pixels(:'id');
CREATE INDEX ON px USING gist (pt);
ANALYZE px;
-- random points inside each part, drawn in a local equidistant projection
CREATE TEMP TABLE inside AS
WITH parts AS (
  SELECT d.geom, ST_Y(ST_Centroid(d.geom::geography)::geometry) AS clat,
         ST_X(ST_Centroid(d.geom::geography)::geometry) AS clon
    FROM fp, ST_Dump(fp.g::geometry) d)
SELECT ST_Transform(ST_SetSRID(q.geom, 0), p, 4326)::geography AS pt
  FROM (SELECT geom, format('+proj=aeqd +lat_0=%s +lon_0=%s +R=6371008.8', clat, clon) AS p FROM parts) x,
       LATERAL ST_Dump(ST_GeneratePoints(ST_Transform(geom, p), 40, 1)) q;
SELECT (SELECT count(*) FROM px),
       (SELECT round(avg(ST_Covers(fp.g, px.pt)::int)::numeric, 4) FROM fp, px),
       (SELECT round(max((SELECT ST_Distance(v.pt, px.pt) FROM px ORDER BY v.pt <-> px.pt LIMIT 1))::numeric / 1000, 1)
          FROM (SELECT (ST_DumpPoints(g::geometry)).geom::geography AS pt FROM fp
                UNION ALL SELECT pt FROM inside) v);
SQL
)
    read -r npx cover maxkm <<<"$res"
    verdict=ok
    if [ "$(echo "$cover >= 0.99" | bc)" != 1 ] || [ "$(echo "$maxkm < 50" | bc)" != 1 ]; then verdict=FAIL; fail=1; fi
    printf '%-26s pixels %7s  covered %s  farthest point %6s km  %s\n' "$name" "$npx" "$cover" "$maxkm" "$verdict"
done
exit $fail
