# test/bench/table.sh: sourced by the benchmarks; one row of make bench's table.
#
#   bench_row NAME EOSWATH PEER RATIO WHY
#
# EOSWATH and PEER are figures with their unit ("412 MiB/s", "3.1 ms"),
# RATIO is how many times better eoswath is (> 1: eoswath better, whatever
# the unit), WHY names the peer and why it is the fair one.  Rows go to
# $BENCH_TABLE (set by run.sh) as tab-separated lines, and are echoed.

bench_row() {
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >> "${BENCH_TABLE:-/dev/null}"
    printf 'ROW  %-34s %14s %14s %7s  %s\n' "$1" "$2" "$3" "$4" "$5"
}

# The granule helper's children run with the malloc settings that
# granule_client.c gives them; the peers that parse the same granules (the
# helper's in-process path, Python, ncks) run with the same ones, read from
# there so that the two cannot drift apart.
BENCH_PEER_TUNABLES=$(grep -o 'GLIBC_TUNABLES=[^"]*' "$(dirname "${BASH_SOURCE[0]}")/../../src/granule_client.c")
[ -n "$BENCH_PEER_TUNABLES" ] || { echo "table.sh: no GLIBC_TUNABLES in src/granule_client.c" >&2; exit 1; }

# Seconds a timed run that writes BYTES waits after the last output was
# removed: BENCH_SETTLE, by default 5 per GiB, at least 5.  On a VM with
# free page reporting, memory freed a moment ago is 2-3 times faster to
# fill, and the host takes it back at a bounded rate (after 5 s a 4 GiB
# loop still wrote at 832 MiB/s, against 455 for 1 GiB).
bench_settle() {
    echo "${BENCH_SETTLE:-$(( $1 / 1073741824 * 5 > 5 ? $1 / 1073741824 * 5 : 5 ))}"
}

# speed ratio from two times (seconds): peer time / eoswath time
bench_ratio_t() { awk -v e="$1" -v p="$2" 'BEGIN { printf "%.2fx", p / e }'; }
# the faster of two times (seconds): the stronger of two ways to the same result
bench_faster() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? a : b }'; }
# MiB/s of BYTES in SECONDS
bench_rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f MiB/s", b / 1048576 / s }'; }
