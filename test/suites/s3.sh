#!/usr/bin/env bash
# test/suites/s3.sh: S3 sites against a real Ceph RGW (test/s3/ceph.sh).
#
# Installs the Ceph packages (Debian 12), starts a throw-away cluster, builds
# and installs the extension, runs a PostgreSQL cluster as an unprivileged
# user and checks every object operation and transactional rule on S3 sites,
# multipart uploads, a gateway stopped mid-transfer, endpoint failover, wrong
# credentials, cancel mid-transfer, a mixed dir+s3 policy with repair, and
# that no secret reaches an error, the log or a view.
#
#   test/suites/s3.sh                  (as root; ~1 minute)
#   EOSWATH_NO_BUILD=1 test/suites/s3.sh   skip the build (run-all.sh did it)
set -euo pipefail
SUITE_DIR=$(cd "$(dirname "$0")" && pwd)
source "$SUITE_DIR/../harness.sh"
CEPH_SH=$REPO/test/s3/ceph.sh

pass=0 fail=0
ok()   { pass=$((pass + 1)); echo "ok $((pass + fail)) - $1"; }
bad()  { fail=$((fail + 1)); echo "not ok $((pass + fail)) - $1"; }
is()   { if [ "$1" = "$2" ]; then ok "$3"; else bad "$3"; echo "#   got: '$1'"; echo "#   expected: '$2'"; fi; }
like() { if [[ $1 == *$2* ]]; then ok "$3"; else bad "$3"; echo "#   got: '$1'"; echo "#   expected to contain: '$2'"; fi; }
unlike() { if [[ $1 != *$2* ]]; then ok "$3"; else bad "$3"; echo "#   '$1' contains '$2'"; fi; }

# q SQL: one value, as the test user (superuser); qe SQL: stderr of a failing statement
q()  { psql_user -At -q -c "$1"; }
qe() { psql_user -At -q -v VERBOSITY=verbose -c "$1" 2>&1 >/dev/null || true; }

echo "== s3: packages"
"$CEPH_SH" install

if [ -z "${EOSWATH_NO_BUILD:-}" ]; then
    echo "== s3: build"
    build_and_install
fi

echo "== s3: ceph"
CEPH_DIR=$WORK/ceph
mkdir -p "$CEPH_DIR"
"$CEPH_SH" start "$CEPH_DIR" >/dev/null
cleanup_hooks+=("'$CEPH_SH' stop '$CEPH_DIR' >/dev/null 2>&1")
# shellcheck disable=SC1091
source "$CEPH_DIR/env"
S3="s3cmd -c $S3CFG --no-progress"

echo "== s3: postgres"
pg_start s3
mkdir -p "$WORK/secrets"
cat > "$WORK/secrets/s3credentials" <<EOF
[default]
aws_access_key_id = $S3_ACCESS_KEY
aws_secret_access_key = $S3_SECRET_KEY
EOF
chown -R "$TEST_USER" "$WORK/secrets"; chmod 700 "$WORK/secrets"; chmod 600 "$WORK/secrets/s3credentials"
cat >> "$PGDATA/postgresql.conf" <<CONF
eoswath.s3_allow_http = on
eoswath.s3_credentials_file = '$WORK/secrets/s3credentials'
eoswath.s3_retry_delay = 50ms
log_min_messages = log
CONF
as_user "$PGBIN/pg_ctl" -D "$PGDATA" -w reload >/dev/null
q "CREATE EXTENSION eoswath CASCADE" >/dev/null 2>&1
PGLOG=$WORK/s3/log

# a helper to make bytes of a given size in SQL
q "CREATE FUNCTION blob(mib int, seed int DEFAULT 0) RETURNS bytea LANGUAGE sql AS
   \$\$ SELECT decode(string_agg(md5((g + seed * 1000000)::text), ''), 'hex')
          FROM generate_series(1, mib * 65536) g \$\$" >/dev/null
# keys under a prefix, and multipart uploads in progress, as s3cmd sees them
s3keys()    { $S3 ls -r "s3://eoswath/$1/" | awk '{print $4}' | sed "s|s3://eoswath/$1/||" | grep -v '^\.eoswath-site$' | sort | tr '\n' ' ' | sed 's/ $//'; }
s3uploads() { $S3 multipart s3://eoswath 2>/dev/null | grep -c "s3://eoswath/$1/" || true; }

echo "== s3: sites and credentials"
id=$(q "SELECT wos_site_add('ceph1', '$S3_ENDPOINT', 's3',
        '{\"bucket\": \"eoswath\", \"prefix\": \"c1\", \"access_key\": \"$S3_ACCESS_KEY\", \"secret_key\": \"$S3_SECRET_KEY\"}')")
like "$id" "2" "s3 site with credentials in its options added"
is "$(q "SELECT options::text FROM eoswath.sites WHERE name = 'ceph1'")" '{"bucket": "eoswath", "prefix": "c1"}' \
    "credentials stripped from the site's options"
is "$(q "SELECT has_credentials FROM wos_sites WHERE name = 'ceph1'")" "t" "wos_sites says the site has credentials"
q "CREATE ROLE regress_admin IN ROLE eoswath_admin; CREATE ROLE regress_nobody" >/dev/null
like "$(qe "SET ROLE regress_admin; SELECT * FROM eoswath.site_credentials")" "42501" \
    "eoswath_admin cannot read the credentials table"
unlike "$(psql_user -At -c "SET ROLE regress_admin; SELECT * FROM wos_sites" 2>&1)" "$S3_SECRET_KEY" \
    "wos_sites shows no secret to an admin"
is "$(psql_user -At -q -c "SET ROLE regress_admin; SELECT name || ':' || has_credentials FROM wos_sites WHERE kind = 's3'" 2>&1)" \
    "ceph1:true" "an admin sees the site and that it has credentials"
like "$(qe "SET ROLE regress_nobody; SELECT * FROM wos_sites")" "42501" "wos_sites is not for others"
like "$(qe "SET ROLE regress_nobody; SELECT wos_site_add('evil', 'https://example.com', 's3', '{\"bucket\": \"abc\"}')")" "42501" \
    "an unprivileged user cannot point the server at a URL"
like "$(qe "LOAD 'eoswath'; SET ROLE regress_admin; SET eoswath.s3_allow_http = on")" "42501" \
    "only a superuser may allow plain http"
like "$(qe "LOAD 'eoswath'; SET ROLE regress_nobody; SHOW eoswath.s3_credentials_file")" "42501" \
    "the credentials file setting is hidden from others"
like "$(qe "SET eoswath.s3_allow_http = off; SELECT wos_site_add('plain', '$S3_ENDPOINT', 's3', '{\"bucket\": \"eoswath\", \"prefix\": \"p\", \"credentials\": \"file\"}')")" \
    "42501" "http endpoints refused unless eoswath.s3_allow_http"
like "$(qe "SELECT wos_site_add('userinfo', 'http://u:p@127.0.0.1:1', 's3', '{\"bucket\": \"eoswath\", \"credentials\": \"file\"}')")" \
    "22023" "endpoint URLs with user info refused"
like "$(qe "SELECT wos_site_add('ceph1b', '$S3_ENDPOINT', 's3', '{\"bucket\": \"eoswath\", \"prefix\": \"c1\", \"credentials\": \"file\"}')")" \
    "is not empty" "a used prefix is refused, like a non-empty directory"
like "$(qe "SET ROLE regress_admin; SELECT wos_site_add('fromfile', '$S3_ENDPOINT', 's3', '{\"bucket\": \"eoswath\", \"prefix\": \"f\", \"credentials\": \"file\"}')")" \
    "42501" "only a superuser may add a site that uses the server's credentials file"
like "$(qe "SELECT wos_site_add('typo', '$S3_ENDPOINT', 's3', '{\"bucket\": \"eoswath\", \"bukket\": \"x\"}')")" \
    'unknown S3 site option "bukket"' "unknown options refused"
q "SELECT wos_policy_add('s3', 1, ARRAY['ceph1'])" >/dev/null

echo "== s3: object operations"
oid=$(q "SELECT wos_put('hello from eoswath', '{\"k\": \"v\"}', 's3')")
is "$(s3keys c1)" "$oid" "put: the object is in the bucket under <prefix>/<oid>"
is "$(q "SELECT convert_from(wos_get('$oid'), 'UTF8')")" "hello from eoswath" "get"
is "$(q "SELECT convert_from(wos_get('$oid', 6, 4), 'UTF8')")" "from" "range get"
is "$(q "SELECT size || ' ' || copies_present || ' ' || array_to_string(sites, ',') FROM wos_stat('$oid')")" "18 1 ceph1" "stat"
is "$(q "SELECT wos_exists('$oid')")" "t" "exists"
is "$(q "SELECT status || ':' || action FROM wos_verify('$oid')")" "ok:none" "verify"

q "SET eoswath.s3_part_size = '5MB'; CREATE TABLE big AS SELECT wos_put(blob(12), '{}', 's3') AS oid" >/dev/null
big=$(q "SELECT oid FROM big")
etag=$($S3 info "s3://eoswath/c1/$big" | sed -n 's/.*MD5 sum: *//p')
like "$etag" "-3" "multipart: 12 MiB in 5 MiB parts is stored as 3 parts"
is "$(q "SELECT encode(sha256(wos_get('$big')), 'hex') = (SELECT sha256 FROM wos_stat('$big'))")" "t" \
    "multipart object reads back intact"
# a stream (size unknown): parts of the set size, doubled every
# S3_GROW_EVERY parts (1000; a build with -DS3_GROW_EVERY=2 stores this in 6)
stream_put() {  # stream_put MIB: a put stream of MIB MiB in 1 MiB writes, 5 MB parts; prints the id
    psql_user -At -q -v ON_ERROR_STOP=1 <<SQL | tail -1
SET eoswath.s3_part_size = '5MB';
BEGIN;
SELECT wos_put_stream('s3') AS s \gset
SELECT count(wos_stream_write(:s, blob(1, g))) FROM generate_series(1, $1) g \g /dev/null
SELECT wos_stream_close(:s);
COMMIT;
SQL
}
sbig=$(stream_put 60)
etag=$($S3 info "s3://eoswath/c1/$sbig" | sed -n 's/.*MD5 sum: *//p')
like "$etag" "-${EXPECT_STREAM_PARTS:-12}" "multipart stream: 60 MiB in 5 MB parts (size unknown) is stored as ${EXPECT_STREAM_PARTS:-12} parts"
is "$(q "SELECT encode(sha256(string_agg(blob(1, g), ''::bytea ORDER BY g)), 'hex') FROM generate_series(1, 60) g")" \
    "$(q "SELECT sha256 FROM wos_stat('$sbig')")" "multipart stream: the object is the bytes written"
is "$(q "SELECT encode(sha256(wos_get('$sbig')), 'hex') = (SELECT sha256 FROM wos_stat('$sbig'))")" "t" \
    "multipart stream reads back intact"
q "SELECT wos_delete('$sbig')" >/dev/null
is "$(q "SELECT wos_delete_pending()")" "1" "multipart stream: deleted, its copy removed (the later checks list the bucket)"
is "$(q "SELECT substring(blob(12) FROM 5242870 FOR 30) = wos_get('$big', 5242869, 30)")" "t" \
    "range get across a part boundary"
is "$(s3uploads c1)" "0" "no multipart upload left behind"

echo "== s3: transactions"
psql_user -q -c "BEGIN; SELECT wos_put('rolled back', '{}', 's3'); ROLLBACK;" >/dev/null
is "$(s3keys c1)" "$oid $big" "rollback removes the copy"
psql_user -q -c "SET eoswath.s3_part_size = '5MB'; BEGIN; SELECT wos_put(blob(11), '{}', 's3'); ROLLBACK;" >/dev/null
is "$(s3keys c1) / $(s3uploads c1)" "$oid $big / 0" "rollback of a multipart put leaves no object and no parts"
psql_user -q -c "BEGIN; SAVEPOINT a; SELECT wos_put('sub', '{}', 's3'); ROLLBACK TO a; COMMIT;" >/dev/null
is "$(s3keys c1)" "$oid $big" "subtransaction rollback removes the copy"
psql_user -q -c "BEGIN; SELECT wos_delete('$oid'); ROLLBACK;" >/dev/null
is "$(q "SELECT convert_from(wos_get('$oid'), 'UTF8')")" "hello from eoswath" "delete rolled back: object whole"
# delete: the copy stays until commit
psql_user -q -c "BEGIN; SELECT wos_delete('$oid'); SELECT pg_sleep(2); COMMIT;" >/dev/null &
delpid=$!
sleep 1
is "$(s3keys c1)" "$oid $big" "delete: the copy stays until commit"
wait $delpid
# without the background workers an S3 delete is queued: COMMIT never calls the gateway
is "$(s3keys c1)" "$oid $big" "delete: COMMIT leaves the copy to the delete queue"
is "$(q "SELECT count(*) FROM eoswath.delete_queue WHERE oid = '$oid'")" "1" "delete: one copy queued"
is "$(q "SELECT wos_delete_pending()")" "1" "wos_delete_pending() removes it"
is "$(s3keys c1) / $(q "SELECT count(*) FROM eoswath.delete_queue")" "$big / 0" "delete: the copy is gone, the queue empty"

echo "== s3: sweep"
orphan=000000000ZZZZ
printf 'orphan' > "$WORK/orphan"
$S3 put "$WORK/orphan" "s3://eoswath/c1/$orphan" >/dev/null
curl -s -o /dev/null --aws-sigv4 "aws:amz:$S3_REGION:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X POST "$S3_ENDPOINT/eoswath/c1/000000000ZZZY?uploads="
is "$(s3uploads c1)" "1" "an orphan multipart upload exists"
is "$(q "SELECT string_agg(entry || ' ' || action, ', ' ORDER BY entry) FROM wos_sweep(true)")" \
    "000000000ZZZY?uploadId=$($S3 multipart s3://eoswath | awk '/ZZZY/{print $3}') would remove: partial write, $orphan would remove: no committed object" \
    "sweep (dry run) finds the orphan object and upload"
is "$(q "SELECT count(*) FROM wos_sweep()")" "2" "sweep removes them"
is "$(s3keys c1) / $(s3uploads c1)" "$big / 0" "only committed copies are left"
# a crash in the middle of a multipart put
psql_user -q -c "SET eoswath.s3_part_size = '5MB'; SET eoswath.s3_max_rate = '10MB'; SELECT wos_put(blob(40), '{}', 's3')" >/dev/null 2>&1 &
crashpid=$!
for _ in $(seq 1 100); do [ "$(s3uploads c1)" = 1 ] && break; sleep 0.1; done
as_user "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null
wait $crashpid || true
as_user "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w start >/dev/null
is "$(s3uploads c1)" "1" "a crash mid-upload leaves an upload"
is "$(q "SELECT action FROM wos_sweep()")" "removed: partial write" "the sweep after the crash aborts it"
is "$(s3uploads c1) $(s3keys c1)" "0 $big" "no parts left after the sweep"

echo "== s3: gateway stopped mid-transfer"
(psql_user -q -v VERBOSITY=verbose -c "SET eoswath.s3_part_size = '5MB'; SET eoswath.s3_max_rate = '10MB';
    SELECT wos_put(blob(40), '{}', 's3')" >/dev/null 2>"$WORK/stopped.err" && echo 0 > "$WORK/stopped.rc" || echo $? > "$WORK/stopped.rc") &
putpid=$!
for _ in $(seq 1 100); do [ "$(s3uploads c1)" = 1 ] && break; sleep 0.1; done
sleep 0.5
"$CEPH_SH" stop-rgw "$CEPH_DIR" >/dev/null
wait $putpid || true
err=$(cat "$WORK/stopped.err")
[ "$(cat "$WORK/stopped.rc")" != 0 ] && ok "the put fails" || bad "the put fails"
like "$err" "08006" "with a connection failure (SQLSTATE 08006)"
like "$err" "could not upload part" "saying what could not be done"
unlike "$err" "$S3_SECRET_KEY" "and no secret"
"$CEPH_SH" start-rgw "$CEPH_DIR" >/dev/null
source "$CEPH_DIR/env"
is "$(q "SELECT count(*) FROM eoswath.objects")" "1" "no object visible"
is "$(s3keys c1)" "$big" "no object in the bucket"
q "SELECT count(*) FROM wos_sweep()" >/dev/null
is "$(s3uploads c1)" "0" "no parts left after the sweep"

echo "== s3: failover between endpoints"
is "$(q "SELECT wos_site_add('ceph2', 'http://127.0.0.1:1', 's3',
        '{\"bucket\": \"eoswath\", \"prefix\": \"c2\", \"endpoints\": [\"$S3_ENDPOINT\"], \"credentials\": \"file\"}') > 0")" \
    "t" "site whose first endpoint is down (closed port), credentials from the file"
q "SELECT wos_policy_add('two', 1, ARRAY['ceph2'])" >/dev/null
f=$(q "SELECT wos_put('failover', '{}', 'two')")
is "$(q "SELECT convert_from(wos_get('$f'), 'UTF8')")" "failover" "put and get through the second endpoint"
is "$(s3keys c2)" "$f" "the copy is on the store"
grep -q 'on endpoint http://127.0.0.1:1 failed' "$PGLOG" && ok "the failover is logged" || bad "the failover is logged"

echo "== s3: wrong credentials"
err=$(qe "SELECT wos_site_add('wrong', '$S3_ENDPOINT', 's3',
        '{\"bucket\": \"eoswath\", \"prefix\": \"w\", \"access_key\": \"$S3_ACCESS_KEY\", \"secret_key\": \"WRONG-secret-0123456789\"}')")
like "$err" "28000" "adding a site with wrong credentials: SQLSTATE 28000"
like "$err" "HTTP 403" "the HTTP status in the detail"
unlike "$err" "WRONG-secret" "no secret in the error"
psql_user -q -c "SELECT wos_site_credentials('ceph1', '$S3_ACCESS_KEY', 'WRONG-secret-0123456789')" >/dev/null
err=$(qe "SELECT wos_put('x', '{}', 's3')")
like "$err" "credentials" "a put to a site whose credentials are refused: the site is unavailable, and why"
like "$err" "403" "with the HTTP status"
unlike "$err" "WRONG-secret" "and no secret"
err=$(qe "SELECT wos_get('$big', 0, 10)")
like "$err" "no intact copy" "reads from a site with wrong credentials fail cleanly"
psql_user -q -c "SELECT wos_site_credentials('ceph1', NULL, NULL)" >/dev/null
like "$(qe "SELECT wos_put('x', '{}', 's3')")" "the site has no credentials" "no credentials: a clear reason"
# the right ones back (psql sends them as SQL text: a test only; see the README)
psql_user -q -c "SELECT wos_site_credentials('ceph1', '$S3_ACCESS_KEY', '$S3_SECRET_KEY')" >/dev/null
is "$(q "SELECT length(wos_get('$big', 0, 10))")" "10" "credentials restored"

echo "== s3: cancel mid-transfer"
start=$(date +%s%N)
err=$(qe "SET eoswath.s3_part_size = '5MB'; SET eoswath.s3_max_rate = '10MB'; SET statement_timeout = '1500ms';
          SELECT wos_put(blob(40), '{}', 's3')")
ms=$(( ($(date +%s%N) - start) / 1000000 ))
like "$err" "57014" "statement_timeout cancels a put mid-transfer (SQLSTATE 57014)"
[ $ms -lt 6000 ] && ok "promptly (${ms} ms)" || bad "promptly (${ms} ms)"
is "$(s3keys c1) / $(s3uploads c1)" "$big / 0" "the cancelled upload is aborted on the server"
big2=$(q "SELECT wos_put(blob(40), '{}', 's3')")
err=$(qe "SET eoswath.s3_max_rate = '10MB'; SET statement_timeout = '1s'; SELECT length(wos_get('$big2'))")
like "$err" "57014" "statement_timeout cancels a get mid-transfer"
(psql_user -q -v VERBOSITY=verbose -c "SET eoswath.s3_max_rate = '10MB'; SELECT length(wos_get('$big2'))" \
    >/dev/null 2>"$WORK/getstop.err" || true) &
getpid=$!
sleep 1
"$CEPH_SH" stop-rgw "$CEPH_DIR" >/dev/null
wait $getpid || true
like "$(cat "$WORK/getstop.err")" "08006" "gateway stopped mid-get: a connection failure"
"$CEPH_SH" start-rgw "$CEPH_DIR" >/dev/null
source "$CEPH_DIR/env"
is "$(q "SELECT encode(sha256(wos_get('$big2')), 'hex') = sha256 FROM wos_stat('$big2')")" "t" \
    "and the object reads intact once it is back"

echo "== s3: corrupt blocks in the middle of streamed and ranged reads"
# two S3 copies, each corrupt in a different 4 MiB block: every read must
# switch copies at the bad block (the stream of one copy to ranged reads of
# the other and back) and return only verified bytes
q "SELECT wos_policy_add('s3pair', 2, ARRAY['ceph1', 'ceph2'])" >/dev/null
cb=$(q "SET eoswath.block_size = '4MB'; SELECT wos_put(blob(16, 11), '{}', 's3pair')")
cbsum=$(q "SELECT sha256 FROM wos_stat('$cb')")
corrupt_block() {   # corrupt_block PREFIX BLOCK: flip bytes in the middle of a 4 MiB block of the S3 copy
    $S3 get --force "s3://eoswath/$1/$cb" "$WORK/cb.bin" >/dev/null
    printf 'CORRUPT' | dd of="$WORK/cb.bin" bs=1 seek=$(($2 * 4194304 + 1000000)) conv=notrunc status=none
    $S3 put "$WORK/cb.bin" "s3://eoswath/$1/$cb" >/dev/null
}
corrupt_block c1 1
corrupt_block c2 2
logsize=$(stat -c %s "$PGLOG")
is "$(as_user "$PGBIN/eoswath" get -q "$cb" -o - | sha256sum | cut -d' ' -f1)" "$cbsum" \
    "eoswath get: a stream over copies corrupt in blocks 1 and 2 returns the right bytes"
is "$(tail -c +$((logsize + 1)) "$PGLOG" | grep -o 'checksum mismatch in block [0-9]* of the copy on site "[^"]*"' | sort -u | tr '\n' ';')" \
    'checksum mismatch in block 1 of the copy on site "ceph1";checksum mismatch in block 2 of the copy on site "ceph2";' \
    "both corrupt blocks were detected, each on its own copy, and no other"
is "$(q "SET eoswath.s3_read_ahead = '1MB'; SELECT sum(length(c)) || ' ' || (encode(sha256(string_agg(c, ''::bytea)), 'hex') = '$cbsum')
         FROM wos_stream_get('$cb', 65536) c")" "16777216 true" "streamed with a small read-ahead window too"
is "$(q "SELECT wos_get('$cb', 3000000, 10000000) = substring(blob(16, 11) FROM 3000001 FOR 10000000)")" "t" \
    "a ranged get across four blocks, two of them corrupt on one copy each"
q "SELECT wos_delete('$cb')" >/dev/null
q "SELECT wos_delete_pending()" >/dev/null

echo "== s3: mixed policy, cheapest copy, repair"
q "SELECT wos_policy_add('offsite', 2, ARRAY['local', 'ceph1'])" >/dev/null
m=$(q "SELECT wos_put(blob(3, 7), '{}', 'offsite')")
sum=$(q "SELECT sha256 FROM wos_stat('$m')")
is "$(q "SELECT copies_present || ' ' || array_to_string(sites, ',') FROM wos_stat('$m')")" "2 local,ceph1" \
    "mixed policy: a copy on the directory site and one on S3"
$S3 del "s3://eoswath/c1/$m" >/dev/null
is "$(q "SELECT encode(sha256(wos_get('$m')), 'hex')")" "$sum" "S3 copy missing: read from the directory"
is "$($S3 ls "s3://eoswath/c1/$m" | wc -l)" "1" "and the S3 copy is repaired"
localdir=$(q "SELECT location FROM eoswath.sites WHERE name = 'local'")
[[ $localdir = /* ]] || localdir=$PGDATA/$localdir    # the default site: relative to the data directory
localfile=$(find "$localdir" -name "$m")
rm "$localfile"
"$CEPH_SH" stop-rgw "$CEPH_DIR" >/dev/null
like "$(qe "SELECT wos_get('$m')")" "no intact copy" "both copies unreachable: a clear error"
"$CEPH_SH" start-rgw "$CEPH_DIR" >/dev/null
source "$CEPH_DIR/env"
is "$(q "SELECT encode(sha256(wos_get('$m')), 'hex')")" "$sum" "local copy missing: read from S3"
[ -f "$localfile" ] && ok "and the local copy is repaired" || bad "and the local copy is repaired"
is "$(q "SELECT count(*) FROM wos_verify()")" "0" "verify finds every copy intact"
is "$(q "SELECT count(*) FROM wos_sweep()")" "0" "sweep finds nothing to remove"

echo "== s3: a bucket quota reached in the middle of puts"
# Ceph RGW answers 403 QuotaExceeded once a bucket's quota is reached: that
# copy goes to the next site of the policy, made from a finished copy
$S3 mb s3://small >/dev/null
radosgw-admin -c "$CEPH_DIR/ceph.conf" quota set --quota-scope=bucket --bucket=small --max-size=4194304 \
    >/dev/null 2>&1
radosgw-admin -c "$CEPH_DIR/ceph.conf" quota enable --quota-scope=bucket --bucket=small >/dev/null 2>&1
q "SELECT wos_site_add('quota', '$S3_ENDPOINT', 's3', '{\"bucket\": \"small\", \"prefix\": \"q\", \"credentials\": \"file\"}')" >/dev/null
q "SELECT wos_policy_add('overflow', 2, ARRAY['quota', 'ceph1', 'local'])" >/dev/null
q "SELECT wos_policy_add('quotaonly', 1, ARRAY['quota'])" >/dev/null
spilled=() failed=0
for i in 1 2 3 4 5 6; do
    if out=$(q "SELECT wos_put(blob(2, 100 + $i), '{}', 'overflow')" 2>&1); then spilled+=("$out"); else failed=$((failed + 1)); echo "# $out"; fi
done
is "$failed" "0" "6 puts of 2 MiB with a 4 MiB bucket quota on one site of three: none failed"
like "$(cat "$PGLOG")" "ran out of space during the put of object" "a put met the quota and placed that copy elsewhere"
bad2=0
for id in "${spilled[@]}"; do
    [ "$(q "SELECT copies_present FROM wos_stat('$id')")" = 2 ] || bad2=$((bad2 + 1))
done
is "$bad2" "0" "every object has its 2 copies"
inquota=$(q "SELECT count(*) FROM eoswath.objects o JOIN eoswath.sites s ON s.site_id = ANY (o.sites) WHERE s.name = 'quota'")
is "$($S3 ls -r s3://small/q/ | grep -vc '\.eoswath-site$' || true)" "$inquota" \
    "the bucket over quota holds exactly the copies the catalog lists"
is "$($S3 multipart s3://small 2>/dev/null | grep -c 's3://small/q/' || true)" "0" "no multipart upload is left behind"
err=$(qe "SELECT wos_put(blob(3, 200), '{}', 'quotaonly')")
like "$err" "53100" "a put whose only site is over quota: disk full (53100)"
like "$err" "every site chosen for it ran out of space" "and says so"
# a multipart put whose first part the quota refuses (a part larger than the
# quota) while the next part fills: the refusal comes back from the part in
# flight, the site counts as full, the upload is aborted
nobj=$(q "SELECT count(*) FROM eoswath.objects")
logsize=$(stat -c %s "$PGLOG")
err=$(qe "SET eoswath.s3_part_size = '5MB'; SELECT wos_put(blob(12, 300), '{}', 'quotaonly')")
like "$err" "every site chosen for it ran out of space" "a multipart put refused by the quota in a part sent in the background: the site is full"
like "$(tail -c +$((logsize + 1)) "$PGLOG")" "could not upload part 1 of object" "the refused part is logged"
is "$($S3 multipart s3://small 2>/dev/null | grep -c 's3://small/q/' || true) / $(q "SELECT count(*) FROM eoswath.objects")" \
    "0 / $nobj" "no multipart upload left behind, no object catalogued"
is "$(q "SELECT count(*) FROM wos_verify()")" "0" "verify finds every copy intact"

echo "== s3: a streaming standby reads the S3 sites; after promotion it writes"
# S3 sites are reachable from both servers: the standby serves reads (and
# subsets) from them, writes nothing, and the promoted standby carries on
ASCAT=ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc
cat >> "$PGDATA/postgresql.conf" <<CONF
wal_level = replica
max_wal_senders = 4
CONF
as_user "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w restart >/dev/null
q "SELECT wos_policy_add('s3two', 2, ARRAY['ceph1', 'ceph2'])" >/dev/null
q "CREATE TABLE kept (id wosoid, sum text)" >/dev/null
SBY=$WORK/standby
mkdir -p "$SBY/sock"; chown -R "$TEST_USER" "$SBY"
as_user "$PGBIN/pg_basebackup" -D "$SBY/data" -R -X stream -c fast -h "$PGHOST" -p "$PGPORT" -U "$TEST_USER"
SBY_PORT=$((PGPORT + 1))
cat >> "$SBY/data/postgresql.conf" <<CONF
port = $SBY_PORT
unix_socket_directories = '$SBY/sock'
CONF
as_user "$PGBIN/pg_ctl" -D "$SBY/data" -l "$SBY/log" -w -t 60 start >/dev/null
cleanup_hooks+=("as_user '$PGBIN/pg_ctl' -D '$SBY/data' -m immediate -w stop >/dev/null 2>&1")
qs()  { as_user "$PGBIN/psql" -X -h "$SBY/sock" -p "$SBY_PORT" -At -q -v ON_ERROR_STOP=1 -c "$1"; }
qse() { as_user "$PGBIN/psql" -X -h "$SBY/sock" -p "$SBY_PORT" -At -q -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -c "$1" 2>&1 >/dev/null || true; }

# written after the base backup: small, multipart (20 MiB) and a granule
q "INSERT INTO kept SELECT id, encode(sha256(wos_get(id)), 'hex') FROM (
     SELECT wos_put(blob(m, 300 + m), '{}', 's3two') AS id FROM unnest(ARRAY[1, 3, 20]) m) s" >/dev/null
g=$(q "SELECT oid FROM swath_register(wos_put(pg_read_binary_file('$EOSWATH_GRANULES/$ASCAT'), '{}', 's3two'), '$ASCAT', 'ASCAT')")
lsn=$(q "SELECT pg_current_wal_lsn()")
for _ in $(seq 1 600); do
    [ "$(qs "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" = t ] && break
    sleep 0.1
done
is "$(qs "SELECT count(*) FROM kept WHERE encode(sha256(wos_get(id)), 'hex') = sum")" "3" \
    "the standby reads every object on the S3 sites"
big3=$(qs "SELECT id FROM kept ORDER BY id DESC LIMIT 1")
is "$(qs "SELECT encode(sha256(wos_get('$big3', 16777200, 100)), 'hex') = encode(sha256(substring(wos_get('$big3') FROM 16777201 FOR 100)), 'hex')")" "t" \
    "ranged gets across a part boundary"
is "$(qs "SELECT sum(length(c)) = 20 * 1048576 FROM wos_stream_get('$big3', 1048576) c")" "t" "streamed gets"
is "$(qs "SELECT count(*) FROM swath_search((SELECT shape FROM swaths WHERE oid = '$g')) WHERE oid = '$g'")" "1" \
    "swath_search on the standby"
# two cuts made in the same second are the same bytes; their history says
# when, to the second (and HDF5's metadata checksums cover it), so a pair
# that straddles a second is made again
stamp() { echo "substring(encode($1, 'escape') FROM '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ')"; }
for _ in 1 2 3; do
    same=$(qs "SELECT CASE WHEN a = b AND a <> ''::bytea THEN 't'
                           WHEN $(stamp a) IS DISTINCT FROM $(stamp b) THEN 'straddled'
                           ELSE 'f' END
                 FROM (SELECT swath_subset('$g', ST_MakeEnvelope(-180, -90, 0, 0, 4326)) AS a,
                              swath_subset('$g', ST_MakeEnvelope(-180, -90, 0, 0, 4326)) AS b) x")
    [ "$same" = straddled ] || break
done
is "$same" "t" "swath_subset on the standby reads the granule from S3"
is "$(qs "SELECT length(swath_subset('$g', ST_MakeEnvelope(-180, -90, 0, 0, 4326)))")" \
    "$(q "SELECT length(swath_subset('$g', ST_MakeEnvelope(-180, -90, 0, 0, 4326)))")" \
    "and cuts the same bytes as the primary"
like "$(qse "SELECT wos_put('x', '{}', 's3two')")" "25006" "no puts on the standby (read-only transaction)"
one=$(qs "SELECT id FROM kept ORDER BY id LIMIT 1")
$S3 del "s3://eoswath/c1/$one" >/dev/null
is "$(qs "SELECT status FROM wos_verify('$one') WHERE site = 'ceph1'")" "missing" "verify on the standby reports a lost S3 copy"
is "$($S3 ls "s3://eoswath/c1/$one" | wc -l)" "0" "and does not repair it (read-only)"
is "$(qs "SELECT encode(sha256(wos_get('$one')), 'hex') = (SELECT sum FROM kept WHERE id = '$one')")" "t" \
    "reads use the remaining copy"

# failover: the old primary stops at once; nothing committed on it is lost
as_user "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null
as_user "$PGBIN/pg_ctl" -D "$SBY/data" -w promote >/dev/null
is "$(qs "SELECT string_agg(DISTINCT owner, ',') FROM wos_sites WHERE name IN ('ceph1', 'ceph2')")" "this database" \
    "the promoted standby owns the S3 sites (same system identifier)"
is "$(qs "SELECT count(*) FROM kept WHERE encode(sha256(wos_get(id)), 'hex') = sum")" "3" \
    "nothing committed on the old primary is lost"
is "$($S3 ls "s3://eoswath/c1/$one" | wc -l)" "1" "the promoted standby repaired the lost S3 copy while reading"
new=$(qs "SELECT wos_put(blob(2, 400), '{}', 's3two')")
is "$(qs "SELECT copies_present FROM wos_stat('$new')")" "2" "puts to the S3 sites work after promotion"
qs "SELECT wos_delete('$new')" >/dev/null
is "$(qs "SELECT wos_exists('$new')")" "f" "deletes work"
is "$(qs "SELECT wos_delete_pending()")" "2" "the queued S3 copies are removed (no workers here)"
is "$($S3 ls "s3://eoswath/c1/$new" | wc -l)" "0" "and the S3 copy is gone"
is "$(qs "SELECT count(*) FROM wos_sweep() WHERE site IN ('ceph1', 'ceph2')")" "0" "the sweep finds nothing left on the S3 sites"
as_user "$PGBIN/pg_ctl" -D "$SBY/data" -m fast -w stop >/dev/null
as_user "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w start >/dev/null 2>&1 || true

echo "== s3: secrets"
is "$(grep -c -- "$S3_SECRET_KEY" "$PGLOG" || true)" "0" "the secret key never appears in the server log"
unlike "$(q "SHOW ALL" | grep -i eoswath)" "$S3_SECRET_KEY" "nor in SHOW ALL"
q "DROP ROLE regress_admin, regress_nobody" >/dev/null

echo "# s3 suite: $pass passed, $fail failed"
[ "$fail" = 0 ]
