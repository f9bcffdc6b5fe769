#!/usr/bin/env bash
# test/suites/fuzz.sh: the fuzzers as a standing test (no server, no
# network; as root or as a normal user).
#   1. builds the libFuzzer targets (clang, ASan + UBSan) in a copy of the
#      tree: fuzz_granule (the helper's parsing entry points) and
#      fuzz_region (WKB regions);
#   2. replays the committed corpora: test/fuzz/regress/* (every input that
#      ever crashed our code, hung or blew memory) must now pass cleanly;
#      test/fuzz/corpus/* and test/hostile/corpus (faults inside libnetcdf /
#      libhdf5) must show no fault of ours;
#   3. fuzzes fuzz_granule for FUZZ_SECONDS (100) and fuzz_region for
#      FUZZ_REGION_SECONDS (20) from generated seeds and the committed
#      corpora, then triages every artifact.  A new fault of ours fails the
#      suite; a library-internal one is reported and saved (not a failure).
# Artifacts are kept in $EOSWATH_FUZZ_ARTIFACTS (default
# test/fuzz/work/ci-<date> in the repository, owned by its owner).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-100}
FUZZ_REGION_SECONDS=${FUZZ_REGION_SECONDS:-20}
FUZZ_JOBS=${FUZZ_JOBS:-1}
start=$(date +%s)

if ! command -v clang >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
    echo "fuzz: skipped (clang and libclang-rt-14-dev are not installed)"
    exit 0
fi

WORK=$(mktemp -d /tmp/eoswath-fuzz-ci.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
keep=${EOSWATH_FUZZ_ARTIFACTS:-$REPO/test/fuzz/work/ci-$(date +%Y%m%d-%H%M%S)}

echo "== build"
# a copy, so that a root run leaves nothing root-owned in the tree
tar -C "$REPO" --exclude=test/fuzz/work --exclude=test/fuzz/obj \
    --exclude=test/fuzz/fuzz_granule --exclude=test/fuzz/fuzz_region \
    -cf - Makefile eoswath.control src test/fuzz test/fixtures test/subset \
    $( [ -d "$REPO/test/hostile" ] && echo test/hostile ) | tar -C "$WORK" -xf -
PG_CONFIG=${EOSWATH_PG_CONFIG:-pg_config}
make -C "$WORK" -s -j2 PG_CONFIG="$PG_CONFIG" fuzz-build >"$WORK/build.log" 2>&1 || {
    cat "$WORK/build.log"; echo "fuzz: the target does not build"; exit 1; }
export TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR"

fail=0
summary=()
echo "== replay of the committed corpora ($(( $(date +%s) - start ))s)"
replay() {  # replay NAME BINARY DIR MUST_PASS SECONDS_PER_INPUT
    local name=$1 bin=$2 dir=$3 must_pass=$4 secs=$5 n file
    n=$(ls -A "$dir" 2>/dev/null | wc -l)
    if [ "$n" = 0 ]; then echo "$name: empty"; return 0; fi
    file=$WORK/replay-${name//\//-}
    set +e
    /usr/bin/python3 "$WORK/test/fuzz/triage.py" "$bin" "$dir" --quiet --timeout "$secs" \
        --json "$file.json" >"$file.triage"
    set -e
    /usr/bin/python3 - "$file.json" "$name" "$must_pass" "$file.line" <<'PY'
import collections, json, sys
res = json.load(open(sys.argv[1]))["results"]
name, must_pass = sys.argv[2], sys.argv[3] == "1"
c = collections.Counter(r["class"] for r in res)
bad = [r for r in res if r["class"] == "ours" or (must_pass and r["class"] != "passes")]
line = f"{name}: {len(res)} inputs: {c['passes']} pass, {c['library']} library faults, {c['ours']} ours"
print(line)
open(sys.argv[4], "w").write(line + "\n")
for r in bad:
    print(f"  FAIL {r['input']}: {r['kind']} {r['summary'][:200]}")
    for s in r["signature"]:
        print(f"       at {s}")
sys.exit(1 if bad else 0)
PY
}
for t in granule region; do
    replay "regress/$t" "$WORK/test/fuzz/fuzz_$t" "$WORK/test/fuzz/regress/$t" 1 30 || fail=1
    replay "corpus/$t" "$WORK/test/fuzz/fuzz_$t" "$WORK/test/fuzz/corpus/$t" 0 30 || fail=1
done
# a library's endless loop is known to be one: no need to wait long for it
replay hostile "$WORK/test/fuzz/fuzz_granule" "$WORK/test/hostile/corpus" 0 10 || fail=1

for t in granule region; do
    secs=$FUZZ_SECONDS
    [ "$t" = region ] && secs=$FUZZ_REGION_SECONDS
    echo "== fuzzing $t for ${secs}s ($(( $(date +%s) - start ))s)"
    set +e
    FUZZ_TARGET=$t FUZZ_WORK=$WORK/fuzz/$t FUZZ_SECONDS=$secs FUZZ_JOBS=$FUZZ_JOBS \
        FUZZ_BIN=$WORK/test/fuzz/fuzz_$t FUZZ_SAVE=0 "$WORK/test/fuzz/run.sh" >"$WORK/run-$t.out" 2>&1
    frc=$?
    set -e
    # the triage and the summary, without the full sanitizer reports
    sed -n '/^== triage/,$p' "$WORK/run-$t.out" |
        grep -vE '^--- |^$|^ +#[0-9]|^INFO|^Running|^==[0-9]|^=+$|^SUMMARY|^Address|^/|^eoswath-fuzz' | head -60
    grep -q '^== summary' "$WORK/run-$t.out" || { tail -n 40 "$WORK/run-$t.out"; fail=1; }
    # A fault of ours that this short random run finds is reported loudly
    # and kept; it fails the suite only with FUZZ_STRICT=1 (make fuzz is
    # strict), so that whether a change lands does not depend on the luck
    # of 100 random seconds.  Every fault found goes into regress/, which
    # the replay above checks strictly.
    if [ "$frc" != 0 ]; then
        if [ -n "${FUZZ_STRICT:-}" ]; then
            fail=1
        else
            echo "fuzz: NEW FAULT found by the random run of $t (above); add the input to test/fuzz/regress/$t with its fix"
            summary+=("$t: NEW FAULT found by the random run (see above)")
        fi
    fi
    summary+=("$t: $(grep -E '^executions' "$WORK/run-$t.out" || echo 'no run')")
    summary+=("$t: $(grep -E '^failing inputs' "$WORK/run-$t.out" || true)")
done

# keep what failed, for a developer to look at
if compgen -G "$WORK/fuzz/*/library" >/dev/null || compgen -G "$WORK/fuzz/*/ours" >/dev/null; then
    parent_existed=0
    [ -d "$(dirname "$keep")" ] && parent_existed=1
    mkdir -p "$keep"
    for t in granule region; do
        for d in library ours; do
            [ -d "$WORK/fuzz/$t/$d" ] && mkdir -p "$keep/$t" && cp -r "$WORK/fuzz/$t/$d" "$keep/$t/"
        done
        cp "$WORK"/fuzz/$t/artifacts-*.triage "$WORK"/fuzz/$t/fuzz-*.log "$keep/" 2>/dev/null || true
    done
    if [ "$parent_existed" = 0 ]; then
        chown -R --reference="$REPO" "$(dirname "$keep")" 2>/dev/null || true
    else
        chown -R --reference="$REPO" "$keep" 2>/dev/null || true
    fi
    echo "artifacts kept in $keep"
fi
echo "== fuzz suite summary"
cat "$WORK"/replay-*.line 2>/dev/null || true
printf '%s\n' "${summary[@]}"
echo "fuzz suite: $([ $fail = 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - start ))s"
exit $fail
