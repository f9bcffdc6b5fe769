#!/usr/bin/env bash
# test/bench/catalog.sh: the swath catalog at archive scale.
#
# Generates N (default 1,051,200) realistic swath rows: VIIRS-like 5-minute
# granules of a sun-synchronous polar orbit (98.7 deg, 101 min, 3000 km
# swath) over ten years, footprints as 6-vertex polygons along the track.
# Then, in one run: p50/p99 latency of swath_search() for a 500 km coastal
# region (a 250 km buffer around points of Africa's coast) and a one-month
# window, against the same queries written in plain PostGIS on the same
# table and the same index (ST_Intersects on the geography column and the
# same time-range condition, which the composite GiST index serves): the
# strongest fair peer, what a PostGIS user would write without eoswath.
# And the footprint computation time of every real granule.  Not a test.
# N=10512000 for the 10 M-row figure (100 years of one satellite: about 20
# minutes of generation on 2 busy cores; CI and make bench use 1 M).  Query
# months are drawn from the whole span the rows cover.  CATALOG_DATA=dir
# reruns the queries on the cluster of an earlier run kept with
# EOSWATH_KEEP=1 (dir is its bench/data).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ -n "${EOSWATH_BENCH_NO_BUILD:-}" ] || "$HERE/../install-deps.sh"
source "$HERE/../harness.sh"
source "$HERE/table.sh"
N=${N:-1051200}
QUERIES=${QUERIES:-200}
CLIENTS=${CLIENTS:-16}
CONC_THREADS=${CONC_THREADS:-2}
CONC_SECS=${CONC_SECS:-30}
GEN_JOBS=${GEN_JOBS:-2}
SHARED=${EOSWATH_SHARED:-$(cd "$HERE/../../.." && pwd)/shared}

[ -n "${EOSWATH_BENCH_NO_BUILD:-}" ] || build_and_install
if [ -n "${CATALOG_DATA:-}" ]; then
    # the cluster of an earlier run kept with EOSWATH_KEEP=1 (its bench/data,
    # owned by the test user): the queries again, on the same rows, with the
    # extension's library as now installed
    export PGDATA=$CATALOG_DATA PGHOST=$WORK/bench PGPORT=$((20000 + RANDOM % 20000))
    export PGUSER=$TEST_USER PGDATABASE=postgres
    mkdir -p "$PGHOST" && chown "$TEST_USER" "$PGHOST" "$WORK"
    as_user "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/bench/log" -w -t 900 \
        -o "-c unix_socket_directories='$PGHOST' -c port=$PGPORT" start >/dev/null
    cleanup_hooks+=("as_user '$PGBIN/pg_ctl' -D '$PGDATA' -m fast -w stop >/dev/null 2>&1")
    echo "== reusing $(psql_user -At -c "SELECT count(*) || ' rows, ' || pg_size_pretty(pg_total_relation_size('swaths')) FROM swaths") in $PGDATA"
else
    pg_start bench
    chown "$TEST_USER" "$WORK"
    psql_user -q -c "CREATE EXTENSION eoswath CASCADE" 2>/dev/null
    psql_user -q -c "ALTER SYSTEM SET shared_buffers = '2GB'" -c "ALTER SYSTEM SET max_wal_size = '8GB'" \
        -c "ALTER SYSTEM SET work_mem = '64MB'"
    pg_stop
    as_user "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/bench/log" -w start >/dev/null

    echo "== generating $N swath rows ($GEN_JOBS sessions)"
    t0=$(date +%s)
    # The orbit in closed form on a sphere of the Earth's mean radius: the
    # sub-satellite point t seconds after an ascending node at (0, 0) (circular
    # orbit, inclination 98.7 deg, period 101 min, Earth turning underneath), the
    # track's bearing between points, and the swath edges 1500 km either side
    # along great circles.  Plain float8 arithmetic, inlined by the planner:
    # 12x cheaper than ST_Project/ST_Azimuth on the spheroid, whose edges differ
    # from these by at most 6.6 km (0.4% of a footprint's area).
    psql_user -q <<'SQL'
CREATE SCHEMA gen;
CREATE FUNCTION gen.tlat(t float8) RETURNS float8 LANGUAGE sql IMMUTABLE
    RETURN asin(sin(radians(98.7)) * sin(2 * pi() * t / 6060));
CREATE FUNCTION gen.tlon(t float8) RETURNS float8 LANGUAGE sql IMMUTABLE
    RETURN atan2(cos(radians(98.7)) * sin(2 * pi() * t / 6060), cos(2 * pi() * t / 6060)) - 2 * pi() * t / 86164;
-- initial bearing from (la1, lo1) to (la2, lo2), radians
CREATE FUNCTION gen.az(la1 float8, lo1 float8, la2 float8, lo2 float8) RETURNS float8 LANGUAGE sql IMMUTABLE
    RETURN atan2(sin(lo2 - lo1) * cos(la2), cos(la1) * sin(la2) - sin(la1) * cos(la2) * cos(lo2 - lo1));
-- the point 1500 km from (la, lo) at bearing th: latitude (radians), longitude (degrees, unwrapped)
CREATE FUNCTION gen.dlat(la float8, th float8) RETURNS float8 LANGUAGE sql IMMUTABLE
    RETURN asin(sin(la) * cos(1500000 / 6371008.8) + cos(la) * sin(1500000 / 6371008.8) * cos(th));
CREATE FUNCTION gen.dlon(la float8, lo float8, th float8) RETURNS float8 LANGUAGE sql IMMUTABLE
    RETURN degrees(lo + atan2(sin(th) * sin(1500000 / 6371008.8) * cos(la),
                              cos(1500000 / 6371008.8) - sin(la) * sin(gen.dlat(la, th))));
CREATE FUNCTION gen.pt(la float8, lo float8, th float8) RETURNS geometry LANGUAGE sql IMMUTABLE
    RETURN ST_MakePoint(gen.dlon(la, lo, th) - 360 * floor((gen.dlon(la, lo, th) + 180) / 360),
                        degrees(gen.dlat(la, th)));
SQL
    # $GEN_JOBS sessions, each a contiguous range of i, into the indexed table
    # (as an archive's catalog grows).  session_replication_role = replica skips
    # the user triggers (no granule to open) and the foreign key checks: each
    # session inserts the object rows its swath rows point at first.
    gen_range() {
        psql_user -q <<SQL
SET client_min_messages = warning;
SET session_replication_role = replica;
-- every row points at its own object (swaths.oid is unique and a foreign
-- key): reserved catalog rows, no bytes (this cluster is thrown away)
INSERT INTO eoswath.objects (oid, state, policy)
SELECT (1000000000 + i)::bigint::wosoid, 'reserved', (SELECT min(name) FROM eoswath.policies)
  FROM generate_series($1, $2 - 1) i;
INSERT INTO swaths (filename, source, version, overpass, overpass_end, oid, orbit, shape)
SELECT format('VIIRS_NPP_%s.nc', to_char(t0, 'YYYYMMDD"T"HH24MISS')), 'VIIRS', '3.0',
       t0, t0 + interval '5 minutes', (1000000000 + i)::bigint::wosoid, (i::bigint * 300 / 6060)::int,
       ST_MakePolygon(ST_MakeLine(ARRAY[
           gen.pt(la0, lo0, az0 - pi() / 2), gen.pt(la1, lo1, az1 - pi() / 2),
           gen.pt(la2, lo2, az2 - pi() / 2), gen.pt(la2, lo2, az2 + pi() / 2),
           gen.pt(la1, lo1, az1 + pi() / 2), gen.pt(la0, lo0, az0 + pi() / 2),
           gen.pt(la0, lo0, az0 - pi() / 2)]))::geography
  FROM (SELECT *, gen.az(la0, lo0, la1, lo1) AS az0, gen.az(la0, lo0, la2, lo2) AS az1,
               gen.az(la1, lo1, la2, lo2) AS az2
          FROM (SELECT i, timestamptz '2015-01-01 00:00+00' + i * interval '5 minutes' AS t0,
                       gen.tlat(i * 300.0) AS la0, gen.tlon(i * 300.0) AS lo0,
                       gen.tlat(i * 300.0 + 150) AS la1, gen.tlon(i * 300.0 + 150) AS lo1,
                       gen.tlat(i * 300.0 + 300) AS la2, gen.tlon(i * 300.0 + 300) AS lo2
                  FROM generate_series($1, $2 - 1) i
                OFFSET 0) a   -- fences: each track point computed once, not per use
        OFFSET 0) b;
SQL
    }
    pids=()
    for ((j = 0; j < GEN_JOBS; j++)); do
        gen_range $(( N * j / GEN_JOBS )) $(( N * (j + 1) / GEN_JOBS )) & pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    psql_user -q -c "VACUUM ANALYZE swaths" -c "VACUUM ANALYZE eoswath.objects"
    echo "generated in $(( $(date +%s) - t0 )) s: $(psql_user -At -c "SELECT count(*) || ' rows, ' || pg_size_pretty(pg_total_relation_size('swaths')) FROM swaths")"
fi

echo "== swath_search against plain PostGIS ST_Intersects on the same index: $QUERIES queries each"
psql_user -q <<SQL
SET client_min_messages = warning;
-- points on Africa's coast; a query is a 250 km buffer (500 km across) and one month
CREATE TEMP TABLE coast (name text, lon float8, lat float8);
INSERT INTO coast VALUES ('Dakar', -17.4, 14.7), ('Abidjan', -4.0, 5.3), ('Lagos', 3.4, 6.4),
    ('Luanda', 13.2, -8.8), ('Walvis Bay', 14.5, -22.9), ('Cape Town', 18.4, -33.9),
    ('Durban', 31.0, -29.9), ('Maputo', 32.6, -25.9), ('Dar es Salaam', 39.3, -6.8),
    ('Mogadishu', 45.3, 2.0), ('Djibouti', 43.1, 11.6), ('Alexandria', 29.9, 31.2),
    ('Tunis', 10.2, 36.8), ('Casablanca', -7.6, 33.6), ('Nouadhibou', -17.0, 20.9);
SELECT setseed(0.42);
-- a plain table: the concurrent clients below read it too
DROP TABLE IF EXISTS qs;
CREATE TABLE qs AS
SELECT i AS q, ST_Buffer(ST_MakePoint(c.lon, c.lat)::geography, 250000) AS region,
       timestamptz '2015-01-01 00:00+00' + (floor(random() * nm))::int * interval '1 month' AS m
  FROM generate_series(1, $QUERIES) i,
       -- months drawn from all the whole months the data covers
       (SELECT (extract(year FROM a) * 12 + extract(month FROM a))::int AS nm
          FROM (SELECT age(max(overpass_end), timestamptz '2015-01-01 00:00+00') AS a FROM swaths) x) y,
       LATERAL (SELECT lon, lat FROM coast OFFSET floor(random() * 15 + i * 0)::int LIMIT 1) c;
ALTER TABLE qs ADD PRIMARY KEY (q);
ANALYZE qs;
CREATE TEMP TABLE lat (q int, mode text, ms float8, n bigint);
CREATE FUNCTION pg_temp.run(mode text, lim int) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE r record; t0 timestamptz; n bigint;
BEGIN
    FOR r IN SELECT * FROM qs ORDER BY q LIMIT lim LOOP
        t0 := clock_timestamp();
        EXECUTE 'SELECT count(*) FROM swath_search(\$1, \$2, \$2 + interval ''1 month'')' INTO n USING r.region, r.m;
        INSERT INTO lat VALUES (r.q, mode, extract(epoch FROM clock_timestamp() - t0) * 1000, n);
    END LOOP;
END \$\$;
CREATE FUNCTION pg_temp.run_postgis(lim int) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE r record; t0 timestamptz; n bigint;
BEGIN
    FOR r IN SELECT * FROM qs ORDER BY q LIMIT lim LOOP
        t0 := clock_timestamp();
        EXECUTE 'SELECT count(*) FROM swaths s WHERE ST_Intersects(s.shape, \$1)
                   AND tstzrange(s.overpass, coalesce(s.overpass_end, s.overpass), ''[]'')
                       && tstzrange(\$2, \$2 + interval ''1 month'', ''[)'')' INTO n USING r.region, r.m;
        INSERT INTO lat VALUES (r.q, 'postgis', extract(epoch FROM clock_timestamp() - t0) * 1000, n);
    END LOOP;
END \$\$;
-- every query once on each side first: at 10 M rows the table (7 GB) is
-- larger than shared_buffers, and the side timed first would otherwise
-- read the pages the other finds in the cache
SELECT pg_temp.run('warm-up', $QUERIES);
SELECT pg_temp.run_postgis($QUERIES);
DELETE FROM lat;
SELECT pg_temp.run('index', $QUERIES);
SELECT pg_temp.run_postgis($QUERIES);
-- both must agree on every answer
SELECT count(*) AS mismatches FROM lat a JOIN lat b USING (q) WHERE a.mode = 'index' AND b.mode = 'postgis' AND a.n <> b.n;
\pset footer off
SELECT mode, count(*) AS queries, round(avg(n)) AS avg_rows,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS p50_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS p95_ms,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 2) AS p99_ms
  FROM lat GROUP BY mode ORDER BY mode;
\pset tuples_only on
\pset format unaligned
\o $WORK/catalog.lat
SELECT mode, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2),
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 2)
  FROM lat GROUP BY mode ORDER BY mode;
\o
\pset format aligned
\pset tuples_only off
EXPLAIN (COSTS OFF) SELECT count(*) FROM swaths s WHERE ST_Intersects(s.shape, (SELECT region FROM qs WHERE q = 1))
   AND tstzrange(s.overpass, coalesce(s.overpass_end, s.overpass), '[]') && tstzrange('2016-01-01', '2016-02-01', '[)');
SELECT region AS r1, m AS m1 FROM qs WHERE q = 1 \gset
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*) FROM swath_search(:'r1'::geography, :'m1'::timestamptz, :'m1'::timestamptz + interval '1 month');
-- a region alone: the spatial index (the time-first one would read every entry)
EXPLAIN (COSTS OFF) SELECT count(*) FROM swath_search(:'r1'::geography);
SQL

chmod 644 "$WORK/catalog.lat" 2>/dev/null || true
rows=$(psql_user -At -c "SELECT count(*) FROM swaths")
read -r _ e50 e99 < <(grep '^index|' "$WORK/catalog.lat" | tr '|' ' ')
read -r _ p50 p99 < <(grep '^postgis|' "$WORK/catalog.lat" | tr '|' ' ')
bench_row "swath_search p50, $rows rows" "$e50 ms" "$p50 ms" "$(awk -v e="$e50" -v p="$p50" 'BEGIN { printf "%.2fx", p / e }')" \
    "plain PostGIS ST_Intersects + same time range, same GiST indexes, same answers"
bench_row "swath_search p99, $rows rows" "$e99 ms" "$p99 ms" "$(awk -v e="$e99" -v p="$p99" 'BEGIN { printf "%.2fx", p / e }')" \
    "plain PostGIS ST_Intersects + same time range, same GiST indexes, same answers"

echo "== $CLIENTS concurrent clients, $CONC_SECS s each: swath_search, then plain PostGIS"
# pgbench, simple protocol (values written into the SQL text, as psycopg2
# and most web stacks send them): each transaction picks one of the same
# $QUERIES queries at random (the same seed for both), reads its region and
# month from qs, then runs the search and counts the rows.
cat > "$WORK/q_eoswath.sql" <<'PGB'
\set q random(1, :nq)
SELECT region AS r, m FROM qs WHERE q = :q \gset
SELECT count(*) FROM swath_search(':r'::geography, ':m'::timestamptz, ':m'::timestamptz + interval '1 month');
PGB
cat > "$WORK/q_postgis.sql" <<'PGB'
\set q random(1, :nq)
SELECT region AS r, m FROM qs WHERE q = :q \gset
SELECT count(*) FROM swaths s WHERE ST_Intersects(s.shape, ':r'::geography)
   AND tstzrange(s.overpass, coalesce(s.overpass_end, s.overpass), '[]') && tstzrange(':m'::timestamptz, ':m'::timestamptz + interval '1 month', '[)');
PGB
chmod 644 "$WORK"/q_*.sql
for mode in eoswath postgis; do
    as_user "$PGBIN/pgbench" -n -c "$CLIENTS" -j "$CONC_THREADS" -T "$CONC_SECS" --random-seed=42 -D nq="$QUERIES" \
        -f "$WORK/q_$mode.sql" > "$WORK/pgbench.$mode" 2>&1 || { cat "$WORK/pgbench.$mode"; exit 1; }
    grep -E '^(number of transactions actually processed|latency average|tps)' "$WORK/pgbench.$mode" | sed "s/^/$mode: /"
done
tps_e=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/pgbench.eoswath")
tps_p=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/pgbench.postgis")
bench_row "swath_search, $CLIENTS clients, $rows rows" "$(printf '%.0f q/s' "$tps_e")" "$(printf '%.0f q/s' "$tps_p")" \
    "$(awk -v e="$tps_e" -v p="$tps_p" 'BEGIN { printf "%.2fx", e / p }')" \
    "plain PostGIS ST_Intersects + same time range, same indexes; pgbench -c $CLIENTS -j $CONC_THREADS, same queries and seed"

echo "== footprint computation per real granule (median of 5)"
psql_user -q <<SQL
SET client_min_messages = warning;
\pset footer off
CREATE TEMP TABLE fpt (f text, ms float8, parts int);
CREATE FUNCTION pg_temp.time_fp(f text) RETURNS void LANGUAGE plpgsql AS \$\$
DECLARE id wosoid := wos_put(pg_read_binary_file(f)); t0 timestamptz; g geography;
BEGIN
    FOR i IN 1..5 LOOP
        t0 := clock_timestamp();
        g := swath_footprint(id);
        INSERT INTO fpt VALUES (f, extract(epoch FROM clock_timestamp() - t0) * 1000, ST_NumGeometries(g::geometry));
    END LOOP;
END \$\$;
SELECT count(pg_temp.time_fp(f)) AS granules FROM pg_ls_dir('$SHARED/data/swaths') d, LATERAL (SELECT '$SHARED/data/swaths/' || d AS f) x
 WHERE d !~ '\.md$';
SELECT regexp_replace(f, '^.*/', '') AS granule, (pg_stat_file(f)).size AS bytes, max(parts) AS parts,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS ms
  FROM fpt GROUP BY f ORDER BY 1;
SQL
