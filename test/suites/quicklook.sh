#!/usr/bin/env bash
# test/suites/quicklook.sh: pixel-level checks of swath_quicklook() on the
# real granules and on synthetic ones: every picture decoded in Python and
# compared with an independent nearest-neighbour resampling of the granule
# read with netCDF4-python (test/quicklook/check_quicklook.py).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness.sh"
SHARED=${EOSWATH_SHARED:-$(cd "$HERE/../../.." && pwd)/shared}
[ -d "$SHARED/data/swaths" ] || { echo "quicklook: granules not found in $SHARED/data/swaths"; exit 1; }

pg_start quicklook
psql_user -q -c "CREATE EXTENSION eoswath CASCADE" 2>/dev/null
mkdir -p "$WORK/synth"
chown "$TEST_USER" "$WORK/synth" 2>/dev/null || true
chmod a+rwx "$WORK/synth"
cd "$WORK"
as_user env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" PGDATABASE="$PGDATABASE" \
    /usr/bin/python3 "$HERE/../quicklook/check_quicklook.py" "$SHARED/data/swaths" "$WORK/synth"
