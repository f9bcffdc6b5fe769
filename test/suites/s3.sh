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

echo "== s3: secrets"
is "$(grep -c -- "$S3_SECRET_KEY" "$PGLOG" || true)" "0" "the secret key never appears in the server log"
unlike "$(q "SHOW ALL" | grep -i eoswath)" "$S3_SECRET_KEY" "nor in SHOW ALL"
q "DROP ROLE regress_admin, regress_nobody" >/dev/null

echo "# s3 suite: $pass passed, $fail failed"
[ "$fail" = 0 ]
