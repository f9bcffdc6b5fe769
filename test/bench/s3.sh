#!/usr/bin/env bash
# test/bench/s3.sh: put and get throughput of S3 sites, eoswath against s3cmd.
#
# One Ceph RGW (test/s3/ceph.sh, memstore), one PostgreSQL cluster; for each
# size, eoswath's wos_put/wos_get on an S3 site and s3cmd put/get of a file
# of the same size, against the same gateway, in the same run.  Prints MiB/s
# and the ratio eoswath / s3cmd.  The eoswath figures are timed inside the
# server (clock_timestamp() around the call), so they include hashing and
# building the bytea but not generating the data or sending it to psql.
#
# A bytea holds at most 1 GiB - 5 bytes, so the "1 GiB" object is 1023 MiB.
#
#   test/bench/s3.sh [MiB ...]        default: 64 1023
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
source "$BENCH_DIR/../harness.sh"
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

for mib in "${SIZES[@]}"; do
    head -c $((mib * 1024 * 1024)) /dev/urandom > "$WORK/peer.bin"
    best_ep=0 best_eg=0 best_sp=0 best_sg=0
    for _ in $(seq 1 "$ROUNDS"); do
        # eoswath: the same bytes, timed in the server
        out=$(psql_user -At -q -v f="$WORK/peer.bin" 2>&1 <<SQL
SET client_min_messages = notice;
DO \$\$
DECLARE
    x bytea := pg_read_binary_file('$WORK/peer.bin');
    y bytea;
    id wosoid;
    t0 timestamptz;
    tp float8;
    tg float8;
BEGIN
    t0 := clock_timestamp();
    id := wos_put(x, '{}', 's3');
    tp := extract(epoch FROM clock_timestamp() - t0) * 1000;
    x := NULL;
    t0 := clock_timestamp();
    y := wos_get(id);
    tg := extract(epoch FROM clock_timestamp() - t0) * 1000;
    IF length(y) <> $mib * 1048576 THEN RAISE EXCEPTION 'short read'; END IF;
    PERFORM wos_delete(id);
    RAISE NOTICE 'times % %', tp, tg;
END
\$\$;
SQL
)
        read -r tp tg < <(sed -n 's/.*times \([0-9.]*\) \([0-9.]*\).*/\1 \2/p' <<<"$out")
        [ -n "$tp" ] || { echo "$out"; exit 1; }
        t0=$(now_ms); $S3 put "$WORK/peer.bin" s3://peer/obj >/dev/null; sp=$(( $(now_ms) - t0 ))
        t0=$(now_ms); $S3 get --force s3://peer/obj "$WORK/peer.back" >/dev/null; sg=$(( $(now_ms) - t0 ))
        cmp -s "$WORK/peer.bin" "$WORK/peer.back" || { echo "s3cmd round trip differs"; exit 1; }
        rm -f "$WORK/peer.back"; $S3 del s3://peer/obj >/dev/null
        ep=$(mibs "$mib" "$tp"); eg=$(mibs "$mib" "$tg"); spr=$(mibs "$mib" "$sp"); sgr=$(mibs "$mib" "$sg")
        echo "#   ${mib} MiB round: put eoswath $ep s3cmd $spr, get eoswath $eg s3cmd $sgr MiB/s"
        [ "$ep" -gt "$best_ep" ] && best_ep=$ep; [ "$eg" -gt "$best_eg" ] && best_eg=$eg
        [ "$spr" -gt "$best_sp" ] && best_sp=$spr; [ "$sgr" -gt "$best_sg" ] && best_sg=$sgr
    done
    printf "%-8s %-4s %10s %10s %7s\n" "size" "op" "eoswath" "s3cmd" "ratio"
    printf "%-8s %-4s %7s MiB/s %5s MiB/s %7s\n" "${mib}MiB" put "$best_ep" "$best_sp" "$(awk -v a=$best_ep -v b=$best_sp 'BEGIN{printf "%.2f", a/b}')"
    printf "%-8s %-4s %7s MiB/s %5s MiB/s %7s\n" "${mib}MiB" get "$best_eg" "$best_sg" "$(awk -v a=$best_eg -v b=$best_sg 'BEGIN{printf "%.2f", a/b}')"
    rm -f "$WORK/peer.bin"
done
echo "(best of $ROUNDS rounds; eoswath.s3_part_size = $(psql_user -At -q -c "LOAD 'eoswath'" -c "SHOW eoswath.s3_part_size"); $(nproc) CPUs; Ceph RGW memstore on the same host)"
