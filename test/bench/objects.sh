#!/usr/bin/env bash
# test/bench/objects.sh: object put/get throughput, in one run, against
# PostgreSQL large objects (lo_from_bytea / lo_get, same client, same binary
# protocol) and against a plain cp (+ fsync) of the same bytes to the same
# disk.  Prints MiB/s and ratios.  Not a test: nothing here fails on speed.
#
#   test/bench/objects.sh [SIZES_MIB...]     default: 1 64 512
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
"$HERE/../install-deps.sh"
source "$HERE/../harness.sh"
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1 64 512)
REPS=${REPS:-3}

build_and_install
gcc -O2 -o "$WORK/objbench" "$HERE/objbench.c" -I"$(pg_config --includedir)" -lpq
pg_start bench
as_user "$PGBIN/psql" -X -q -c "CREATE EXTENSION eoswath CASCADE" \
    -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "SELECT pg_reload_conf()" >/dev/null
CONN="host=$PGHOST port=$PGPORT dbname=postgres user=$TEST_USER"
SITE=$(as_user "$PGBIN/psql" -X -At -c "SELECT location FROM eoswath.sites WHERE name = 'local'")
bench() { as_user "$WORK/objbench" "$CONN" "$@"; }
row() {
    printf "%-8s %-4s %7.0f MiB/s %7.0f MiB/s %7.0f MiB/s %7.0f MiB/s %7.2fx %7.2fx %7.2fx\n" "$1" "$2" \
        "$(echo "$mib / $wos" | bc -l)" "$(echo "$mib / $lo" | bc -l)" \
        "$(echo "$mib / $cp_med" | bc -l)" "$(echo "$mib / $wire" | bc -l)" \
        "$(echo "$lo / $wos" | bc -l)" "$(echo "$cp_med / $wos" | bc -l)" "$(echo "$wire / $wos" | bc -l)"
}

printf "%-8s %-4s %12s %12s %12s %12s %8s %8s %8s\n" size op "eoswath" "large obj" "cp" "wire" "vs lo" "vs cp" "vs wire"
for mib in "${SIZES[@]}"; do
    f=$WORK/data.$mib
    head -c $((mib * 1024 * 1024)) /dev/urandom > "$f"
    chmod 644 "$f"
    # put
    wire=$(bench put-wire "$f" "$REPS" 2>/dev/null)
    wos=$(bench put-wos "$f" "$REPS" 2>"$WORK/ids")
    wid=$(tail -1 "$WORK/ids")
    lo=$(bench put-lo "$f" "$REPS" 2>"$WORK/ids")
    lid=$(tail -1 "$WORK/ids")
    cpt=()
    for _ in $(seq "$REPS"); do
        s=$(date +%s.%N)
        as_user cp "$f" "$SITE/bench.cp" && as_user sync "$SITE/bench.cp"
        cpt+=($(echo "$(date +%s.%N) - $s" | bc))
        rm -f "$SITE/bench.cp"
    done
    cp_med=$(printf '%s\n' "${cpt[@]}" | sort -n | sed -n "$(( (REPS + 1) / 2 ))p")
    row "${mib}MiB" put
    # get (page cache warm for all three)
    wire=$(bench get-wire "$f" "$REPS")
    wos=$(bench get-wos "$wid" "$REPS")
    lo=$(bench get-lo "$lid" "$REPS")
    obj=$(find "$SITE" -name "$wid")
    cpt=()
    for _ in $(seq "$REPS"); do
        s=$(date +%s.%N)
        as_user cp "$obj" /dev/null
        cpt+=($(echo "$(date +%s.%N) - $s" | bc))
    done
    cp_med=$(printf '%s\n' "${cpt[@]}" | sort -n | sed -n "$(( (REPS + 1) / 2 ))p")
    row "${mib}MiB" get
    rm -f "$f"
done
echo "median of $REPS runs; 'vs X' = eoswath speed / X's speed."
echo "wire: the same bytes through libpq alone (put: SELECT length(\$1); get: pg_read_binary_file), the floor for any in-database store"
