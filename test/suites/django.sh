#!/usr/bin/env bash
# test/suites/django.sh: the catalog from a real GeoDjango app (see
# test/django/client_test.py), against a throwaway cluster.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness.sh"
SHARED=${EOSWATH_SHARED:-$(cd "$HERE/../../.." && pwd)/shared}
[ -d "$SHARED/data/swaths" ] || { echo "django: granules not found in $SHARED/data/swaths"; exit 1; }

pg_start django
psql_user -q -c "CREATE EXTENSION eoswath CASCADE" 2>/dev/null
cp -r "$HERE/../django" "$WORK/djangoapp"
chown -R "$TEST_USER" "$WORK/djangoapp" 2>/dev/null || true
as_user env EOSWATH_SHARED="$SHARED" PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" \
    PGDATABASE="$PGDATABASE" /usr/bin/python3 "$WORK/djangoapp/client_test.py"

# the seed's model, unchanged, on a fresh database
psql_user -q -c "CREATE DATABASE seed"
psql_user -q -d seed -c "CREATE EXTENSION eoswath CASCADE" 2>/dev/null
as_user env EOSWATH_SHARED="$SHARED" PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" \
    PGDATABASE=seed /usr/bin/python3 "$WORK/djangoapp/seed_test.py"
