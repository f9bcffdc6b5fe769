#!/usr/bin/env bash
# test/fuzz/coverage.sh [INPUT_DIR...]: which lines of the parsing code the
# granule corpora reach ("make fuzz-coverage" builds fuzz_granule_cov, the
# target without sanitizers, with clang's source coverage).  Default inputs:
# the committed corpus and regression inputs, and the work corpus and seeds
# of "make fuzz".  Prints llvm-cov's per-file report; the line-by-line view
# is in test/fuzz/work/coverage/html/index.html.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$HERE/fuzz_granule_cov
OUT=$HERE/work/coverage
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=("$HERE/corpus/granule" "$HERE/regress/granule" \
    "$HERE/work/granule/corpus" "$HERE/work/granule/seeds")
rm -rf "$OUT"
mkdir -p "$OUT/raw"
export TMPDIR=$OUT
# in batches, so that an input that crashes a library loses only its batch
find "${dirs[@]}" -maxdepth 1 -type f 2>/dev/null |
    LLVM_PROFILE_FILE="$OUT/raw/%p.profraw" xargs -n 40 "$BIN" -runs=1 >/dev/null 2>&1 || true
llvm-profdata merge -sparse "$OUT"/raw/*.profraw -o "$OUT/all.profdata"
llvm-cov report "$BIN" -instr-profile="$OUT/all.profdata" --ignore-filename-regex='test/fuzz/' | sed 's|^.*/src/|src/|'
llvm-cov show "$BIN" -instr-profile="$OUT/all.profdata" --ignore-filename-regex='test/fuzz/' \
    -format=html -output-dir="$OUT/html" >/dev/null
