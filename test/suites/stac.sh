#!/usr/bin/env bash
# test/suites/stac.sh: STAC Items of the real granules (../shared/data/swaths)
# and of generated ones, validated with python3-jsonschema against the STAC
# 1.0.0 Item schema and the sat and processing extension schemas kept in
# test/stac/ (no network); the antimeridian bbox (west > east); a search
# as a FeatureCollection with a stored subset's asset.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness.sh"

GRANULES=${EOSWATH_GRANULES:-$(cd "$HERE/../../.." && pwd)/shared/data/swaths}
mkdir -p "$WORK/synth"
/usr/bin/python3 "$HERE/../fixtures/gen_synthetic.py" "$WORK/synth" >/dev/null
chmod -R a+rX "$WORK/synth"
pg_start stac
psql_user -q -c "CREATE EXTENSION eoswath CASCADE" 2>/dev/null

files=$(ls "$GRANULES"/*.nc* "$GRANULES"/*.HDF5 "$WORK"/synth/synth_{coords,eos5,ghrsst,gps,northpole,support,track360}.nc | tr '\n' ' ' | sed 's/ $//')
# psql writes the Items as the test user (the server's user when run as root)
mkdir -p "$WORK/stac"
chown "$TEST_USER" "$WORK/stac" 2>/dev/null || true
psql_user -qAt -v files="$files" -v out="$WORK/stac/items.jsonl" >"$WORK/stac.txt" <<'SQL'
SET client_min_messages = warning;
SELECT count(*) AS registered FROM (
  SELECT swath_register(wos_put(pg_read_binary_file(f)), regexp_replace(f, '.*/', ''), 'stac', '1',
                        CASE WHEN f ~ 'ascat' THEN 45145 WHEN f ~ 'GPM' THEN 39665 END)
    FROM unnest(string_to_array(:'files', ' ')) f) x;
INSERT INTO swath_regions (name, shape, quicklook_variable, quicklook_width)
VALUES ('pacific', 'POLYGON((150 -60, -140 -60, -140 60, 150 60, 150 -60))', 'wind_speed', 64);
-- a quicklook of the whole ASCAT pass: the Item's thumbnail
SELECT swath_quicklook_store(oid, 'wind_speed', width => 128) IS NOT NULL AS quicklook
  FROM swaths WHERE filename ~ '^ascat';
SELECT swath_subset_requeue() > 0 AS queued;
SELECT count(*) FROM swath_subset_drain();
\o :out
SELECT swath_stac_item(id)::text FROM swaths ORDER BY id;
SELECT swath_stac_search(ST_Buffer('POINT(-170 0)'::geography, 2000000), NULL, NULL, 'stac', 50)::text;
\o
-- across the antimeridian: west > east (eos5 profiles cross 180)
SELECT 'eos5 bbox west > east: ' || ((swath_stac_item(id)->'bbox'->>0)::float8 > (swath_stac_item(id)->'bbox'->>2)::float8)
  FROM swaths WHERE filename = 'synth_eos5.nc';
SELECT 'items with a subset asset: ' || count(*) FROM swaths
 WHERE EXISTS (SELECT 1 FROM jsonb_object_keys(swath_stac_item(id)->'assets') k WHERE k LIKE 'subset:%');
SELECT 'items with a thumbnail: ' || count(*) FROM swaths
 WHERE swath_stac_item(id)->'assets'->'thumbnail'->>'type' = 'image/png';
SELECT 'items with a regional quicklook: ' || count(*) FROM swaths
 WHERE swath_stac_item(id)->'assets' ? 'quicklook:wind_speed:pacific';
SELECT 'unknown id: ' || coalesce(swath_stac_item(-1)::text, 'NULL');
SQL
cat "$WORK/stac.txt"
fail=0
grep -q '^eos5 bbox west > east: true$' "$WORK/stac.txt" || fail=1
grep -q '^unknown id: NULL$' "$WORK/stac.txt" || fail=1
grep -q '^items with a subset asset: [1-9]' "$WORK/stac.txt" || fail=1
grep -q '^items with a thumbnail: 1$' "$WORK/stac.txt" || fail=1
grep -q '^items with a regional quicklook: [1-9]' "$WORK/stac.txt" || fail=1
/usr/bin/python3 "$HERE/../stac/validate.py" "$WORK/stac/items.jsonl" || fail=1
exit $fail
