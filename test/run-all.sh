#!/usr/bin/env bash
# test/run-all.sh: every test, on a fresh machine or a developer's.
#
# Installs missing Debian packages, builds and installs the extension, then
# runs, as an unprivileged user in throwaway clusters:
#   1. pg_regress (make installcheck: sql/ against expected/)
#   2. the TAP suite (test/t/*.pl, PostgreSQL::Test::Cluster)
#   3. test/suites/*.sh, each a self-contained suite (S3, client, README, ...)
#   4. in CI as root: the Debian package, built, installed and checked with
#      make installcheck (test/debian.sh)
# Prints one closing line "N passed, N failed" and exits non-zero on failure.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
"$HERE/install-deps.sh"
source "$HERE/harness.sh"

passed=0 failed=0
declare -a failures=()
record() {  # record NAME STATUS
    if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "ok - $1"
    else failed=$((failed + 1)); failures+=("$1"); echo "not ok - $1"; fi
}

echo "== build"
build_and_install
copy_tree "$WORK/src"

SHARED=${EOSWATH_SHARED:-$(cd "$HERE/../.." && pwd)/shared}
export EOSWATH_SHARED=$SHARED EOSWATH_GRANULES=$SHARED/data/swaths
[ -d "$EOSWATH_GRANULES" ] || { echo "granules not found in $EOSWATH_GRANULES (../shared beside the repository)"; exit 1; }

echo "== pg_regress"
pg_start regress
set +e
(cd "$WORK/src" && as_user make -s PG_CONFIG="$PG_CONFIG" installcheck)
rc=$?
set -e
if [ $rc != 0 ]; then head -n 200 "$WORK/src/tmp_regress/regression.diffs" 2>/dev/null || true; fi
record "pg_regress" $rc
pg_stop

echo "== TAP"
for t in "$WORK"/src/test/t/*.pl; do
    [ -e "$t" ] || continue
    name=$(basename "$t")
    set +e
    (cd "$WORK/src" && as_user make -s PG_CONFIG="$PG_CONFIG" prove_installcheck \
        PROVE_TESTS="test/t/$name" PROVE_FLAGS="-I $WORK/src/test")
    rc=$?
    set -e
    if [ $rc != 0 ]; then
        tail -n 60 "$WORK"/src/tmp_check/log/regress_log_"${name%.pl}" 2>/dev/null || true
    fi
    record "tap $name" $rc
done

echo "== suites"
for s in "$HERE"/suites/*.sh; do
    [ -e "$s" ] || continue
    set +e
    # the suites use the server tree this run built and installed into
    EOSWATH_NO_BUILD=1 EOSWATH_PG_CONFIG="$PG_CONFIG" bash "$s"
    rc=$?
    set -e
    record "suite $(basename "$s")" $rc
done

echo "== debian package"
if [ -n "${CI:-}" ] && [ "$(id -u)" = 0 ]; then
    set +e
    bash "$HERE/debian.sh"
    rc=$?
    set -e
    record "debian package" $rc
else
    echo "skipped: builds the package and installs it on the machine only in CI, as root (test/debian.sh)"
fi

[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
