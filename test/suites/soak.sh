#!/usr/bin/env bash
# test/suites/soak.sh: the standing soak test (README: "The soak test").
#
# A cluster with four directory sites besides the default one, one of them
# small, and the driver test/soak/soak.py: writers and readers (puts of 1 KB
# to 64 MB, streams, putoids, deletes, rollbacks, ranged and streamed gets)
# with a client-side ledger, while copies are bit-flipped and deleted, a
# backend and the postmaster are SIGKILLed, and the small site fills up.
# At the end every committed object must be byte-identical, nothing rolled
# back or deleted visible, every object at its policy's copy count, sites
# and catalog matching exactly, and the server log free of internal errors.
#
#   SOAK_SECONDS=75    seconds of load (CI: the default; make soak: any)
#   SOAK_SEED=N        replay a run's random choices (printed at the start)
#   SOAK_WRITERS=3 SOAK_READERS=2 SOAK_MAX_SIZE_MB=64
#   SOAK_EVIDENCE=DIR  where a failing run keeps the server log and the
#                      ledger (default /tmp/eoswath-soak-<seed>-<time>)
#   EOSWATH_NO_BUILD=1 skip the build (run-all.sh did it)
#
# The small site: as root a 48 MiB tmpfs (a real full disk, ENOSPC in the
# middle of a write); as a normal user a directory on /dev/shm, a file
# system apart from the others, made nearly full with eoswath.site_min_free
# (then the site is skipped or a put fails with 53100).  Either way it gets
# room again before the final repair pass.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness.sh"
fail() { echo "soak: FAIL: $*"; exit 1; }

[ -n "${EOSWATH_NO_BUILD:-}" ] || build_and_install
/usr/bin/python3 -c 'import psycopg2' 2>/dev/null || fail "python3-psycopg2 is needed"

SECONDS_LOAD=${SOAK_SECONDS:-75}
SEED=${SOAK_SEED:-$(( $(od -An -N4 -tu4 /dev/urandom) % 1000000 ))}
EVIDENCE=${SOAK_EVIDENCE:-/tmp/eoswath-soak-$SEED-$(date +%Y%m%d%H%M%S)}

pg_start soak
LOG=$WORK/soak/log
cat >> "$PGDATA/postgresql.conf" <<CONF
log_line_prefix = '%m [%p] %e '
log_min_messages = log
# eoswath's repairs and skipped sites are LOG lines, which would otherwise
# carry their statement: a put's whole bytea, megabytes per line
log_min_error_statement = panic
restart_after_crash = on
max_connections = 40
CONF
EXT_SQL=$("$PG_CONFIG" --sharedir)/extension/eoswath--$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$REPO/eoswath.control").sql
if grep -q 'wos_health' "$EXT_SQL"; then
    # the background workers (deferred deletes, sweep, scrub), when this
    # version has them
    cat >> "$PGDATA/postgresql.conf" <<CONF
shared_preload_libraries = 'eoswath'
# scrub and sweep all the time, at full speed, so that the end need not wait
eoswath.scrub_interval = '${SOAK_SCRUB_INTERVAL:-30s}'
eoswath.scrub_rate = 0
eoswath.sweep_interval = '30s'
eoswath.launcher_naptime = '1s'
CONF
    echo "soak: background workers on (shared_preload_libraries = 'eoswath')"
fi
as_user "$PGBIN/pg_ctl" -D "$PGDATA" -l "$LOG" -w -t 60 restart >/dev/null

q() { psql_user -At -c "$1"; }
q "CREATE EXTENSION eoswath CASCADE" >/dev/null 2>&1
mkdir -p "$WORK/sites"
chown "$TEST_USER" "$WORK/sites" 2>/dev/null || true
for s in s1 s2 s3; do
    q "SELECT wos_site_add('$s', '$WORK/sites/$s')" >/dev/null
done

# the small site
RELEASE=""
if [ "$(id -u)" = 0 ]; then
    SMALL=$WORK/small
    mkdir -p "$SMALL"
    mount -t tmpfs -o size=48m,mode=0700,uid="$(id -u "$TEST_USER")" tmpfs "$SMALL"
    cleanup_hooks=("umount '$SMALL'" "${cleanup_hooks[@]}")
    MODE="tmpfs of 48 MiB"
    MIN_FREE=0
    RELEASE="mount -o remount,size=1g '$SMALL'"
else
    SMALL=$(mktemp -d /dev/shm/eoswath-soak.XXXXXX)
    cleanup_hooks=("rm -rf '$SMALL'" "${cleanup_hooks[@]}")
    free_mb() { df -Pm "$1" | awk 'NR == 2 { print $4 }'; }
    shm_free=$(free_mb "$SMALL"); main_free=$(free_mb "$WORK/sites")
    [ "$(stat -c %d "$SMALL")" != "$(stat -c %d "$WORK/sites")" ] ||
        fail "/dev/shm is on the same file system as $WORK: no small site possible"
    MIN_FREE=$((shm_free - 48))
    [ "$MIN_FREE" -gt 0 ] && [ "$main_free" -gt $((MIN_FREE + 4096)) ] ||
        fail "cannot make /dev/shm ($shm_free MB free) the small site beside $WORK ($main_free MB free)"
    MODE="min_free"
fi
q "SELECT wos_site_add('small', '$SMALL/site')" >/dev/null
q "SELECT wos_policy_add('withsmall', 2, ARRAY['s1', 'small'], 'two copies, one on the small site')" >/dev/null
echo "soak: sites s1 s2 s3 in $WORK/sites, small in $SMALL ($MODE)"

args=(--seconds "$SECONDS_LOAD" --seed "$SEED" --pgdata "$PGDATA" --log "$LOG" --bindir "$PGBIN"
      --writers "${SOAK_WRITERS:-3}" --readers "${SOAK_READERS:-2}"
      --max-size $(( ${SOAK_MAX_SIZE_MB:-64} * 1048576 ))
      --small-mode "$MODE" --min-free-mb "$MIN_FREE" --evidence "$EVIDENCE")
[ -z "$RELEASE" ] || args+=(--release-cmd "$RELEASE")
[ "$(id -u)" != 0 ] || args+=(--as-user "$TEST_USER")
[ -z "${SOAK_FAULT_INTERVAL:-}" ] || args+=(--fault-interval "$SOAK_FAULT_INTERVAL")
[ -z "${SOAK_POSTMASTER_KILLS:-}" ] || args+=(--max-postmaster-kills "$SOAK_POSTMASTER_KILLS")
set +e
PYTHONUNBUFFERED=1 /usr/bin/python3 "$HERE/../soak/soak.py" "${args[@]}"
rc=$?
set -e
if [ $rc != 0 ]; then
    echo "soak: failed with seed $SEED: replay with SOAK_SEED=$SEED SOAK_SECONDS=$SECONDS_LOAD; evidence in $EVIDENCE"
    exit 1
fi
rm -rf "$EVIDENCE"

# The checks themselves must be able to fail: a short run in a second
# database whose archive is then damaged behind eoswath's back (a copy
# altered, an object's copies gone, an orphan and a temporary file, an object
# no client committed, a rolled-back id visible, an internal error logged);
# the driver succeeds only if its checks report every one of them.
q "CREATE DATABASE selftest" >/dev/null
PGDATABASE=selftest q "CREATE EXTENSION eoswath CASCADE" >/dev/null 2>&1
for s in t1 t2 t3; do
    PGDATABASE=selftest q "SELECT wos_site_add('$s', '$WORK/sites/$s')" >/dev/null
done
set +e
PGDATABASE=selftest PYTHONUNBUFFERED=1 /usr/bin/python3 "$HERE/../soak/soak.py" --sabotage \
    --seconds 5 --seed "$SEED" --pgdata "$PGDATA" --log "$LOG" --bindir "$PGBIN" \
    --writers 2 --readers 1 --max-size 4194304 --fault-interval 3 --progress 60 \
    --policies default,replicate,copy3 --policy-weights 20,40,40 --small-mode none \
    $( [ "$(id -u)" != 0 ] || echo --as-user "$TEST_USER" ) | grep -E 'sabotage|FAIL|ok:'
rc=${PIPESTATUS[0]}
set -e
[ $rc = 0 ] || fail "the self-test of the checks failed"
