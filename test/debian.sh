#!/usr/bin/env bash
# test/debian.sh: build the Debian package from debian/ (pg_buildext), install
# it on this machine with apt-get, check what it holds, and run make
# installcheck against the installed package in a throwaway cluster.
# Installs into the system: run by test/run-all.sh only in CI, as root.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "debian.sh: needs root (installs the package)"; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends postgresql-server-dev-all debhelper dpkg-dev fakeroot >/dev/null
source "$HERE/harness.sh"
PG_CONFIG=$SYS_PGBIN/pg_config PGBIN=$SYS_PGBIN

# build in a copy of the tree (dpkg-buildpackage writes next to it)
mkdir -p "$WORK/deb/eoswath"
(cd "$REPO" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$WORK/deb/eoswath")
(cd "$WORK/deb/eoswath" && dpkg-buildpackage -b -uc -us >"$WORK/deb/build.log" 2>&1) \
    || { tail -40 "$WORK/deb/build.log"; echo "not ok - dpkg-buildpackage"; exit 1; }
deb=$(ls "$WORK"/deb/postgresql-15-eoswath_*_*.deb)
echo "ok - built $(basename "$deb")"
contents=$(dpkg-deb -c "$deb")
for f in ./usr/lib/postgresql/15/lib/eoswath.so ./usr/lib/postgresql/15/lib/eoswath-granule \
         ./usr/lib/postgresql/15/bin/eoswath ./usr/bin/eoswath \
         ./usr/share/postgresql/15/extension/eoswath.control \
         ./usr/share/postgresql/15/extension/eoswath--0.2.0.sql \
         ./usr/share/postgresql/15/extension/eoswath--0.1.0--0.2.0.sql; do
    grep -q " $f\( \|$\)" <<<"$contents" || { echo "not ok - the package lacks $f"; exit 1; }
done
echo "ok - the package holds the extension, the granule helper and the client (linked from /usr/bin)"

apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
dpkg -s postgresql-15-eoswath | grep -q '^Status: install ok installed' || { echo "not ok - not installed"; exit 1; }
v=$(eoswath -V | head -1)
[[ $v == *"$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$REPO/eoswath.control")"* ]] \
    || { echo "not ok - eoswath -V on PATH: $v"; exit 1; }
echo "ok - installed; eoswath on PATH: $v"

# make installcheck against the installed package (sql/11_search_exact.sql,
# 2 minutes of random pairs, is left to the main pg_regress step)
copy_tree "$WORK/src"
pg_start debian
SHARED=${EOSWATH_SHARED:-$(cd "$REPO/.." && pwd)/shared}
tests=$(cd "$WORK/src" && ls sql/*.sql | sed 's|sql/||; s|\.sql$||' | grep -v '^11_search_exact$' | tr '\n' ' ')
set +e
(cd "$WORK/src" && as_user env EOSWATH_GRANULES="$SHARED/data/swaths" \
    make -s PG_CONFIG="$PG_CONFIG" installcheck REGRESS="$tests")
rc=$?
set -e
[ $rc = 0 ] || { head -100 "$WORK/src/tmp_regress/regression.diffs" 2>/dev/null; echo "not ok - installcheck against the package"; exit 1; }
echo "ok - make installcheck against the installed package"
