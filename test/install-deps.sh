#!/usr/bin/env bash
# test/install-deps.sh: install what a fresh Debian 12 machine lacks to build,
# demo and test eoswath.  Quick when everything is there already.
set -euo pipefail

PKGS=(
    make gcc pkg-config git
    postgresql-15 postgresql-server-dev-15 postgresql-15-postgis-3
    libcurl4-openssl-dev zlib1g-dev libnetcdf-dev libhdf5-dev libssl-dev libpq-dev
    libseccomp-dev clang libclang-rt-14-dev python3-h5py
    libipc-run-perl netcdf-bin python3 python3-netcdf4 python3-numpy bc
    python3-django python3-psycopg2 libgdal32 libgeos-c1v5 libproj25 tmux pv
    python3-jsonschema nco pigz s3cmd time libpng-dev python3-pykdtree
    python3-shapely python3-pyresample gdal-bin util-linux-extra
    chromium chromium-driver python3-selenium
)
PKGS+=(${EOSWATH_EXTRA_PKGS:-})

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# npm (the example site's make vendor): Debian's package, unless an npm is
# there already (e.g. one that came with another nodejs package)
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
