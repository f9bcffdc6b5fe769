#!/usr/bin/env bash
# test/bench/subset.sh: swath_subset() on large generated granules against
# NCO's ncks cutting the same index window; wall time and peak memory of the
# granule helper and of ncks itself (subset_bench.py).  ROWS: one granule per
# number (default "8000 24000 36000", x 1500 pixels: 173, 509 and
# 764 MB), to show how memory follows granule size.  REPS (default 3): best
# of that many runs, for eoswath and ncks alike (more under load).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness.sh"
source "$HERE/table.sh"
[ -n "${EOSWATH_BENCH_NO_BUILD:-}" ] || "$HERE/../install-deps.sh"
[ -n "${EOSWATH_BENCH_NO_BUILD:-}" ] || build_and_install
pg_start bench
psql_user -q -c "CREATE EXTENSION eoswath CASCADE" 2>/dev/null
mkdir -p "$WORK/bench"
chown "$TEST_USER" "$WORK/bench"
cd "$WORK/bench"
as_user env "$BENCH_PEER_TUNABLES" BENCH_TABLE="${BENCH_TABLE:-}" REPS="${REPS:-3}" PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" PGDATABASE="$PGDATABASE" \
    /usr/bin/python3 "$HERE/subset_bench.py" "$WORK/bench" ${ROWS:-8000 24000 36000}
