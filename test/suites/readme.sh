#!/usr/bin/env bash
# test/suites/readme.sh: README.md runs as written (test/readme/doctest.py
# says how), in a fresh database of a server set up as README's
# Installation recommends (eoswath in shared_preload_libraries).  Then, on
# the same server without preloading: a fresh session does not know the
# settings until the library is loaded, and CREATE EXTENSION says so with a
# hint; and README's migration recipe from an old swaths table.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../harness.sh"
SHARED=${EOSWATH_SHARED:-$(cd "$HERE/../../.." && pwd)/shared}
G=$SHARED/data/swaths
[ -d "$G" ] || { echo "readme: granules not found in $G"; exit 1; }

fails=0
ok() { echo "ok - $*"; }
bad() { echo "not ok - $*"; fails=$((fails + 1)); }

pg_start readme
psql_user -q -c "ALTER SYSTEM SET shared_preload_libraries = 'eoswath'"
as_user "$PGBIN/pg_ctl" -D "$PGDATA" -w restart -l "$WORK/readme/log" >/dev/null

# the paths README's examples use, under ROOT (doctest.py maps /data, /srv)
ROOT=$WORK/root
mkdir -p "$ROOT/data/in" "$ROOT/data/incoming" "$ROOT/data/outgoing" "$ROOT/data/out" "$ROOT/srv" "$ROOT/archive/envisat"
for f in "$G"/*.nc "$G"/*.nc4 "$G"/*.HDF5; do ln -s "$f" "$ROOT/data/in/"; done
ln -s "$G/ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc" "$ROOT/data/granule.nc"
ln -s "$G/ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc" "$ROOT/data/in/granule.nc"
ln -s "$G/S6A_P4_2__HR_RED__NR_014_192_20210403T005056_20210403T010056_F00.nc" "$ROOT/data/incoming/SWOT_L2_LR_SSH_001.nc"
# an opaque object: a gzip'd ENVISAT MERIS product (not netCDF)
{ printf 'PRODUCT="MER_RR__1PNPDE20030602_094231_000000982016_00394_06656_0001.N1"\n'; head -c 100000 /dev/urandom; } \
    | gzip > "$ROOT/data/in/MER_RR__1PNPDE20030602_094231_000000982016_00394_06656_0001.N1.gz"
chown -R "$TEST_USER" "$ROOT" 2>/dev/null || true

psql_user -q -c "CREATE DATABASE readme"
if as_user env PGDATABASE=readme python3 "$HERE/../readme/doctest.py" "$HERE/../../README.md" "$ROOT"; then
    ok "README.md runs as written"
else
    bad "README.md runs as written"
fi

# without preloading: the settings are unknown in a fresh session until the
# library is loaded, and CREATE EXTENSION warns with the hint
psql_user -q -c "ALTER SYSTEM RESET shared_preload_libraries"
as_user "$PGBIN/pg_ctl" -D "$PGDATA" -w restart -l "$WORK/readme/log" >/dev/null
psql_user -q -c "CREATE DATABASE nopreload"
out=$(psql_user -d nopreload -c "CREATE EXTENSION eoswath CASCADE" 2>&1)
if grep -q "WARNING:  eoswath is not in shared_preload_libraries" <<<"$out" &&
   grep -q "HINT:  Preload it: ALTER SYSTEM SET shared_preload_libraries = 'eoswath'" <<<"$out"; then
    ok "CREATE EXTENSION without preloading warns, with the hint"
else
    bad "CREATE EXTENSION without preloading warns, with the hint: $out"
fi
out=$(psql_user -d nopreload -Atc "SHOW eoswath.default_policy" 2>&1 || true)
grep -q 'unrecognized configuration parameter "eoswath.default_policy"' <<<"$out" \
    && ok "a fresh session without preloading does not know the settings (as README says)" \
    || bad "a fresh session without preloading: $out"
out=$(psql_user -q -d nopreload -At -c "LOAD 'eoswath'" -c "SHOW eoswath.default_policy" 2>&1 || true)
[ "$out" = default ] && ok "after LOAD 'eoswath' the settings are known" || bad "after LOAD: $out"
out=$(psql_user -q -d nopreload -At -c "LOAD 'eoswath'" -c "ALTER SYSTEM SET eoswath.s3_allow_http = on" -c "ALTER SYSTEM RESET eoswath.s3_allow_http" 2>&1 || true)
[ "$out" = "" ] && ok "README's ALTER SYSTEM line works after LOAD" || bad "ALTER SYSTEM after LOAD: $out"
psql_user -q -c "ALTER SYSTEM SET shared_preload_libraries = 'eoswath'"
as_user "$PGBIN/pg_ctl" -D "$PGDATA" -w restart -l "$WORK/readme/log" >/dev/null
out=$(psql_user -d nopreload -Atc "SHOW eoswath.default_policy" 2>&1 || true)
[ "$out" = default ] && ok "preloaded: a fresh session knows the settings" || bad "preloaded: $out"

# an old Django swaths table in the way, and README's migration recipe
psql_user -q -c "CREATE DATABASE legacy"
psql_user -q -d legacy <<'SQL'
CREATE EXTENSION postgis;
CREATE TABLE swaths (
    id serial PRIMARY KEY, filename varchar(100) NOT NULL, filepath varchar(100) NOT NULL,
    fileext varchar(20) NOT NULL, shape geography(Polygon, 4326) NOT NULL,
    source varchar(100) NOT NULL, version varchar(20) NOT NULL,
    overpass timestamptz NOT NULL, oid varchar(40) NOT NULL, orbit integer NOT NULL);
INSERT INTO swaths (id, filename, filepath, fileext, shape, source, version, overpass, oid, orbit) VALUES
 (7, 'MER_RR__1PNPDE20030602_094231_000000982016_00394_06656_0001.N1.gz', 'envisat', 'gz',
  'POLYGON((10 40, 25 40, 25 55, 10 55, 10 40))', 'MERIS', '1P', '2003-06-02 09:42:31+00', '5f3a9c0e0d6c4b7e9a1f00000007', 6656),
 (9, 'MER_RR__1PNPDE20030603_101512_000000982016_00408_06670_0002.N1.gz', 'envisat', 'gz',
  'POLYGON((0 30, 15 30, 15 45, 0 45, 0 30))', 'MERIS', '1P', '2003-06-03 10:15:12+00', '5f3a9c0e0d6c4b7e9a1f00000009', 6670);
SQL
cp "$ROOT/data/in/MER_RR__1PNPDE20030602_094231_000000982016_00394_06656_0001.N1.gz" "$ROOT/archive/envisat/"
cp "$ROOT/data/in/MER_RR__1PNPDE20030602_094231_000000982016_00394_06656_0001.N1.gz" \
   "$ROOT/archive/envisat/MER_RR__1PNPDE20030603_101512_000000982016_00408_06670_0002.N1.gz"
chown -R "$TEST_USER" "$ROOT" 2>/dev/null || true
out=$(psql_user -d legacy -c "CREATE EXTENSION eoswath CASCADE" 2>&1 || true)
grep -q 'ERROR:  relation "swaths" already exists in schema "public"' <<<"$out" &&
grep -q 'HINT:  Rename the old table and its sequence' <<<"$out" \
    && ok "CREATE EXTENSION over an old swaths table: 42P07 with the migration hint" \
    || bad "CREATE EXTENSION over an old swaths table: $out"
# the recipe, as README has it, with /archive under ROOT
recipe=$(awk '/^### Migrating an existing swaths table/{m=1} m && /^```sql/{b=1; next} b && /^```/{exit} b' "$HERE/../../README.md" \
    | sed "s|'/archive/|'$ROOT/archive/|")
if out=$(psql_user -d legacy -c "SET client_min_messages = error" -f - <<<"$recipe" 2>&1); then
    got=$(psql_user -d legacy -Atc "SELECT string_agg(s.id || ':' || s.source || ':' || (s.size > 0) || ':' || (m.old_oid = wos_meta(s.oid)->>'old_oid'), ',' ORDER BY s.id) FROM swaths s JOIN swaths_oidmap m ON m.oid = s.oid")
    next=$(psql_user -d legacy -Atc "SELECT nextval('swaths_id_seq')")
    [ "$got" = "7:MERIS:true:true,9:MERIS:true:true" ] && [ "$next" = 10 ] \
        && ok "README's migration recipe: ids kept, objects mapped, sequence moved on" \
        || bad "migration recipe: rows $got, next id $next"
else
    bad "README's migration recipe fails: $out"
fi

# CREATE EXTENSION into a schema that is not postgis's: refused with the reason
out=$(psql_user -d legacy -c "CREATE SCHEMA x" -c "CREATE EXTENSION eoswath SCHEMA x" 2>&1 || true)
psql_user -q -c "CREATE DATABASE otherschema"
out=$(psql_user -d otherschema -c "CREATE EXTENSION postgis" -c "CREATE SCHEMA x" -c "CREATE EXTENSION eoswath SCHEMA x" 2>&1 || true)
grep -q 'ERROR:  extension "eoswath" must be installed in the schema of extension "postgis"' <<<"$out" \
    && ok "CREATE EXTENSION eoswath SCHEMA x with postgis in public: refused, saying why" \
    || bad "SCHEMA x: $out"
psql_user -q -c "CREATE DATABASE bothinx"
out=$(psql_user -d bothinx -c "CREATE SCHEMA x" -c "SET client_min_messages = error" -c "CREATE EXTENSION eoswath SCHEMA x CASCADE" \
      -c "SET search_path = x" -c "SELECT count(*) FROM swath_search('POINT(0 0)')" -At 2>&1 || true)
[ "$(tail -n1 <<<"$out")" = 0 ] && ok "SCHEMA x CASCADE in a database without postgis: both in x, and it works" \
    || bad "SCHEMA x CASCADE: $out"

echo "readme: $fails failed"
[ "$fails" = 0 ]
