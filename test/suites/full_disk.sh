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

# a site that fills up in the middle of a put of unknown size (a stream):
# its copy is made on the next site in placement order from a finished
# copy, and the put succeeds; only when every copy's site is full does it fail
MNT2=$WORK/tiny2
mkdir -p "$MNT2" "$WORK/big2"; chown "$TEST_USER" "$WORK/big2" 2>/dev/null || true
mount -t tmpfs -o size=4m,mode=0700,uid="$(id -u "$TEST_USER")" tmpfs "$MNT2"
cleanup_hooks=("umount '$MNT2'" "${cleanup_hooks[@]}")
q "SELECT wos_site_add('tiny2', '$MNT2/site')" >/dev/null
q "SELECT wos_site_add('big2', '$WORK/big2')" >/dev/null
q "SELECT wos_policy_add('spill', 2, ARRAY['tiny2', 'big', 'big2'])" >/dev/null
q "SELECT wos_policy_add('tinyonly', 1, ARRAY['tiny2'])" >/dev/null
stream_put() {  # stream_put POLICY MIB SEED: a put of unknown size, 1 MiB per write
    {
        echo "BEGIN;"
        echo "SELECT wos_put_stream('$1') AS s \\gset"
        for k in $(seq 1 "$2"); do
            echo "SELECT FROM wos_stream_write(:s, decode(repeat(lpad(to_hex(($3 * 7 + $k) % 256), 2, '0'), 1048576), 'hex'));"
        done
        echo "SELECT wos_stream_close(:s);"
        echo "COMMIT;"
    } | psql_user -At -q -v VERBOSITY=verbose 2>&1
}
spilled=()
for i in $(seq 1 8); do
    out=$(stream_put spill 3 "$i") || fail "stream put $i with one site filling up failed: $out"
    spilled+=("$(echo "$out" | tail -n 1)")
done
grep -q 'ran out of space during the put of object' "$WORK/fd/log" ||
    fail "no put met the full site: the fallback was not exercised"
for id in "${spilled[@]}"; do
    [ "$(q "SELECT cardinality(sites) FROM eoswath.objects WHERE oid = '$id'")" = 2 ] ||
        fail "object $id does not have 2 copies"
    [ "$(q "SELECT length(wos_get('$id'))")" = 3145728 ] || fail "object $id unreadable"
done
on_tiny2=$(q "SELECT count(*) FROM eoswath.objects o JOIN eoswath.sites s ON s.site_id = ANY (o.sites) WHERE s.name = 'tiny2'")
[ "$(find "$MNT2/site" -type f ! -name .eoswath-site | wc -l)" = "$on_tiny2" ] ||
    fail "tiny2 holds files no object lists (partial copies left behind)"
find "$MNT2/site" "$WORK/big" "$WORK/big2" -name '*.tmp*' | grep -q . && fail "temporary files left behind"
[ "$(q "SELECT count(*) FROM wos_verify()")" = 0 ] || fail "wos_verify found bad copies after the spills"
[ "$(q "SELECT count(*) FROM wos_sweep()")" = 0 ] || fail "wos_sweep found leftovers after the spills"
echo "full_disk: 8 streamed puts of 3 MiB with a 4 MiB site among three filling up, none failed ($on_tiny2 copies on it)"

nobj=$(q "SELECT count(*) FROM eoswath.objects")
out=$(stream_put tinyonly 5 99) && fail "a 5 MiB stream into a 4 MiB only site succeeded"
echo "$out" | grep -q '53100' || fail "expected SQLSTATE 53100 when every copy's site is full, got: $out"
echo "$out" | grep -q 'every site chosen for it ran out of space' || fail "unclear message: $out"
[ "$(q "SELECT count(*) FROM eoswath.objects")" = "$nobj" ] || fail "the failed put left a catalog row"
[ "$(find "$MNT2/site" -type f ! -name .eoswath-site | wc -l)" = "$on_tiny2" ] ||
    fail "the failed put left a partial copy"
echo "full_disk: a stream whose only site fills up fails with 53100 and leaves nothing"

# the same with the copy written with O_DIRECT from its first byte
# (eoswath.site_direct_after = 0; tmpfs takes O_DIRECT since Linux 6.6,
# elsewhere the copy goes through the page cache as above): the disk fills
# under the writer thread, and a later write of the put reports it
out=$(PGOPTIONS='-c eoswath.site_direct_after=0' stream_put tinyonly 9 98) &&
    fail "a 9 MiB stream written directly into a 4 MiB only site succeeded"
echo "$out" | grep -q '53100' || fail "direct: expected SQLSTATE 53100, got: $out"
echo "$out" | grep -q 'every site chosen for it ran out of space' || fail "direct: unclear message: $out"
[ "$(q "SELECT count(*) FROM eoswath.objects")" = "$nobj" ] || fail "the failed direct put left a catalog row"
[ "$(find "$MNT2/site" -type f ! -name .eoswath-site | wc -l)" = "$on_tiny2" ] ||
    fail "the failed direct put left a partial copy"
out=$(PGOPTIONS='-c eoswath.site_direct_after=0' stream_put spill 9 97) ||
    fail "a 9 MiB stream written directly, one site filling up, failed: $out"
id=$(echo "$out" | tail -n 1)
[ "$(q "SELECT cardinality(sites) FROM eoswath.objects WHERE oid = '$id'")" = 2 ] ||
    fail "direct: object $id does not have 2 copies"
[ "$(q "SELECT count(*) FROM wos_verify('$id')")" = 2 ] || fail "direct: wos_verify of $id"
[ "$(q "SELECT count(*) FROM wos_verify('$id') WHERE status <> 'ok'")" = 0 ] || fail "direct: a bad copy of $id"
echo "full_disk: direct writes: a full only site fails with 53100 and leaves nothing; a full site among three is spilled over"

# freeing space makes the site usable again
q "SELECT wos_delete('${ids[0]}')" >/dev/null
q "SELECT wos_put('\\x01'::bytea, '{}', 'withtiny')" >/dev/null || fail "put after freeing space failed"
echo "full_disk: ok"
