#!/usr/bin/env bash
# test/suites/cli_tty.sh: the eoswath client on a real terminal (tmux): a
# progress bar with bytes, percentage, rate and ETA while it runs, a clean
# final line ("... 100% ... in M:SS"), and the id on standard output.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness.sh"
fail() { echo "cli_tty: FAIL: $*"; tmux kill-session -t "$SESSION" 2>/dev/null || true; exit 1; }

pg_start tty
psql_user -q -c "CREATE EXTENSION eoswath CASCADE" 2>/dev/null
head -c 400000000 /dev/urandom > "$WORK/big.bin"
chmod 644 "$WORK/big.bin"
SESSION=eoswath-tty-$$
# a slow transfer, so the bar is seen mid-way: 50 MB/s through a pipe
as=""
[ "$(id -u)" = 0 ] && as="runuser -u $TEST_USER --"
tmux new-session -d -s "$SESSION" -x 120 -y 10 \
    "$as env PGHOST=$PGHOST PGPORT=$PGPORT PGDATABASE=postgres \
     sh -c 'pv -q -L 50m $WORK/big.bin | $PGBIN/eoswath put - ; echo EXIT=\$?'; sleep 60"
mid=""
for _ in $(seq 1 40); do
    sleep 0.25
    line=$(tmux capture-pane -p -t "$SESSION" | grep -E 'MiB/s|KiB/s|B/s' | tail -1 || true)
    if [ -n "$line" ]; then mid=$line; break; fi
done
echo "cli_tty: while running: $mid"
echo "$mid" | grep -Eq '^[0-9.]+ [KMG]?i?B [0-9.]+ [KMG]?i?B/s' || fail "no progress line while running"
for _ in $(seq 1 80); do
    sleep 0.25
    tmux capture-pane -p -t "$SESSION" | grep -q '^EXIT=' && break
done
screen=$(tmux capture-pane -p -t "$SESSION")
tmux kill-session -t "$SESSION"
echo "$screen" | grep -v '^$' | sed 's/^/cli_tty: /'
echo "$screen" | grep -q '^EXIT=0$' || fail "eoswath put did not exit 0"
echo "$screen" | grep -Eq '^[0-9A-Z]{13}$' || fail "no object id printed"
final=$(echo "$screen" | grep -E 'B/s' | tail -1)
echo "$final" | grep -Eq 'B/s in [0-9]+:[0-9]{2}$' || fail "final line not clean: '$final'"
echo "cli_tty: ok"
