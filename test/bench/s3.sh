#!/usr/bin/env bash
# test/bench/s3.sh: put and get through an S3 site, delivered where the
# peers deliver: from a client file into the gateway (put) and from the
# gateway into a durable client file (get).
#
# One Ceph RGW (test/s3/ceph.sh, memstore), one PostgreSQL cluster; for each
# size, in the same run against the same gateway:
#   eoswath put FILE --policy=s3 / eoswath get ID -o FILE (the CLI: the
#     server reads or writes the object on the gateway, hashes it, and the
#     bytes cross libpq; the output file is fsynced);
#   s3cmd put / get, and curl -T / curl -o (one PUT, one GET, SigV4), the
#     output files fsynced too (sync FILE) so all three are durable.
#   the gateway's own limit, what no client can pass: puts, the faster
#     of one curl PUT of the file and four curl PUTs of its quarters at
#     once; gets, the faster of one curl GET of eoswath's own object and
#     four ranged GETs of its quarters at once, both into /dev/null (no
#     client file, no checks).  On a gateway that shares the client's
#     cores the limit over s3cmd says which goal is reachable at all.
# Every figure is one command timed from the shell (process start included
# for all three alike).  Each timed run starts in the same state: the
# gateway's garbage collected (what the last run stored or read is gone
# from its memstore) and BENCH_SETTLE seconds passed since then and since
# the last output file was removed (as in streams.sh: on a VM with free
# page reporting, memory freed a moment ago is 2-3 times faster to fill,
# for Ceph's memstore as for a client file; by default 5 s per GiB moved,
# at least 5).  Prints MiB/s, best of BENCH_ROUNDS, and rows.
#
#   test/bench/s3.sh [MiB ...]        default: 64 1023
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
source "$BENCH_DIR/../harness.sh"
source "$BENCH_DIR/table.sh"
CEPH_SH=$REPO/test/s3/ceph.sh
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(64 1023)
ROUNDS=${BENCH_ROUNDS:-3}

"$CEPH_SH" install
[ -n "${EOSWATH_NO_BUILD:-}" ] || build_and_install
CEPH_DIR=$WORK/ceph
mkdir -p "$CEPH_DIR"
CEPH_MEMSTORE_SIZE=${CEPH_MEMSTORE_SIZE:-8G} "$CEPH_SH" start "$CEPH_DIR" >/dev/null
cleanup_hooks+=("'$CEPH_SH' stop '$CEPH_DIR' >/dev/null 2>&1")
source "$CEPH_DIR/env"
S3="s3cmd -c $S3CFG --no-progress"

pg_start bench
cat >> "$PGDATA/postgresql.conf" <<CONF
eoswath.s3_allow_http = on
shared_buffers = 256MB
CONF
as_user "$PGBIN/pg_ctl" -D "$PGDATA" -w reload >/dev/null
q() { psql_user -At -q -c "$1"; }
q "CREATE EXTENSION eoswath CASCADE" >/dev/null 2>&1
psql_user -q -v ak="$S3_ACCESS_KEY" -v sk="$S3_SECRET_KEY" -v ep="$S3_ENDPOINT" >/dev/null <<'SQL'
SELECT wos_site_add('ceph', :'ep', 's3', jsonb_build_object('bucket', 'bench', 'access_key', :'ak', 'secret_key', :'sk'));
SELECT wos_policy_add('s3', 1, ARRAY['ceph']);
SQL
$S3 mb s3://peer >/dev/null

mibs() { awk -v mib="$1" -v ms="$2" 'BEGIN { printf "%.0f", mib / (ms / 1000) }'; }
now_ms() { date +%s%3N; }

# the CLI installed with the extension under test, not whichever is on PATH
CLI=$PGBIN/eoswath
[ -x "$CLI" ] || { echo "no eoswath CLI in $PGBIN (make install installs it)"; exit 1; }
chown "$TEST_USER" "$WORK"
chmod 644 "$S3CFG"
# the payload is not hashed by curl for -T: say so in the signed header
CURL=(curl -sf --aws-sigv4 "aws:amz:${S3_REGION:-us-east-1}:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY"
      -H "x-amz-content-sha256:UNSIGNED-PAYLOAD")
# seconds of one command run as the test user
secs() {
    local t0
    t0=$(date +%s.%N)
    as_user sh -c "$1" >/dev/null || { echo "s3.sh: a timed command failed (exit $?)" >&2; return 1; }
    awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.4f", b - a }'
}
best() { printf '%s\n' "$@" | sort -n | head -1; }
# Free what a round stored: eoswath's S3 deletes are queued (no workers
# here), and RGW keeps a deleted object's data until its garbage
# collection, hours later; without this, rounds of 1 GiB objects fill the
# memstore and the gateway stalls.
free_space() {
    q "SELECT wos_delete_pending()" >/dev/null
    radosgw-admin -c "$CEPH_CONF" gc process --include-all >/dev/null 2>&1 || true
}

# one timed run: the gateway and this host's memory in the same state for
# every tool (see the top)
run() {
    free_space
    sleep "$settle"
    secs "$1"
}

# four curl commands at once, each on its own quarter: $1 the command with
# @Q@ for the quarter's number (0-3) and @RANGE@ for its byte range
four() {
    local cmds=() i c
    for i in 0 1 2 3; do
        c=${1//@Q@/$i}
        cmds+=("${c//@RANGE@/${ranges[$i]}}")
    done
    printf '%s & p0=$!; %s & p1=$!; %s & p2=$!; %s & p3=$!; wait $p0 && wait $p1 && wait $p2 && wait $p3' "${cmds[@]}"
}

printf "%-8s %-4s %12s %12s %12s %12s\n" size op eoswath s3cmd curl gateway
for mib in "${SIZES[@]}"; do
    bytes=$((mib * 1048576))
    settle=$(bench_settle "$bytes")
    head -c "$bytes" /dev/urandom > "$WORK/peer.bin"
    chmod 644 "$WORK/peer.bin"
    split -n 4 -d -a 1 "$WORK/peer.bin" "$WORK/quarter."
    chmod 644 "$WORK"/quarter.?
    ranges=()
    for i in 0 1 2 3; do
        ranges+=("$((bytes / 4 * i))-$(( i == 3 ? bytes - 1 : bytes / 4 * (i + 1) - 1 ))")
    done
    ep=() eg=() sp=() sg=() cp=() cg=() lp=() lg=()
    for _ in $(seq 1 "$ROUNDS"); do
        ep+=($(run "'$CLI' put -q --policy=s3 '$WORK/peer.bin' > '$WORK/id'"))
        id=$(cat "$WORK/id")
        eg+=($(run "'$CLI' get -q '$id' -o '$WORK/back'"))
        cmp -s "$WORK/peer.bin" "$WORK/back" || { echo "eoswath round trip differs"; exit 1; }
        rm -f "$WORK/back"
        # the gateway's limit for gets, on the object eoswath just read
        obj="$S3_ENDPOINT/bench/eoswath/$id"
        l1=$(run "${CURL[*]} -o /dev/null '$obj'")
        l4=$(run "$(four "${CURL[*]} -r @RANGE@ -o /dev/null '$obj'")")
        lg+=($(bench_faster "$l1" "$l4"))
        q "SELECT wos_delete('$id')" >/dev/null
        # ... and for puts, on the same bytes
        l4=$(run "$(four "${CURL[*]} -T '$WORK/quarter.@Q@' '$S3_ENDPOINT/peer/quarter.@Q@'")")
        $S3 del s3://peer/quarter.0 s3://peer/quarter.1 s3://peer/quarter.2 s3://peer/quarter.3 >/dev/null
        sp+=($(run "$S3 put '$WORK/peer.bin' s3://peer/obj"))
        sg+=($(run "$S3 get s3://peer/obj '$WORK/back' && sync '$WORK/back'"))
        cmp -s "$WORK/peer.bin" "$WORK/back" || { echo "s3cmd round trip differs"; exit 1; }
        rm -f "$WORK/back"; $S3 del s3://peer/obj >/dev/null
        cp+=($(run "${CURL[*]} -T '$WORK/peer.bin' '$S3_ENDPOINT/peer/obj'"))
        lp+=($(bench_faster "${cp[-1]}" "$l4"))
        cg+=($(run "${CURL[*]} -o '$WORK/back' '$S3_ENDPOINT/peer/obj' && sync '$WORK/back'"))
        if ! cmp -s "$WORK/peer.bin" "$WORK/back"; then
            echo "curl round trip differs:"
            as_user sh -c "${CURL[*]/-sf/-sS} -T '$WORK/peer.bin' '$S3_ENDPOINT/peer/obj'" 2>&1 | head -5
            exit 1
        fi
        rm -f "$WORK/back"; $S3 del s3://peer/obj >/dev/null
    done
    for op in put get; do
        if [ $op = put ]; then e=$(best "${ep[@]}"); s=$(best "${sp[@]}"); c=$(best "${cp[@]}"); l=$(best "${lp[@]}")
        else e=$(best "${eg[@]}"); s=$(best "${sg[@]}"); c=$(best "${cg[@]}"); l=$(best "${lg[@]}"); fi
        printf "%-8s %-4s %12s %12s %12s %12s  (the gateway's limit is %s s3cmd)\n" "${mib}MiB" $op \
            "$(bench_rate "$bytes" "$e")" "$(bench_rate "$bytes" "$s")" "$(bench_rate "$bytes" "$c")" \
            "$(bench_rate "$bytes" "$l")" "$(bench_ratio_t "$l" "$s")"
        bench_row "S3 $op ${mib} MiB, client file" "$(bench_rate "$bytes" "$e")" "$(bench_rate "$bytes" "$s")" \
            "$(bench_ratio_t "$e" "$s")" "s3cmd $op, same gateway, same file$([ $op = get ] && echo ', fsynced')"
        bench_row "S3 $op ${mib} MiB, client file" "$(bench_rate "$bytes" "$e")" "$(bench_rate "$bytes" "$c")" \
            "$(bench_ratio_t "$e" "$c")" "curl, one SigV4 $([ $op = get ] && echo GET || echo PUT), same gateway$([ $op = get ] && echo ', fsynced')"
        if [ $op = put ]; then
            what="faster of one curl PUT and four of the quarters at once: the gateway's intake"
        else
            what="faster of one curl GET of the same object and four ranged GETs at once, into /dev/null: the gateway's output"
        fi
        bench_row "S3 $op ${mib} MiB vs gateway" "$(bench_rate "$bytes" "$e")" "$(bench_rate "$bytes" "$l")" \
            "$(bench_ratio_t "$e" "$l")" "$what"
    done
    rm -f "$WORK/peer.bin" "$WORK"/quarter.?
done
echo "(best of $ROUNDS rounds, each run after the gateway's garbage collection and BENCH_SETTLE seconds; eoswath.s3_part_size = $(psql_user -At -q -c "LOAD 'eoswath'" -c "SHOW eoswath.s3_part_size"); $(nproc) CPUs; Ceph RGW memstore on the same host)"
