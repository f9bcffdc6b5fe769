#!/usr/bin/env bash
# test/bench/footprint.sh: swath footprints against a Python/shapely peer.
#
# For each real granule in ../shared/data/swaths (MANIFEST.md): the time of
# swath_footprint(id) (what swath_register() computes: the helper parses the
# stored object in place, builds the segment rings on the sphere, and
# eoswath.footprint_from_parts() unions them and cuts them at the
# antimeridian) against test/bench/footprint_peer.py on the same bytes: the
# whole lat/lon arrays read with python3-netcdf4, an edge walk per 500 km of
# rows (a corridor for tracks) in shapely, cut at the antimeridian and
# unioned.  The peer is told the variable pairs eoswath found
# (swath_geolocation), so it does no searching.  Both deliver a valid
# (Multi)Polygon in the memory of the process that computed it; neither
# figure includes starting a process.  Median of REPS (default 5) calls each
# after one warm-up call.
#
# Quality: the area of the symmetric difference of the two polygons relative
# to eoswath's area (PostGIS, areas in EASE-Grid 2.0 (EPSG:6933), which is
# equal-area), and which side the difference is on.  Not a test: nothing
# here fails on speed or on the difference.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ -n "${EOSWATH_BENCH_NO_BUILD:-}" ] || "$HERE/../install-deps.sh"
source "$HERE/../harness.sh"
source "$HERE/table.sh"
[ -n "${EOSWATH_BENCH_NO_BUILD:-}" ] || build_and_install
REPS=${REPS:-5}
GRANULES=${EOSWATH_GRANULES:-${EOSWATH_SHARED:-$(cd "$HERE/../../.." && pwd)/shared}/data/swaths}

pg_start bench
chown "$TEST_USER" "$WORK"     # psql, as the test user, writes rows.tsv there
psql_user -q -c "CREATE EXTENSION eoswath CASCADE" 2>/dev/null
psql_user -q <<'SQL'
CREATE TABLE fp (f text PRIMARY KEY, id wosoid, name text, ms float8, g geography);
CREATE TABLE peer (f text PRIMARY KEY, ms float8, wkb text);
-- median of n calls after one warm-up; keeps the last footprint
CREATE FUNCTION time_fp(file text, n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE oid wosoid := (SELECT fp.id FROM fp WHERE fp.f = file); t0 timestamptz; fg geography; times float8[];
BEGIN
    fg := swath_footprint(oid);
    FOR i IN 1..n LOOP
        t0 := clock_timestamp();
        fg := swath_footprint(oid);
        times := times || extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
    END LOOP;
    UPDATE fp SET g = fg, ms = (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(times) x)
     WHERE fp.f = file;
END $$;
SQL

short_name() {
    case "$1" in
        ascat*) echo "ASCAT (full orbit, 0..360)" ;;
        JA1*) echo "Jason-1 GDR (1 Hz + 20 Hz tracks)" ;;
        S5P*) echo "S5P CH4 (full orbit, both poles)" ;;
        S6A*) echo "Sentinel-6 (1-D track)" ;;
        SS_VIIRS*) echo "VIIRS L2P (1.0 M pixels)" ;;
        GPM*) echo "GPM 2ADPR (HDF5, FS + HS)" ;;
        *) echo "$1" | cut -c1-30 ;;
    esac
}

mkdir -p "$WORK/g"
: > "$WORK/pairs"
for src in "$GRANULES"/*; do
    case "$src" in *.nc|*.nc4|*.h5|*.HDF5|*.hdf5) ;; *) continue ;; esac
    b=$(basename "$src")
    f=$WORK/g/$b
    cp "$src" "$f"
    chmod 644 "$f"
    psql_user -q -v f="$f" -v name="$(short_name "$b")" <<<"INSERT INTO fp (f, id, name) SELECT :'f', wos_put(pg_read_binary_file(:'f')), :'name'"
    # the pairs eoswath uses, for the peer: file, group, lat, lon
    psql_user -qAt -F $'\t' -v f="$f" >> "$WORK/pairs" \
        <<<"SELECT :'f', \"group\", lat_var, lon_var FROM swath_geolocation((SELECT id FROM fp WHERE f = :'f')) WHERE used"
done
chmod 666 "$WORK/pairs"
[ -s "$WORK/pairs" ] || { echo "no granules in $GRANULES (set EOSWATH_GRANULES)" >&2; exit 1; }

echo "== eoswath: swath_footprint(id), median of $REPS"
for f in $(psql_user -qAt -c "SELECT f FROM fp ORDER BY f"); do
    psql_user -q -v f="$f" <<<"SELECT time_fp(:'f', $REPS)" >/dev/null
done
echo "== peer: footprint_peer.py (netCDF4 + shapely), median of $REPS"
env "$BENCH_PEER_TUNABLES" /usr/bin/python3 "$HERE/footprint_peer.py" "$REPS" "$WORK/peer.tsv" < "$WORK/pairs"
chmod 644 "$WORK/peer.tsv"
psql_user -q -c "\\copy peer FROM '$WORK/peer.tsv'"

psql_user -q <<SQL
\pset footer off
CREATE TABLE cmp AS
SELECT fp.name, fp.ms AS e_ms, peer.ms AS p_ms, e, p, ST_IsValid(p) AS p_valid,
       ST_NumGeometries(e) AS e_parts, ST_NumGeometries(p) AS p_parts,
       ST_NPoints(e) AS e_points, ST_NPoints(p) AS p_points
  FROM fp JOIN peer USING (f),
       LATERAL (SELECT fp.g::geometry AS e, ST_GeomFromEWKB(decode(peer.wkb, 'hex')) AS p) x;
-- equal-area planar areas (km^2) of lon/lat polygons; edges split at 0.5 deg
CREATE FUNCTION km2(g geometry) RETURNS float8 LANGUAGE sql IMMUTABLE
    RETURN ST_Area(ST_Transform(ST_Segmentize(g, 0.5), 6933)) / 1e6;
CREATE TABLE q AS
SELECT name, e_ms, p_ms, e_parts, p_parts, e_points, p_points, p_valid, km2(e) AS e_km2, km2(p) AS p_km2,
       km2(ST_Difference(e, p)) AS e_only, km2(ST_Difference(p, e)) AS p_only
  FROM cmp;
SELECT name AS granule, round(e_ms::numeric, 1) AS eoswath_ms, round(p_ms::numeric, 1) AS peer_ms,
       round((p_ms / e_ms)::numeric, 2) AS ratio, e_parts || '/' || e_points AS "eoswath parts/pts",
       p_parts || '/' || p_points AS "peer parts/pts", p_valid AS "peer valid",
       round(e_km2) AS eoswath_km2, round(p_km2) AS peer_km2,
       round((100 * e_only / e_km2)::numeric, 2) AS "% eoswath only",
       round((100 * p_only / e_km2)::numeric, 2) AS "% peer only"
  FROM q ORDER BY name;
\pset tuples_only on
\pset format unaligned
\pset fieldsep '\t'
\o $WORK/rows.tsv
SELECT name, round(e_ms::numeric, 1), round(p_ms::numeric, 1), round((p_ms / e_ms)::numeric, 2),
       round((100 * (e_only + p_only) / e_km2)::numeric, 1), round((100 * p_only / e_km2)::numeric, 1)
  FROM q ORDER BY name;
SELECT 'all ' || count(*) || ' granules (sum)', round(sum(e_ms)::numeric, 1), round(sum(p_ms)::numeric, 1),
       round((sum(p_ms) / sum(e_ms))::numeric, 2),
       round((100 * sum(e_only + p_only) / sum(e_km2))::numeric, 1), round((100 * sum(p_only) / sum(e_km2))::numeric, 1)
  FROM q;
\o
SQL
chmod 644 "$WORK/rows.tsv" 2>/dev/null || true
echo "sym. diff.: area of the symmetric difference / eoswath's area; peer only: the part of it the peer covers and eoswath not"
while IFS=$'\t' read -r name e p ratio sym ponly; do
    bench_row "footprint, $name" "$e ms" "$p ms" "${ratio}x" \
        "Python: netCDF4 read, shapely edge walk per 500 km, cut at 180, union (what a user writes); sym. diff. $sym%, peer only $ponly%"
done < "$WORK/rows.tsv"
