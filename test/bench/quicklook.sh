#!/usr/bin/env bash
# test/bench/quicklook.sh: swath_quicklook() on the real granules against
# pyresample (kd_tree.resample_nearest) and gdalwarp -geoloc on the same
# variable, grid and radius: time, peak memory, pixel agreement
# (test/bench/quicklook_bench.py).  Needs python3-pyresample and gdal-bin.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness.sh"
source "$HERE/table.sh"
SHARED=${EOSWATH_SHARED:-$(cd "$HERE/../../.." && pwd)/shared}
[ -n "${EOSWATH_BENCH_NO_BUILD:-}" ] || build_and_install
pg_start bench
psql_user -q -c "CREATE EXTENSION eoswath CASCADE" 2>/dev/null
mkdir -p "$WORK/bench"
chown "$TEST_USER" "$WORK/bench"
cd "$WORK/bench"
as_user env "$BENCH_PEER_TUNABLES" PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" PGDATABASE="$PGDATABASE" \
    /usr/bin/python3 "$HERE/quicklook_bench.py" "$SHARED/data/swaths" "$WORK/bench" \
    "$("$PG_CONFIG" --pkglibdir)/eoswath-granule"
