#!/usr/bin/env bash
# test/fuzz/run.sh: fuzz the granule parsing code, then triage what failed.
# Run by "make fuzz" (which builds the targets first) and by
# test/suites/fuzz.sh.
#
#   FUZZ_TARGET    granule (default: fuzz_granule.c, the helper's parsing
#                  entry points) or region (fuzz_region.c, WKB regions)
#   FUZZ_SECONDS   how long to fuzz (600)
#   FUZZ_JOBS      parallel fuzzing processes (libFuzzer -fork=N; 1)
#   FUZZ_WORK      work directory: seeds, the growing corpus, artifacts,
#                  logs (test/fuzz/work/$FUZZ_TARGET)
#   FUZZ_BIN       the target (test/fuzz/fuzz_$FUZZ_TARGET)
#   FUZZ_TIMEOUT   seconds one input may take (30)
#   FUZZ_RSS_MB    memory of one fuzzing process (2048)
#   FUZZ_SAVE      1 (default): copy one input per new signature into the
#                  committed corpora: library faults to test/hostile/corpus,
#                  faults of ours to test/fuzz/regress/$FUZZ_TARGET (to fix,
#                  then commit); 0: keep them in the work directory only
#
# Fork mode with -ignore_crashes/-ignore_timeouts/-ignore_ooms: a crash
# inside libhdf5 (which the helper's sandbox contains) does not stop the
# run; every failing input is kept as an artifact and replayed afterwards
# by triage.py, which tells ours from the libraries'.  Exit status: 1 when
# any artifact is a fault of ours.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
FUZZ_TARGET=${FUZZ_TARGET:-granule}
FUZZ_SECONDS=${FUZZ_SECONDS:-600}
FUZZ_JOBS=${FUZZ_JOBS:-1}
FUZZ_WORK=${FUZZ_WORK:-$HERE/work/$FUZZ_TARGET}
FUZZ_BIN=${FUZZ_BIN:-$HERE/fuzz_$FUZZ_TARGET}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-30}
FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}
FUZZ_SAVE=${FUZZ_SAVE:-1}

[ -x "$FUZZ_BIN" ] || { echo "no fuzz target at $FUZZ_BIN (make fuzz-build)"; exit 2; }
dict=()
case $FUZZ_TARGET in
    granule) max_len=131072; dict=(-dict="$HERE/granule.dict") ;;
    region) max_len=65536 ;;
    *) echo "FUZZ_TARGET is granule or region"; exit 2 ;;
esac
mkdir -p "$FUZZ_WORK/corpus"
if [ ! -d "$FUZZ_WORK/seeds" ]; then
    if [ "$FUZZ_TARGET" = granule ]; then
        "$HERE/make_seeds.sh" "$FUZZ_WORK/seeds"
    else
        /usr/bin/python3 "$HERE/make_region_seeds.py" "$FUZZ_WORK/seeds"
    fi
fi
stamp=$(date +%Y%m%d-%H%M%S)
arts=$FUZZ_WORK/artifacts-$stamp
log=$FUZZ_WORK/fuzz-$stamp.log
mkdir -p "$arts"
# libFuzzer's fork mode keeps its jobs' files under TMPDIR; so does the target
export TMPDIR=$FUZZ_WORK/tmp
mkdir -p "$TMPDIR"

# the first directory receives new inputs; the others only seed (not the
# hostile corpus: its inputs crash every fork job that draws one)
seed_dirs=("$FUZZ_WORK/seeds")
for d in "$HERE/corpus/$FUZZ_TARGET" "$HERE/regress/$FUZZ_TARGET"; do
    [ -d "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ] && seed_dirs+=("$d")
done

echo "fuzzing $FUZZ_TARGET for ${FUZZ_SECONDS}s with $FUZZ_JOBS job(s); log $log"
set +e
"$FUZZ_BIN" -fork="$FUZZ_JOBS" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" \
    -rss_limit_mb="$FUZZ_RSS_MB" -malloc_limit_mb=1024 -max_len="$max_len" \
    -artifact_prefix="$arts/" -print_final_stats=1 "${dict[@]}" \
    "$FUZZ_WORK/corpus" "${seed_dirs[@]}" >"$log" 2>&1
rc=$?
set -e
rm -rf "$TMPDIR"/libFuzzerTemp.* "$TMPDIR"/eoswath-fuzz.* 2>/dev/null || true

# libFuzzer's last status line: "#N: cov: C ft: F corp: K exec/s E oom/timeout/crash: a/b/c time: T"
last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1 || true)
execs=$(sed -nE 's/^#([0-9]+):.*/\1/p' <<<"$last")
cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
corp=$(sed -nE 's/.* corp: ([0-9]+).*/\1/p' <<<"$last")
fails=$(sed -nE 's|.* oom/timeout/crash: ([0-9/]+).*|\1|p' <<<"$last")
if [ -z "$last" ]; then
    echo "libFuzzer did not run (exit $rc):"
    tail -n 30 "$log"
    exit 2
fi

echo "== triage of $(ls "$arts" | wc -l) artifact(s)"
save=()
if [ "$FUZZ_SAVE" = 1 ]; then
    save=(--save-library "$REPO/test/hostile/corpus" --save-ours "$HERE/regress/$FUZZ_TARGET")
else
    save=(--save-library "$FUZZ_WORK/library" --save-ours "$FUZZ_WORK/ours")
fi
set +e
/usr/bin/python3 "$HERE/triage.py" "$FUZZ_BIN" "$arts" --timeout "$FUZZ_TIMEOUT" \
    --rss-limit-mb "$FUZZ_RSS_MB" --json "$arts.json" "${save[@]}" | tee "$arts.triage"
trc=${PIPESTATUS[0]}
set -e

ours=$(grep -cE '^\[ours\]' "$arts.triage" || true)
lib=$(grep -cE '^\[library\]' "$arts.triage" || true)
echo "== summary"
echo "executions ${execs:-0}, coverage ${cov:-0} edges (${ft:-0} features), corpus ${corp:-0} inputs"
echo "failing inputs (oom/timeout/crash): ${fails:-0/0/0}; signatures: $ours of ours, $lib of the libraries"
[ "$trc" = 0 ]
