#!/usr/bin/env bash
# test/fuzz/update_corpus.sh [TARGET] [MAX_BYTES]: refresh the committed
# corpus test/fuzz/corpus/TARGET (granule by default) from the work corpus
# of "make fuzz": libFuzzer's -set_cover_merge=1 keeps a small set of inputs that
# reaches the same coverage as the committed corpus and the work corpus
# together, from inputs of at most MAX_BYTES (granule 24 KB, region 4 KB),
# so that the committed corpus stays small.  Files are named by the SHA-1
# of their content.  Review and commit the result.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TARGET=${1:-granule}
case $TARGET in
    granule) MAX=${2:-24576} ;;
    region) MAX=${2:-4096} ;;
    *) echo "usage: update_corpus.sh [granule|region] [MAX_BYTES]"; exit 2 ;;
esac
BIN=$HERE/fuzz_$TARGET
DEST=$HERE/corpus/$TARGET
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/cand" "$tmp/new" "$DEST"
for d in "$DEST" "$HERE/work/$TARGET/corpus" "$HERE/work/$TARGET/seeds"; do
    [ -d "$d" ] && find "$d" -maxdepth 1 -type f -size -$((MAX + 1))c -exec cp -t "$tmp/cand" {} +
done
TMPDIR=$tmp "$BIN" -set_cover_merge=1 -timeout=30 -rss_limit_mb=2048 "$tmp/new" "$tmp/cand" >"$tmp/merge.log" 2>&1 ||
    { tail -n 20 "$tmp/merge.log"; exit 1; }
rm -f "$DEST"/*
cp "$tmp"/new/* "$DEST"/
echo "$TARGET: $(ls "$DEST" | wc -l) inputs, $(cat "$DEST"/* | wc -c) bytes ($(grep -E 'MERGE-OUTER: [0-9]+ new files' "$tmp/merge.log"))"
