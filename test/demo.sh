#!/usr/bin/env bash
# test/demo.sh: the main job on a fresh machine.  Installs what is missing,
# builds and installs eoswath, starts a throwaway cluster on the embedded
# store, and walks through puts, gets, replication, a delete and the catalog.
# Everything is removed at the end.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
"$HERE/install-deps.sh"
source "$HERE/harness.sh"

build_and_install
pg_start demo
echo "== eoswath demo: cluster in $PGDATA (removed at exit)"
psql_user -q <<'SQL'
\set ECHO queries
CREATE EXTENSION eoswath CASCADE;
-- the embedded store works with no set-up: one site under the data directory
SELECT name, kind, enabled FROM wos_sites;
-- put an object with metadata; its id is never reused
SELECT wos_put(convert_to('Jason-1 pass 002, 2002-01-15', 'UTF8'),
               '{"mission": "Jason-1", "cycle": "001", "pass": "002"}') AS id \gset
SELECT convert_from(wos_get(:'id'), 'UTF8') AS data, wos_meta(:'id') AS meta;
SELECT convert_from(wos_get(:'id', 8, 8), 'UTF8') AS byte_range;
-- two more sites (each would be its own disk) make replication possible
SELECT wos_site_add('disk2', current_setting('data_directory') || '/../disk2');
SELECT wos_site_add('disk3', current_setting('data_directory') || '/../disk3');
SELECT wos_put(convert_to(repeat('swath bytes ', 100000), 'UTF8'), '{}', 'copy3') AS r \gset
SELECT state, size, policy, copies_wanted, copies_present, sites FROM wos_stat(:'r');
-- reserve an id, then store into it exactly once
SELECT wos_reserve('replicate') AS res \gset
SELECT wos_putoid(:'res', convert_to('reserved granule', 'UTF8'), '{"source": "demo"}');
-- a rolled-back put leaves nothing
BEGIN;
SELECT wos_put(convert_to('never committed', 'UTF8')) AS gone \gset
ROLLBACK;
SELECT wos_exists(:'gone') AS rolled_back_put_exists;
-- delete takes effect at commit
SELECT wos_delete(:'id');
SELECT wos_exists(:'id') AS deleted_exists;
-- the catalog, as an admin sees it
SELECT oid, state, size, policy, sites, meta FROM wos_objects ORDER BY oid;
SELECT name, copies, bytes FROM wos_sites ORDER BY site_id;
-- scrub every copy and sweep leftovers: nothing to report on a healthy store
SELECT count(*) AS bad_copies FROM wos_verify();
SELECT count(*) AS swept FROM wos_sweep();
SQL
echo "== copies on disk:"
(cd "$PGDATA/.." && find data/eoswath disk2 disk3 -type f ! -name '.eoswath-site' | sort)
echo "== demo done"
