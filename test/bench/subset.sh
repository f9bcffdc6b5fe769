#!/usr/bin/env bash
# test/bench/subset.sh: swath_subset() on a large generated granule against
# NCO's ncks cutting the same index window; wall time and peak backend
# memory (VmHWM).  ROWS (default 24000, x 1500 pixels: about 400 MB).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness.sh"
[ -n "${EOSWATH_BENCH_NO_BUILD:-}" ] || build_and_install
pg_start bench
psql_user -q -c "CREATE EXTENSION eoswath CASCADE" 2>/dev/null
mkdir -p "$WORK/bench"
chown "$TEST_USER" "$WORK/bench"
cd "$WORK/bench"
as_user env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" PGDATABASE="$PGDATABASE" \
    /usr/bin/python3 "$HERE/subset_bench.py" "$WORK/bench" "${ROWS:-24000}"
