#!/usr/bin/env bash
# test/bench/scrub.sh: the scrub's throughput against sha256sum, in one run:
# a full pass of the maintenance worker (eoswath.scrub_rate = 0, one copy
# per object) over TOTAL MiB in objects of OBJECT MiB, and sha256sum of the
# same copy files (best of two runs, before and after the pass, so that both
# read from the same warm page cache).  Prints MiB/s and the ratio.  Not a
# test: nothing here fails on speed.
#
#   test/bench/scrub.sh [TOTAL_MIB [OBJECT_MIB]]     default: 512 16
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" != 0 ] || "$HERE/../install-deps.sh"
source "$HERE/../harness.sh"
TOTAL=${1:-512}
OBJ=${2:-16}
N=$(( (TOTAL + OBJ - 1) / OBJ ))

build_and_install
pg_start bench
cat >> "$PGDATA/postgresql.conf" <<CONF
shared_preload_libraries = 'eoswath'
max_wal_size = '8GB'
eoswath.sweep_interval = 0
eoswath.scrub_interval = 0
eoswath.scrub_rate = 0
eoswath.subset_workers = 0
CONF
as_user "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WORK/bench/log" -w restart >/dev/null
q() { as_user "$PGBIN/psql" -X -At -q -c "$1"; }
q "CREATE EXTENSION eoswath CASCADE" >/dev/null
for i in $(seq 1 "$N"); do
    head -c $((OBJ * 1024 * 1024)) /dev/urandom > "$WORK/obj"
    chmod 644 "$WORK/obj"
    q "SELECT wos_put_file('$WORK/obj')" >/dev/null
done
rm -f "$WORK/obj"
SITE=$(q "SELECT location FROM eoswath.sites WHERE name = 'local'")
case $SITE in /*) ;; *) SITE=$PGDATA/$SITE ;; esac
mib=$(q "SELECT sum(size) / 1048576.0 FROM eoswath.objects")

shasum() {
    local t0 t1
    t0=$(date +%s.%N)
    find "$SITE" -type f ! -name .eoswath-site -print0 | xargs -0 sha256sum >/dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
sha1=$(shasum)
q "ALTER SYSTEM SET eoswath.scrub_interval = '1h'" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
for _ in $(seq 1 36000); do
    [ "$(q 'SELECT last_pass_finished IS NOT NULL FROM eoswath.scrub_state')" = t ] && break
    sleep 0.1
done
scrub=$(q "SELECT extract(epoch FROM last_pass_finished - last_pass_started) FROM eoswath.scrub_state")
checked=$(q "SELECT sum(copies_checked) FROM eoswath.scrub_counters")
sha2=$(shasum)
sha=$(echo "if ($sha1 < $sha2) $sha1 else $sha2" | bc -l)
printf "%-28s %10s %12s\n" "" "seconds" "MiB/s"
printf "%-28s %10.2f %12.0f\n" "sha256sum of the copy files" "$sha" "$(echo "$mib / $sha" | bc -l)"
printf "%-28s %10.2f %12.0f\n" "scrub pass ($checked copies)" "$scrub" "$(echo "$mib / $scrub" | bc -l)"
printf "scrub / sha256sum throughput: %.2fx  (%s MiB in %d objects of %d MiB)\n" \
    "$(echo "$sha / $scrub" | bc -l)" "$(printf %.0f "$mib")" "$N" "$OBJ"
