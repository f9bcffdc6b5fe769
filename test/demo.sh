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

SHARED=${EOSWATH_SHARED:-$(cd "$HERE/../.." && pwd)/shared}
GRANULES=$SHARED/data/swaths
if [ -d "$GRANULES" ]; then
    echo "== the archive's job: ingest real granules with the eoswath client, catalogue, search, subset"
    for f in SS_VIIRS_NPP-NAVO-L2P-v3.0.nc GPM_2ADPR_V07A_20210220_039665_l2ss_subset.HDF5 \
             ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc; do
        id=$(as_user env PGHOST="$PGHOST" PGPORT="$PGPORT" PGDATABASE=postgres \
             "$PGBIN/eoswath" put "$GRANULES/$f" --policy replicate --meta file="$f")
        echo "eoswath put $f -> $id"
        echo "INSERT INTO ingested VALUES ('$id', '$f');" >> "$WORK/ingested.sql"
    done
    { echo "CREATE TEMP TABLE ingested (oid wosoid, filename text);"; cat "$WORK/ingested.sql"
      cat <<'SQL'
\set ECHO queries
-- coastal regions around Africa: new swaths get their regional subsets queued
INSERT INTO swath_regions (name, shape) VALUES
    ('gulf-of-guinea', ST_MakeEnvelope(-10, -5, 10, 8, 4326)::geography),
    ('agulhas', ST_Buffer('POINT(22 -38)'::geography, 600000));
-- catalogue: footprint and overpass come from each granule itself
SELECT s.id, s.filename, s.overpass, GeometryType(s.shape), round(ST_Area(s.shape) / 1e6) AS km2
  FROM ingested i, swath_register(i.oid, i.filename, split_part(i.filename, '_', 1)) s;
-- search: which swaths saw 250 km around Cape Town, and which the Drake Passage?
SELECT 'Cape Town' AS place, filename FROM swath_search(ST_Buffer('POINT(18.4 -33.9)'::geography, 250000))
UNION ALL
SELECT 'Drake Passage', filename FROM swath_search(ST_Buffer('POINT(-60 -60)'::geography, 300000));
-- the queue of regional subsets, worked off (a cron job does this in production)
SELECT * FROM swath_subset_drain();
SELECT r.region, s.filename, o.size, o.encoding
  FROM swath_subsets r JOIN swaths s ON s.id = r.swath JOIN wos_objects o ON o.oid = r.subset
 ORDER BY 1, 2;
-- an ad-hoc cut: ASCAT over the South Atlantic box, straight edges in lon/lat
SELECT length(swath_subset(oid, ST_MakeEnvelope(-180, -90, 0, 0, 4326))) AS subset_bytes
  FROM swaths WHERE filename LIKE 'ascat%';
SELECT wos_get_file(r.subset, current_setting('data_directory') || '/../gulf-of-guinea.nc')
  FROM swath_subsets r WHERE r.region = 'gulf-of-guinea' LIMIT 1;
SQL
    } | psql_user -q
    if [ -f "$PGDATA/../gulf-of-guinea.nc" ]; then
        echo "== ncdump -h of a regional subset (first lines)"
        ncdump -h "$PGDATA/../gulf-of-guinea.nc" > "$WORK/header.txt"
        head -25 "$WORK/header.txt"
    fi
fi
echo "== demo done"
