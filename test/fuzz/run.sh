#!/usr/bin/env bash
# test/fuzz/run.sh: fuzz the granule parsing code, then triage what failed.
# Run by "make fuzz" (which builds test/fuzz/fuzz_granule first) and by
# test/suites/fuzz.sh.
#
#   FUZZ_SECONDS   how long to fuzz (600)
#   FUZZ_JOBS      parallel fuzzing processes (libFuzzer -fork=N; 1)
#   FUZZ_WORK      work directory: seeds, the growing corpus, artifacts,
#                  logs (test/fuzz/work)
#   FUZZ_BIN       the target (test/fuzz/fuzz_granule)
#   FUZZ_TIMEOUT   seconds one input may take (30)
#   FUZZ_RSS_MB    memory of one fuzzing process (2048)
#   FUZZ_SAVE      1 (default): copy one input per new signature into the
#                  committed corpora: library faults to test/hostile/corpus,
#                  faults of ours to test/fuzz/regress (to fix, then commit);
#                  0: keep them in the work directory only
#
# Fork mode with -ignore_crashes/-ignore_timeouts/-ignore_ooms: a crash
# inside libhdf5 (which the helper's sandbox contains) does not stop the
# run; every failing input is kept as an artifact and replayed afterwards
# by triage.py, which tells ours from the libraries'.  Exit status: 1 when
# any artifact is a fault of ours.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-600}
FUZZ_JOBS=${FUZZ_JOBS:-1}
FUZZ_WORK=${FUZZ_WORK:-$HERE/work}
FUZZ_BIN=${FUZZ_BIN:-$HERE/fuzz_granule}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-30}
FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}
FUZZ_SAVE=${FUZZ_SAVE:-1}

[ -x "$FUZZ_BIN" ] || { echo "no fuzz target at $FUZZ_BIN (make fuzz-build)"; exit 2; }
mkdir -p "$FUZZ_WORK/corpus"
[ -d "$FUZZ_WORK/seeds" ] || "$HERE/make_seeds.sh" "$FUZZ_WORK/seeds"
stamp=$(date +%Y%m%d-%H%M%S)
arts=$FUZZ_WORK/artifacts-$stamp
log=$FUZZ_WORK/fuzz-$stamp.log
mkdir -p "$arts"
# libFuzzer's fork mode keeps its jobs' files under TMPDIR; so does the target
export TMPDIR=$FUZZ_WORK/tmp
mkdir -p "$TMPDIR"

# the first directory receives new inputs; the others only seed
seed_dirs=("$FUZZ_WORK/seeds")
for d in "$HERE/corpus" "$HERE/regress" "$REPO/test/hostile/corpus"; do
    [ -d "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ] && seed_dirs+=("$d")
done

echo "fuzzing for ${FUZZ_SECONDS}s with $FUZZ_JOBS job(s); log $log"
set +e
"$FUZZ_BIN" -fork="$FUZZ_JOBS" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" \
    -rss_limit_mb="$FUZZ_RSS_MB" -malloc_limit_mb=1024 -max_len=524288 \
    -artifact_prefix="$arts/" -print_final_stats=1 \
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
    save=(--save-library "$REPO/test/hostile/corpus" --save-ours "$HERE/regress")
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
