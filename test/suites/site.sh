#!/usr/bin/env bash
# test/suites/site.sh: the example web site (examples/site, GeoDjango) end to
# end in headless Chromium (Debian's chromium + chromium-driver, selenium):
# Leaflet vendored from the npm registry (make vendor), the real granules of
# ../shared/data/swaths registered, the Django development server on
# loopback, then test/site/browser_test.py drives the page.  Screenshots,
# the browser's console and the server's log are kept in
# $EOSWATH_ARTIFACTS/site (default test/artifacts/site, ignored by git).
#
#   EOSWATH_NO_BUILD=1 test/suites/site.sh   skip the build (run-all.sh did it)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness.sh"
SHARED=${EOSWATH_SHARED:-$(cd "$HERE/../../.." && pwd)/shared}
GRANULES=$SHARED/data/swaths
[ -d "$GRANULES" ] || { echo "site: granules not found in $GRANULES"; exit 1; }
for tool in npm chromium chromedriver; do
    command -v "$tool" >/dev/null || { echo "site: $tool is missing (test/install-deps.sh installs it)"; exit 1; }
done
[ -n "${EOSWATH_NO_BUILD:-}" ] || build_and_install

# the test user writes the artefacts in $WORK (it may not reach the
# repository, e.g. a clone under /root in CI); they are copied out at exit
ART=${EOSWATH_ARTIFACTS:-$REPO/test/artifacts}/site
rm -rf "$ART"
mkdir -p "$ART" "$WORK/artifacts" "$WORK/downloads"
chown "$TEST_USER" "$WORK/artifacts" "$WORK/downloads" 2>/dev/null || true
cp "$HERE/../site/browser_test.py" "$WORK/"
cleanup_hooks+=("cp -r '$WORK/artifacts/.' '$ART/'; echo 'site: screenshots, console and server log in $ART'")

pg_start site
psql_user -q -c "CREATE EXTENSION eoswath CASCADE" 2>/dev/null

# the site as a user would build it: Leaflet from the npm registry
mkdir -p "$WORK/site"
(cd "$REPO/examples/site" && git ls-files -z --cached --others --exclude-standard . | xargs -0 cp --parents -t "$WORK/site")
chown -R "$TEST_USER" "$WORK/site" 2>/dev/null || true
as_user env HOME="$WORK/site" npm_config_cache="$WORK/site/npm-cache" npm_config_update_notifier=false \
    make -s -C "$WORK/site" vendor >/dev/null

# the granules, each with its source; Jason-1 comes later, while the page is open
psql_user -qAt -v dir="$GRANULES" <<'SQL'
SET client_min_messages = warning;
SELECT s.id, s.source, s.filename
  FROM (VALUES ('SS_VIIRS_NPP-NAVO-L2P-v3.0.nc', 'VIIRS', NULL),
               ('ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc', 'ASCAT', 45145),
               ('S5P_OFFL_L2__CH4____20190319T110835_20190319T125006_07407_01_010202_20190325T125810_fullorbit_varsubset.nc4', 'TROPOMI', 7407),
               ('S6A_P4_2__HR_RED__NR_014_192_20210403T005056_20210403T010056_F00.nc', 'Sentinel-6', 14),
               ('GPM_2ADPR_V07A_20210220_039665_l2ss_subset.HDF5', 'GPM', 39665)) g(f, source, orbit),
       LATERAL swath_register(wos_put(pg_read_binary_file(:'dir' || '/' || g.f)), g.f, g.source, '1', g.orbit) s
 ORDER BY s.id;
SQL

# the development server on a free loopback port, in its own process group
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setsid bash -c "$(declare -f as_user); as_user env PGHOST='$PGHOST' PGPORT='$PGPORT' PGUSER='$PGUSER' \
    PGDATABASE='$PGDATABASE' EOSITE_DEBUG=1 /usr/bin/python3 '$WORK/site/manage.py' runserver --noreload \
    127.0.0.1:$port" >"$WORK/artifacts/server.log" 2>&1 &
server=$!
cleanup_hooks+=("kill -- -$server 2>/dev/null")
for _ in $(seq 120); do
    /usr/bin/python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/', timeout=5)" \
        2>/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$WORK/artifacts/server.log"; echo "site: the server did not start"; exit 1; }
    sleep 1
done

rc=0
as_user env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" PGDATABASE="$PGDATABASE" HOME="$WORK/site" \
    /usr/bin/python3 "$WORK/browser_test.py" "http://127.0.0.1:$port/" "$WORK/artifacts" "$GRANULES" \
    "$WORK/downloads" || rc=$?
[ $rc = 0 ] || tail -n 40 "$WORK/artifacts/server.log"
exit $rc
