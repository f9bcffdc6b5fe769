#!/usr/bin/env bash
# test/bench/objects.sh: single-object put and get, against the strongest
# fair peers, all measured in one run, each timed inside one process (no
# process start-up in any figure):
#
#   client path (bytes through libpq, binary): wos_put / wos_get against
#     lo_from_bytea / lo_get (large objects: the same client, protocol and
#     durability: both durable at commit) and against the wire alone (the
#     same bytes sent and dropped, or a plain file sent back);
#   server path (the server reads or writes a file): wos_put_file /
#     wos_get_file against lo_import / lo_export (+ fsync of the exported
#     file, which wos_get_file does too);
#   the disk: a read/write loop with fsync of the same bytes to the store's
#     disk (put; through the page cache or with O_DIRECT, the faster), a
#     read of the stored copy into memory (get).
#
# Prints MiB/s and make bench's rows.  Not a test: nothing fails on speed.
#
#   test/bench/objects.sh [SIZES_MIB...]     default: 1 64 512
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
"$HERE/../install-deps.sh"
source "$HERE/../harness.sh"
source "$HERE/table.sh"
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1 64 512)
REPS=${REPS:-3}

[ -n "${EOSWATH_BENCH_NO_BUILD:-}" ] || build_and_install
gcc -O2 -o "$WORK/objbench" "$HERE/objbench.c" -I"$(pg_config --includedir)" -lpq
pg_start bench
as_user "$PGBIN/psql" -X -q -c "CREATE EXTENSION eoswath CASCADE" \
    -c "ALTER SYSTEM SET max_wal_size = '8GB'" -c "SELECT pg_reload_conf()" >/dev/null 2>&1
CONN="host=$PGHOST port=$PGPORT dbname=postgres user=$TEST_USER"
SITE=$(as_user "$PGBIN/psql" -X -At -c "SELECT location FROM eoswath.sites WHERE name = 'local'")
case $SITE in /*) ;; *) SITE=$PGDATA/$SITE ;; esac
bench() { as_user "$WORK/objbench" "$CONN" "$@"; }
mkdir -p "$WORK/out"
chown "$TEST_USER" "$WORK/out"

printf "%-6s %-4s %-6s %14s %14s %14s %14s\n" size op path eoswath "large obj" "disk" "wire"
for mib in "${SIZES[@]}"; do
    f=$WORK/data.$mib
    bytes=$((mib * 1048576))
    head -c "$bytes" /dev/urandom > "$f"
    chmod 644 "$f"
    r() { bench_rate "$bytes" "$1"; }
    # ---- put, client path
    wire=$(bench put-wire "$f" "$REPS" 2>/dev/null)
    wos=$(bench put-wos "$f" "$REPS" 2>"$WORK/ids"); wid=$(tail -1 "$WORK/ids")
    lo=$(bench put-lo "$f" "$REPS" 2>"$WORK/ids"); lid=$(tail -1 "$WORK/ids")
    # each put writes a new copy file into pages free for a while; the loop
    # would rewrite the file it removed a moment ago, into pages that are
    # 2-3 times faster to write on a VM with free page reporting (objbench.c)
    # the faster of the loop through the page cache and the O_DIRECT one
    cp_loop() { as_user env OBJBENCH_SETTLE="${BENCH_SETTLE:-5}" "$WORK/objbench" "$CONN" "$1" "$f" "$SITE/bench.cp" "$REPS"; }
    disk=$(bench_faster "$(cp_loop cp-fsync)" "$(cp_loop cp-direct)")
    printf "%-6s %-4s %-6s %14s %14s %14s %14s\n" "${mib}M" put client "$(r "$wos")" "$(r "$lo")" "$(r "$disk")" "$(r "$wire")"
    bench_row "put ${mib} MiB, client (wos_put)" "$(r "$wos")" "$(r "$lo")" "$(bench_ratio_t "$wos" "$lo")" \
        "lo_from_bytea: same client, binary protocol, durable at commit"
    bench_row "put ${mib} MiB, client vs disk" "$(r "$wos")" "$(r "$disk")" "$(bench_ratio_t "$wos" "$disk")" \
        "read/write/fsync loop to the store's disk in one process (buffered or O_DIRECT, the faster): the limit"
    # ---- put, server path
    swos=$(bench put-file-wos "$f" "$REPS" 2>/dev/null)
    slo=$(bench put-file-lo "$f" "$REPS" 2>/dev/null)
    printf "%-6s %-4s %-6s %14s %14s\n" "${mib}M" put server "$(r "$swos")" "$(r "$slo")"
    bench_row "put ${mib} MiB, server file" "$(r "$swos")" "$(r "$slo")" "$(bench_ratio_t "$swos" "$slo")" \
        "lo_import(): server reads the same file, durable at commit"
    # ---- get, client path (page cache warm for all)
    wire=$(bench get-wire "$f" "$REPS")
    wos=$(bench get-wos "$wid" "$REPS")
    lo=$(bench get-lo "$lid" "$REPS")
    obj=$(find "$SITE" -name "$wid")
    disk=$(bench read-file "$obj" "$REPS")
    printf "%-6s %-4s %-6s %14s %14s %14s %14s\n" "${mib}M" get client "$(r "$wos")" "$(r "$lo")" "$(r "$disk")" "$(r "$wire")"
    bench_row "get ${mib} MiB, client (wos_get)" "$(r "$wos")" "$(r "$lo")" "$(bench_ratio_t "$wos" "$lo")" \
        "lo_get: same client, binary protocol, into client memory"
    bench_row "get ${mib} MiB, client vs wire" "$(r "$wos")" "$(r "$wire")" "$(bench_ratio_t "$wos" "$wire")" \
        "pg_read_binary_file of the same bytes: the protocol alone"
    # ---- get, server path
    swos=$(bench get-file-wos "$wid" "$WORK/out/o" "$REPS")
    slo=$(bench get-file-lo "$lid" "$WORK/out/o" "$REPS")
    printf "%-6s %-4s %-6s %14s %14s\n" "${mib}M" get server "$(r "$swos")" "$(r "$slo")"
    bench_row "get ${mib} MiB, server file" "$(r "$swos")" "$(r "$slo")" "$(bench_ratio_t "$swos" "$slo")" \
        "lo_export() + fsync of the file: server writes the same file, durable"
    rm -f "$f"
done
echo "median of $REPS runs; disk: one process, read/write/fsync (put) or read (get) of the same bytes"
