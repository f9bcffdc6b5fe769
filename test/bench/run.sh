#!/usr/bin/env bash
# test/bench/run.sh (make bench): every benchmark, one after the other, then
# one table: name, eoswath, peer, ratio (> 1: eoswath better), and which peer
# and why.  Each benchmark measures its peer in the same run; none fails on
# speed.  Takes about an hour on a 2-core machine.  Each script also runs
# alone (bash test/bench/objects.sh) and prints its own rows.
#
#   BENCHES="objects streams" test/bench/run.sh     a subset
#   BENCH_TABLE_OUT=FILE                            also keep the table there
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export BENCH_TABLE
BENCH_TABLE=$(mktemp /tmp/eoswath-bench.XXXXXX)
chmod 666 "$BENCH_TABLE"
trap 'rm -f "$BENCH_TABLE"' EXIT
rc=0
for b in ${BENCHES:-objects blocks streams catalog subset granule footprint quicklook s3 scrub}; do
    [ -f "$HERE/$b.sh" ] || continue
    echo "=================== $b"
    bash "$HERE/$b.sh" || { echo "benchmark $b failed"; rc=1; }
done

echo
echo "=================== summary ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)"
{
    printf 'benchmark\teoswath\tpeer\tratio\tpeer, and why this peer\n'
    cat "$BENCH_TABLE"
} | awk -F'\t' '{ printf "| %-36s | %14s | %14s | %6s | %s |\n", $1, $2, $3, $4, $5;
                  if (NR == 1) printf "|%s|%s|%s|%s|%s|\n", "--------------------------------------", "---------------:", "---------------:", "-------:", "---" }'
echo "ratio: how many times better eoswath is than the peer (speed ratio, or peer memory / eoswath memory); < 1: the peer is better."
[ -z "${BENCH_TABLE_OUT:-}" ] || cp "$BENCH_TABLE" "$BENCH_TABLE_OUT"
exit $rc
