#!/usr/bin/env bash
# test/bench/granule.sh: what parsing granules in the confined helper costs.
#
# For each real granule in ../shared/data/swaths and each operation, the
# time of one call through SQL (the backend asks the helper, which forks a
# confined child that parses; the SQL function's own work is included)
# against the same parse in one process with neither fork, sandbox nor
# protocol (eoswath-granule --bench: the in-process path of 0.1.0, same
# library code).  The peer is the strongest one: the bare library call on
# the same bytes, warm.  REPS (default 20) calls each; medians of ROUNDS
# (default 3) rounds.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ -n "${EOSWATH_BENCH_NO_BUILD:-}" ] || "$HERE/../install-deps.sh"
source "$HERE/../harness.sh"
source "$HERE/table.sh"
[ -n "${EOSWATH_BENCH_NO_BUILD:-}" ] || build_and_install
REPS=${REPS:-20}
ROUNDS=${ROUNDS:-3}
GRANULES=${EOSWATH_GRANULES:-${EOSWATH_SHARED:-$(cd "$HERE/../../.." && pwd)/shared}/data/swaths}
HELPER=$("$PG_CONFIG" --pkglibdir)/eoswath-granule
pg_start bench
psql_user -q -c "CREATE EXTENSION eoswath CASCADE" 2>/dev/null
psql_user -q <<'SQL'
CREATE FUNCTION bench_ms(id wosoid, op text, n int) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
  t0 := clock_timestamp();
  FOR i IN 1..n LOOP
    CASE op
      WHEN 'describe' THEN PERFORM * FROM swath_geolocation(id);
      WHEN 'footprint' THEN PERFORM swath_footprint_wkb(id);
      WHEN 'subset' THEN PERFORM length(eoswath.swath_subset_wkb(id,
          decode('0103000000010000000500000000000000008066c000000000008056c0000000000080664000000000008056c00000000000806640000000000080564000000000008066c0000000000080564000000000008066c000000000008056c0', 'hex'),
          4326, false, NULL));
    END CASE;
  END LOOP;
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1000 / n;
END $$;
SQL

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

mkdir -p "$WORK/g"
ngranules=0
printf '%-28s %-9s %10s %10s %8s %9s\n' granule op "in-proc" helper ratio "+ms/call"
for f in "$GRANULES"/*.nc "$GRANULES"/*.nc4 "$GRANULES"/*.HDF5; do
    [ -f "$f" ] || continue
    name=$(basename "$f" | cut -c1-28)
    ngranules=$((ngranules + 1))
    cp "$f" "$WORK/g/granule"
    chmod 644 "$WORK/g/granule"
    id=$(psql_user -qAt -c "SELECT wos_put(pg_read_binary_file('$WORK/g/granule'))")
    for op in describe footprint subset; do
        reps=$REPS
        [ "$op" = describe ] || reps=$(( (REPS + 3) / 4 ))
        psql_user -qAt -c "SELECT bench_ms('$id', '$op', 1)" >/dev/null    # helper warm
        inproc=$(for r in $(seq "$ROUNDS"); do env "$BENCH_PEER_TUNABLES" "$HELPER" --bench "$op" "$WORK/g/granule" "$reps"; done | median)
        sql=$(for r in $(seq "$ROUNDS"); do psql_user -qAt -c "SELECT round(bench_ms('$id', '$op', $reps), 3)"; done | median)
        awk -v n="$name" -v o="$op" -v a="$inproc" -v b="$sql" \
            'BEGIN { printf "%-28s %-9s %10.2f %10.2f %8.2f %9.2f\n", n, o, a, b, b / a, b - a }'
        echo "$op $inproc $sql" >> "$WORK/sums"
    done
done
for op in describe footprint subset; do
    read -r a b < <(awk -v o="$op" '$1 == o { a += $2; b += $3 } END { printf "%.1f %.1f\n", a, b }' "$WORK/sums")
    bench_row "granule $op, $ngranules real granules" "$b ms" "$a ms" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", a / b }')" \
        "the same library call in one process: no fork, sandbox or protocol (sum of medians)"
done
