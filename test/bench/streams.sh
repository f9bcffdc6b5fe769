#!/usr/bin/env bash
# test/bench/streams.sh: throughput and memory of the streaming paths.
#
# In one run, on a throwaway cluster (fsync on, like production):
#   1. CLI put / get of a 2 GiB file against cp to the store's disk (+ fsync)
#      and against psql's \lo_import / \lo_export;
#   2. wos_stream_get(..., decompress => true) against zcat of the same gzip
#      file (gzip -1 of the 2 GiB file);
#   3. the backend's peak memory (VmHWM in /proc/<pid>/status, which counts
#      the shared buffers it touched too) during a 4 GiB put and get through
#      the CLI; target: under 64 MiB.
# A benchmark, not a test: it prints figures and ratios.  Needs ~16 GB of
# free space in /tmp.  BENCH_MIB=2048 and MEM_MIB=4096 change the sizes.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
source "$HERE/harness.sh"

SIZE=$(( ${BENCH_MIB:-2048} * 1048576 ))
MEMSIZE=$(( ${MEM_MIB:-4096} * 1048576 ))

build_and_install >/dev/null
pg_start bench
export PATH="$PGBIN:$PATH"
psql_q() { "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
psql_q -c 'CREATE EXTENSION eoswath CASCADE' >/dev/null 2>&1
chmod 755 "$WORK"

# seconds taken by a command
secs() {
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
rate() { awk -v s="$1" -v t="$2" 'BEGIN { printf "%.0f MiB/s", s / 1048576 / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
gen() { (openssl enc -aes-128-ctr -pass pass:bench -nosalt -pbkdf2 < /dev/zero 2>/dev/null || true) | head -c "$1"; }
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }

SITE=$(psql_q -c "SELECT location FROM wos_sites WHERE name = 'local'")
SRC=$WORK/src.bin
gen "$SIZE" > "$SRC"
echo "== data: $(numfmt --to=iec-i --suffix=B "$SIZE") pseudo-random, cluster fsync=on, $(nproc) CPUs"

# ---- 1. put and get of a file
drop_caches
t_cp_in=$(secs bash -c "cp '$SRC' '$SITE/bench-cp' && sync '$SITE/bench-cp'")
rm -f "$SITE/bench-cp"
drop_caches
t_put=$(secs bash -c "eoswath put -q '$SRC' > '$WORK/id'")
ID=$(cat "$WORK/id")
COPY=$(find "$SITE" -name "$ID")
drop_caches
t_lo_in=$(secs psql_q -c "\\lo_import '$SRC'")
LO=$(psql_q -c "SELECT max(oid) FROM pg_largeobject_metadata")

drop_caches
t_cp_out=$(secs bash -c "cp '$COPY' '$WORK/out-cp' && sync '$WORK/out-cp'")
rm -f "$WORK/out-cp"
drop_caches
t_get=$(secs bash -c "eoswath get -q '$ID' -o '$WORK/out-cli'")
cmp -s "$SRC" "$WORK/out-cli" || { echo "CLI get returned different bytes"; exit 1; }
rm -f "$WORK/out-cli"
drop_caches
t_lo_out=$(secs bash -c "'$PGBIN/psql' -X -q -v ON_ERROR_STOP=1 -c '\\lo_export $LO $WORK/out-lo' && sync '$WORK/out-lo'")
rm -f "$WORK/out-lo"
psql_q -c "SELECT lo_unlink($LO)" >/dev/null

echo "== 1. put / get of the file"
printf '%-34s %7s s  %s\n' "cp to the store's disk + fsync" "$t_cp_in" "$(rate "$SIZE" "$t_cp_in")"
printf '%-34s %7s s  %s\n' "eoswath put" "$t_put" "$(rate "$SIZE" "$t_put")"
printf '%-34s %7s s  %s\n' "psql \\lo_import" "$t_lo_in" "$(rate "$SIZE" "$t_lo_in")"
printf '%-34s %7s s  %s\n' "cp from the store + fsync" "$t_cp_out" "$(rate "$SIZE" "$t_cp_out")"
printf '%-34s %7s s  %s\n' "eoswath get -o" "$t_get" "$(rate "$SIZE" "$t_get")"
printf '%-34s %7s s  %s\n' "psql \\lo_export" "$t_lo_out" "$(rate "$SIZE" "$t_lo_out")"
echo "ratio put/cp $(ratio "$t_put" "$t_cp_in"), put/lo_import $(ratio "$t_put" "$t_lo_in")," \
     "get/cp $(ratio "$t_get" "$t_cp_out"), get/lo_export $(ratio "$t_get" "$t_lo_out") (time; lower is faster)"
psql_q -c "SELECT wos_delete('$ID')" >/dev/null

# ---- 2. decompression on the server against zcat
gzip -1 -c "$SRC" > "$WORK/src.gz"
rm -f "$SRC"
GZ=$(eoswath put -q "$WORK/src.gz")
t_zcat=$(secs bash -c "zcat '$WORK/src.gz' > /dev/null")
t_inflate=$(secs psql_q -c "SELECT sum(length(c)) FROM (SELECT wos_stream_get('$GZ', NULL, true)) t(c)")
t_cli_inflate=$(secs bash -c "eoswath get -q '$GZ' --decompress > /dev/null")
echo "== 2. gzip -1 file of $(numfmt --to=iec-i --suffix=B "$(stat -c %s "$WORK/src.gz")"), inflated (warm cache)"
printf '%-34s %7s s\n' "zcat > /dev/null" "$t_zcat"
printf '%-34s %7s s\n' "wos_stream_get(decompress) in SQL" "$t_inflate"
printf '%-34s %7s s\n' "eoswath get --decompress" "$t_cli_inflate"
echo "ratio wos_stream_get/zcat $(ratio "$t_inflate" "$t_zcat"), CLI/zcat $(ratio "$t_cli_inflate" "$t_zcat")"
psql_q -c "SELECT wos_delete('$GZ')" >/dev/null
rm -f "$WORK/src.gz"

# ---- 3. backend peak memory through a 4 GiB put and get
# the VmHWM of the CLI's backend, sampled until it exits
watch_hwm() {
    local pid="" hwm=0 v
    while [ -z "$pid" ]; do
        pid=$(psql_q -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'eoswath' LIMIT 1")
        sleep 0.05
    done
    while v=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null); [ -n "$v" ]; do
        hwm=$v
        sleep 0.2
    done
    echo "$hwm"
}
base=$(psql_q -c "SELECT 1" -c "SELECT substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\\s+(\\d+) kB')" | tail -1)
watch_hwm > "$WORK/hwm-put" &
t_put4=$(secs bash -c "set -o pipefail; (openssl enc -aes-128-ctr -pass pass:m -nosalt -pbkdf2 < /dev/zero 2>/dev/null; true) | head -c $MEMSIZE | eoswath put -q - > '$WORK/id4'")
wait
ID4=$(cat "$WORK/id4")
watch_hwm > "$WORK/hwm-get" &
t_get4=$(secs bash -c "eoswath get -q '$ID4' > /dev/null")
wait
echo "== 3. backend peak memory (VmHWM), $(numfmt --to=iec-i --suffix=B "$MEMSIZE") through the CLI"
echo "idle backend after one query: ${base} kB"
echo "put (stdin, pipelined writes): $(cat "$WORK/hwm-put") kB  ($t_put4 s)"
echo "get (wos_stream_get, 64 KiB chunks): $(cat "$WORK/hwm-get") kB  ($t_get4 s)"
psql_q -c "SELECT wos_delete('$ID4')" >/dev/null
