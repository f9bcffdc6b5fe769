#!/usr/bin/env bash
# test/suites/subset.sh: value-level checks of swath_subset() on the real
# granules and on granules generated now (test/subset/make_granules.py):
# several regions per granule (box, polygon with holes, antimeridian in
# geometry and geography, polar caps, empty), every output file compared
# with its source by an independent reader (test/subset/check_subset.py);
# then the ASCAT granule cut to l2ss-py's test box against l2ss-py's own
# reference outputs, cell by cell (test/subset/check_l2ss_reference.py,
# fixtures and provenance in test/subset/l2ss_reference/).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness.sh"
SHARED=${EOSWATH_SHARED:-$(cd "$HERE/../../.." && pwd)/shared}
[ -d "$SHARED/data/swaths" ] || { echo "subset: granules not found in $SHARED/data/swaths"; exit 1; }

pg_start subset
psql_user -q -c "CREATE EXTENSION eoswath CASCADE" 2>/dev/null
mkdir -p "$WORK/synth"
/usr/bin/python3 "$HERE/../subset/make_granules.py" "$WORK/synth"
chmod -R a+rX "$WORK/synth"
cd "$WORK"
rc=0
as_user env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" PGDATABASE="$PGDATABASE" \
    /usr/bin/python3 "$HERE/../subset/check_subset.py" "$SHARED/data/swaths" "$WORK/synth" || rc=1
as_user env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" PGDATABASE="$PGDATABASE" \
    /usr/bin/python3 "$HERE/../subset/check_l2ss_reference.py" "$HERE/../subset/l2ss_reference" "$SHARED/data/swaths" || rc=1
exit $rc
