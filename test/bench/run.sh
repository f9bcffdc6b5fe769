#!/usr/bin/env bash
# test/bench/run.sh (make bench): every benchmark, one after the other.
# Each prints its own figures and ratios against a peer measured in the same
# run; none fails on speed.  Takes about half an hour on a 2-core machine.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
rc=0
for b in objects blocks streams catalog subset granule s3 scrub; do
    [ -x "$HERE/$b.sh" ] || [ -f "$HERE/$b.sh" ] || continue
    echo "=================== $b"
    bash "$HERE/$b.sh" || rc=1
done
exit $rc
