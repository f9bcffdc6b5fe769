#!/usr/bin/env bash
# test/fuzz/make_seeds.sh DIR: the seed granules of the fuzzer, generated
# (nothing of them is committed; the committed corpus is test/fuzz/corpus):
#   - the synthetic granules of test/fixtures/gen_synthetic.py and
#     test/subset/make_granules.py, whole (those under 128 KB) and cut down
#     to 24 scan lines;
#   - one of them in each netCDF-3 variant (64-bit offset, CDF-5) and as
#     netCDF-4 classic (nccopy);
#   - HDF5 files netCDF writers never make (make_hdf5_seeds.py);
#   - granules for paths the others miss (make_edge_seeds.py: GPM and
#     TROPOMI times, valid_range, coordinates by path, two swaths on one
#     dimension, unlimited dimensions, ...);
#   - the real granules (../shared/data/swaths or $EOSWATH_GRANULES) cut
#     down to a few scan lines and variables (cut_granule.py), when found.
# Needs python3-netcdf4, python3-h5py and netcdf-bin (nccopy).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=${1:?usage: make_seeds.sh DIR}
PY=/usr/bin/python3
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

$PY "$REPO/test/fixtures/gen_synthetic.py" "$tmp/synth" >/dev/null
$PY "$REPO/test/subset/make_granules.py" "$tmp/synth" >/dev/null
for f in "$tmp"/synth/*; do
    b=$(basename "$f")
    cp "$f" "$OUT/$b"
    $PY -W ignore "$HERE/cut_granule.py" "$f" "$OUT/cut24_$b" 24 2>/dev/null || true
done
if command -v nccopy >/dev/null; then
    nccopy -k 64-bit-offset "$tmp/synth/synth_track.nc" "$OUT/cdf2_synth_track" || true
    nccopy -k cdf5 "$tmp/synth/synth_antimeridian.nc" "$OUT/cdf5_synth_antimeridian" || true
    nccopy -k nc7 "$tmp/synth/synth_track360.nc" "$OUT/nc4classic_synth_track360" || true
fi
$PY "$HERE/make_hdf5_seeds.py" "$OUT"
$PY "$HERE/make_edge_seeds.py" "$OUT"

GRANULES=${EOSWATH_GRANULES:-$REPO/../shared/data/swaths}
if [ -d "$GRANULES" ]; then
    for f in "$GRANULES"/*; do
        case "$f" in *.md|*.txt) continue ;; esac
        b=$(basename "$f")
        $PY -W ignore "$HERE/cut_granule.py" "$f" "$OUT/cut_${b%%.*}" 6 2>/dev/null || true
    done
fi
# run.sh fuzzes inputs of up to 128 KB (larger ones slow every job down);
# a larger seed would only be cut short
find "$OUT" -type f -size +128k -delete
ls "$OUT" | wc -l | xargs echo "seeds:"
