#!/usr/bin/env bash
# test/suites/full_disk.sh: a site whose disk fills up mid-put.
#
# A 4 MiB tmpfs is a site.  Puts with two copies (one on the small disk)
# go on until the disk is full: the failing put must be a clear error with
# SQLSTATE 53100, leave no partial copy on either site, and lose nothing
# already stored.  Needs root (mount); as a normal user it says so and
# passes without running (run-all.sh as root runs it; CI runs as root).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "full_disk: skipped (needs root to mount a tmpfs)"
    exit 0
fi
source "$HERE/../harness.sh"
fail() { echo "full_disk: FAIL: $*"; exit 1; }

pg_start fd
MNT=$WORK/tiny
mkdir -p "$MNT"
mount -t tmpfs -o size=4m,mode=0700,uid="$(id -u "$TEST_USER")" tmpfs "$MNT"
cleanup_hooks=("umount '$MNT'" "${cleanup_hooks[@]}")

q() { psql_user -At -c "$1"; }
q "CREATE EXTENSION eoswath CASCADE" >/dev/null 2>&1
q "SELECT wos_site_add('tiny', '$MNT/site')" >/dev/null
q "SELECT wos_policy_add('withtiny', 2, ARRAY['local', 'tiny'])" >/dev/null

# 1 MiB objects until the disk is full
ids=()
err=""
for i in $(seq 1 10); do
    if out=$(psql_user -At -v VERBOSITY=verbose \
        -c "SELECT wos_put(decode(repeat(lpad(to_hex($i), 2, '0'), 1048576), 'hex'), '{}', 'withtiny')" 2>&1); then
        ids+=("$out")
    else
        err=$out
        break
    fi
done
[ -n "$err" ] || fail "the 4 MiB disk never filled up"
echo "$err" | grep -q '53100' || fail "expected SQLSTATE 53100 (disk full), got: $err"
echo "$err" | grep -qE 'could not write to file|full: [0-9]+ bytes free' || fail "unclear message: $err"
echo "full_disk: put $((${#ids[@]})) objects, then: $(echo "$err" | head -1)"

# nothing partial is left: only the stored objects' copies, no temporaries
nfiles=$(find "$MNT/site" "$PGDATA/eoswath" -type f ! -name .eoswath-site | wc -l)
[ "$nfiles" = $((2 * ${#ids[@]})) ] || fail "expected $((2 * ${#ids[@]})) copies on disk, found $nfiles"
find "$MNT/site" "$PGDATA/eoswath" -name '*.tmp*' | grep -q . && fail "temporary files left behind"

# everything stored before is intact, and the store is consistent
[ "$(q "SELECT count(*) FROM wos_objects")" = "${#ids[@]}" ] || fail "catalog count changed"
[ "$(q "SELECT count(*) FROM wos_verify()")" = 0 ] || fail "wos_verify found bad copies"
[ "$(q "SELECT count(*) FROM wos_sweep()")" = 0 ] || fail "wos_sweep found leftovers"
for id in "${ids[@]}"; do
    [ "$(q "SELECT length(wos_get('$id'))")" = 1048576 ] || fail "object $id unreadable"
done

# one full site among three: replicated puts go to the next site in
# placement order, and not one fails
mkdir -p "$WORK/big"; chown "$TEST_USER" "$WORK/big" 2>/dev/null || true
q "SELECT wos_site_add('big', '$WORK/big')" >/dev/null
before=$(find "$MNT/site" -type f | wc -l)
failed=0
for i in $(seq 1 12); do
    q "SELECT wos_put(decode(repeat(lpad(to_hex($i), 2, '0'), 1048576), 'hex'), '{}', 'replicate')" >/dev/null 2>&1 ||
        failed=$((failed + 1))
done
[ "$failed" = 0 ] || fail "$failed of 12 replicated puts failed with one full site among three"
[ "$(find "$MNT/site" -type f | wc -l)" = "$before" ] || fail "copies were placed on the full site"
[ "$(q "SELECT count(*) FROM wos_verify()")" = 0 ] || fail "wos_verify found bad copies after the replicated puts"
echo "full_disk: 12 replicated puts with one full site among three, none failed"

# freeing space makes the site usable again
q "SELECT wos_delete('${ids[0]}')" >/dev/null
q "SELECT wos_put('\\x01'::bytea, '{}', 'withtiny')" >/dev/null || fail "put after freeing space failed"
echo "full_disk: ok"
