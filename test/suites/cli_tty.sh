#!/usr/bin/env bash
# test/suites/cli_tty.sh: the eoswath client on a real terminal (tmux): a
# progress bar with bytes, percentage, rate and ETA while it runs, a clean
# final line ("... 100% ... in M:SS"), and the id on standard output; the
# password prompt (no echo, the password typed, connected; a wrong one
# refused; -W); ingest's bar with files done ("[k/N] ...") and its summary.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness.sh"
fail() {
    echo "cli_tty: FAIL: $*"
    tmux capture-pane -p -t "$SESSION" 2>/dev/null | grep -v '^$' | sed 's/^/cli_tty: screen: /' || true
    tmux kill-session -t "$SESSION" 2>/dev/null || true
    exit 1
}

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
rm -f "$WORK/big.bin"

# run_tty NAME COMMAND: COMMAND (as the test user) in a new tmux session
run_tty() {
    SESSION=eoswath-tty-$1-$$
    tmux new-session -d -s "$SESSION" -x 150 -y 12 \
        "$as env PGHOST=$PGHOST PGPORT=$PGPORT PGDATABASE=postgres PATH=$PGBIN:/usr/bin:/bin \
         sh -c '$2; echo EXIT=\$?'; sleep 120"
}
# wait_for REGEX [SECONDS]: until the pane shows a line matching REGEX
wait_for() {
    for _ in $(seq 1 $((${2:-20} * 4))); do
        tmux capture-pane -p -J -t "$SESSION" | grep -Eq "$1" && return 0
        sleep 0.25
    done
    return 1
}

# ---- the password prompt, as psql's ----
psql_user -q -c "CREATE ROLE pwuser LOGIN PASSWORD 'secret' IN ROLE eoswath_admin"
{ echo "local all pwuser scram-sha-256"; cat "$PGDATA/pg_hba.conf"; } > "$WORK/hba"
cp "$WORK/hba" "$PGDATA/pg_hba.conf"
psql_user -q -c "SELECT pg_reload_conf()" >/dev/null
for try in right wrong forced; do
    case $try in
        right)  cmd="eoswath ls -U pwuser --limit 1"; pw=secret ;;
        wrong)  cmd="eoswath ls -U pwuser --limit 1"; pw=guess ;;
        forced) cmd="eoswath -W -U pwuser ls --limit 1"; pw=secret ;;
    esac
    run_tty "pw-$try" "$cmd"
    wait_for '^Password for user pwuser:' || fail "$try: no password prompt"
    tmux send-keys -t "$SESSION" "$pw" Enter
    wait_for '^EXIT=' || fail "$try: eoswath did not finish after the password"
    screen=$(tmux capture-pane -p -J -t "$SESSION")
    tmux kill-session -t "$SESSION"
    echo "$screen" | grep -v '^$' | sed "s/^/cli_tty: $try: /"
    echo "$screen" | grep -q "$pw" && fail "$try: the password was echoed"
    if [ $try = wrong ]; then
        echo "$screen" | grep -q '^EXIT=2$' || fail "wrong password: not exit 2"
        echo "$screen" | grep -q 'password authentication failed for user "pwuser"' \
            || fail "wrong password: the server's message is missing"
        [ "$(echo "$screen" | grep -c '^Password for user')" = 1 ] || fail "wrong password: asked more than once"
    else
        echo "$screen" | grep -q '^EXIT=0$' || fail "$try: not exit 0"
        echo "$screen" | grep -q '^(1 row)$' || fail "$try: no listing after the password"
    fi
done

# ---- ingest: a bar with files done, bytes, rate and ETA; then a summary ----
GRANULES=${EOSWATH_GRANULES:-$REPO/../shared/data/swaths}
mkdir -p "$WORK/ingest"
n=0
for i in $(seq -w 1 20); do
    for g in "$GRANULES"/*.nc "$GRANULES"/*.nc4 "$GRANULES"/*.HDF5; do
        cp "$g" "$WORK/ingest/c${i}_$(basename "$g")"
        n=$((n + 1))
    done
done
chmod -R a+rX "$WORK/ingest"
run_tty ingest "eoswath ingest $WORK/ingest --jobs 2"
mid=""
for _ in $(seq 1 240); do
    mid=$(tmux capture-pane -p -J -t "$SESSION" | grep -E "^\[[0-9]+/$n\] " | tail -1 || true)
    [ -n "$mid" ] && break
    sleep 0.25
done
echo "cli_tty: ingest while running: $mid"
echo "$mid" | grep -Eq "^\[[0-9]+/$n\] [0-9.]+ [KMG]?i?B / [0-9.]+ [KMG]?i?B +[0-9]+% [0-9.]+ [KMG]?i?B/s" \
    || fail "ingest: no progress line while running"
wait_for '^EXIT=' 180 || fail "ingest did not finish"
screen=$(tmux capture-pane -p -J -t "$SESSION")
tmux kill-session -t "$SESSION"
echo "$screen" | grep -v '^$' | tail -4 | sed 's/^/cli_tty: /'
echo "$screen" | grep -q '^EXIT=0$' || fail "eoswath ingest did not exit 0"
echo "$screen" | grep -q "^ingest: $n stored, 0 skipped, 0 failed$" || fail "ingest: no summary"
echo "$screen" | grep -Eq "^\[$n/$n\] .* 100% .*B/s in [0-9]+:[0-9]{2}$" || fail "ingest: final line not clean"
echo "cli_tty: ok"
