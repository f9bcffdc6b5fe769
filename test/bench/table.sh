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

# The granule helper's children run with these malloc settings
# (granule_client.c); the peers that parse the same granules (the helper's
# in-process path, Python, ncks) run with the same ones.
BENCH_PEER_TUNABLES=GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=67108864

# speed ratio from two times (seconds): peer time / eoswath time
bench_ratio_t() { awk -v e="$1" -v p="$2" 'BEGIN { printf "%.2fx", p / e }'; }
# MiB/s of BYTES in SECONDS
bench_rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f MiB/s", b / 1048576 / s }'; }
