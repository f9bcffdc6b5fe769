#!/usr/bin/env bash
# test/bench/blocks.sh: what block checksums cost, in one run.
#
#  1. put and get throughput (objbench: wos_put / wos_get of one bytea
#     through libpq, default policy, 1 copy) of objects with block checksums
#     (eoswath.block_size = 4MB, the default) against objects with the
#     whole-object checksum only (eoswath.block_size = 0, the 0.1.0 rule),
#     the two alternating round by round so that the load of the machine
#     hits both alike; medians.  Goal: under 5% slower.  Both with the
#     digests on the hash threads (eoswath.hash_thread = on, the
#     default) and on the backend's own thread (off); the backend's CPU
#     seconds say what the second pass costs where no core is spare.
#  2. wos_verify() of one object (the scrub's inner loop: read the copy,
#     check every block) against sha256sum and openssl dgst -sha256 of the
#     same copy file, page cache warm for all three; medians.  Goal: at
#     least 0.8x sha256sum.
#
# Prints MiB/s and ratios.  Not a test: nothing here fails on speed.
#
#   test/bench/blocks.sh [SIZE_MIB]     default: 256 (ROUNDS=7)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
"$HERE/../install-deps.sh"
source "$HERE/../harness.sh"
MIB=${1:-256}
ROUNDS=${ROUNDS:-7}

build_and_install
gcc -O2 -o "$WORK/objbench" "$HERE/objbench.c" -I"$(pg_config --includedir)" -lpq
pg_start bench
as_user "$PGBIN/psql" -X -q -c "CREATE EXTENSION eoswath CASCADE" \
    -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "SELECT pg_reload_conf()" >/dev/null
CONN="host=$PGHOST port=$PGPORT dbname=postgres user=$TEST_USER"
SITE=$(as_user "$PGBIN/psql" -X -At -c "SELECT location FROM eoswath.sites WHERE name = 'local'")
[[ $SITE = /* ]] || SITE=$PGDATA/$SITE
# objbench with a block size for the session (PGOPTIONS reaches the backend)
# (OBJBENCH_CPU: each figure is "seconds backend-CPU-seconds", medians)
# CONF: BLOCKSIZE:HASHTHREAD, e.g. 4MB:on
bench() {
    local conf=$1; shift
    as_user env OBJBENCH_CPU=1 PGOPTIONS="-c eoswath.block_size=${conf%:*} -c eoswath.hash_thread=${conf#*:}" \
        "$WORK/objbench" "$CONN" "$@"
}
CONFS=(4MB:on 0:on 4MB:off 0:off)
sql() { as_user "$PGBIN/psql" -X -At -v ON_ERROR_STOP=1 -c "$1"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
secs() { local s; s=$(date +%s.%N); "$@" >/dev/null; echo "$(date +%s.%N) - $s" | bc; }
# seconds a statement takes in the server (psql's \timing, no connection set-up)
sql_secs() {
    as_user "$PGBIN/psql" -X -At -v ON_ERROR_STOP=1 -c '\timing on' -c "$1" |
        sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | awk '{ print $1 / 1000 }'
}

f=$WORK/data.$MIB
head -c $((MIB * 1024 * 1024)) /dev/urandom > "$f"
chmod 644 "$f"

# ---- 1. put and get, alternating
declare -A keep
for c in "${CONFS[@]}"; do
    : > "$WORK/put.$c"; : > "$WORK/get.$c"
    bench "$c" put-wos "$f" 1 >/dev/null 2>"$WORK/id"      # warm-up, and the object gets read
    keep[$c]=$(tail -1 "$WORK/id")
done
for r in $(seq "$ROUNDS"); do
    for c in "${CONFS[@]}"; do
        bench "$c" put-wos "$f" 1 2>"$WORK/id" >> "$WORK/put.$c"
        sql "SELECT wos_delete('$(tail -1 "$WORK/id")')" >/dev/null
        bench "$c" get-wos "${keep[$c]}" 1 >> "$WORK/get.$c"
    done
done
sql "SELECT oid, block_size, length(block_sha256) FROM eoswath.objects WHERE oid IN ('${keep[4MB:on]}', '${keep[0:on]}')" |
    sed 's/^/object|block_size|digest bytes: /'
row() {
    local op=$1 t=$2 with without cwith cwithout
    with=$(cut -d' ' -f1 "$WORK/$op.4MB:$t" | median)
    without=$(cut -d' ' -f1 "$WORK/$op.0:$t" | median)
    cwith=$(cut -d' ' -f2 "$WORK/$op.4MB:$t" | median)
    cwithout=$(cut -d' ' -f2 "$WORK/$op.0:$t" | median)
    printf "%-4s %-4s %8.0f MiB/s %8.0f MiB/s   cost %+6.1f%%   backend CPU %5.2f s %5.2f s   cost %+6.1f%%\n" "$op" "$t" \
        "$(echo "$MIB / $with" | bc -l)" "$(echo "$MIB / $without" | bc -l)" \
        "$(echo "($with / $without - 1) * 100" | bc -l)" \
        "$cwith" "$cwithout" "$(echo "($cwith / $cwithout - 1) * 100" | bc -l)"
}
echo "== ${MIB} MiB objects, median of $ROUNDS alternating rounds (load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf "%-4s %-4s %14s %14s %13s %30s\n" op hash "block 4MB" "whole only" "" "block 4MB / whole only"
for t in on off; do row put $t; done
for t in on off; do row get $t; done

# ---- 2. verify against sha256sum and openssl of the same file
id=${keep[4MB:on]}
copy=$(find "$SITE" -name "$id" -type f)
for _ in 1 2; do cat "$copy" > /dev/null; done            # page cache warm
: > "$WORK/t.verify"; : > "$WORK/t.sha256sum"; : > "$WORK/t.openssl"
for r in $(seq "$ROUNDS"); do
    sql_secs "SELECT count(*) FROM wos_verify('$id', repair => false) WHERE status = 'ok'" >> "$WORK/t.verify"
    secs sha256sum "$copy" >> "$WORK/t.sha256sum"
    secs openssl dgst -sha256 "$copy" >> "$WORK/t.openssl"
done
[ "$(sql "SELECT count(*) FROM wos_verify('$id', repair => false) WHERE status = 'ok'")" = 1 ] ||
    { echo "wos_verify did not find the copy intact" >&2; exit 1; }
tv=$(median < "$WORK/t.verify"); ts=$(median < "$WORK/t.sha256sum"); to=$(median < "$WORK/t.openssl")
echo "== wos_verify() of one ${MIB} MiB object, median of $ROUNDS"
printf "wos_verify      %8.0f MiB/s\n" "$(echo "$MIB / $tv" | bc -l)"
printf "sha256sum       %8.0f MiB/s   wos_verify / sha256sum = %.2fx\n" "$(echo "$MIB / $ts" | bc -l)" "$(echo "$ts / $tv" | bc -l)"
printf "openssl sha256  %8.0f MiB/s   wos_verify / openssl   = %.2fx\n" "$(echo "$MIB / $to" | bc -l)" "$(echo "$to / $tv" | bc -l)"
echo "cost = time with block checksums / time with the whole-object checksum only - 1"
echo "hash: eoswath.hash_thread (on: both digests on the hash threads; off: all on the backend thread)"
echo "backend CPU: user + system seconds of the server process for the statement (/proc), both threads"
