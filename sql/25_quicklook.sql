-- swath_quicklook: PNG pictures of swath variables, their legends, stored
-- quicklooks, STAC thumbnails, quicklooks of regional subsets, bad input
-- object ids in this file start at 25000 (ids only move forward), so that
-- messages naming them do not depend on the files before
SELECT setval('eoswath.oid_seq', 25000) AS id_base;
-- (pixel-level checks against the granules: test/suites/quicklook.sh)
-- legends read no granule
SELECT swath_quicklook_info(swath_quicklook_legend('viridis', '{0,20}', 'm s-1', 300)) AS legend;
SELECT swath_quicklook_info(swath_quicklook_legend('RdBu_r', '{-2.5,2.5}')) ->> 'width' AS default_width;
\set VERBOSITY sqlstate
SELECT swath_quicklook_legend('jet', '{0,1}');
SELECT swath_quicklook_legend('viridis', '{1}');
SELECT swath_quicklook_legend('viridis', '{2,1}');
SELECT swath_quicklook_legend('viridis', '{0,"NaN"}');
SELECT swath_quicklook_legend('viridis', NULL);
SELECT swath_quicklook_legend('viridis', '{0,1}', NULL, 10);
SELECT swath_quicklook_info('\x89504e470d0a1a0a0000000d49484452');
SELECT swath_quicklook_info('GIF89a');
\set VERBOSITY default
-- the real granules (EOSWATH_GRANULES): without them, the rest of this
-- file is skipped (expected/25_quicklook_1.out)
\getenv granules EOSWATH_GRANULES
\if :{?granules}
SELECT (pg_stat_file(:'granules' || '/SS_VIIRS_NPP-NAVO-L2P-v3.0.nc', true)).size IS NOT NULL AS have_granules \gset
\else
\set have_granules false
\endif
\if :have_granules
\else
\echo 'skipped: the real granules are not in EOSWATH_GRANULES'
\quit
\endif
SET client_min_messages = warning;
CREATE TEMP TABLE qg (f text, short text, oid wosoid);
INSERT INTO qg
SELECT f, s, wos_put(pg_read_binary_file(:'granules' || '/' || f), json_build_object('file', s)::jsonb)
  FROM (VALUES
    ('ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc', 'ascat'),
    ('JA1_GPN_2PeP001_002_20020115_060706_20020115_070316.nc', 'jason1'),
    ('S5P_OFFL_L2__CH4____20190319T110835_20190319T125006_07407_01_010202_20190325T125810_fullorbit_varsubset.nc4', 's5p'),
    ('SS_VIIRS_NPP-NAVO-L2P-v3.0.nc', 'viirs'),
    ('GPM_2ADPR_V07A_20210220_039665_l2ss_subset.HDF5', 'gpm')) v(f, s);
SELECT oid AS ascat FROM qg WHERE short = 'ascat' \gset
SELECT oid AS s5p FROM qg WHERE short = 's5p' \gset
SELECT oid AS gpm FROM qg WHERE short = 'gpm' \gset

-- a picture: the PNG signature, then IHDR's width and height read here in
-- SQL, equal to what swath_quicklook_info() reads; its text chunks
CREATE TEMP TABLE pics (name text, png bytea);
INSERT INTO pics VALUES
  ('ascat', swath_quicklook(:'ascat', 'wind_speed', width => 512)),
  ('ascat_range', swath_quicklook(:'ascat', 'wind_speed', width => 300, colormap => 'cividis', value_range => '{0,20}')),
  ('ascat_antimeridian', swath_quicklook(:'ascat', 'wind_speed', ST_MakeEnvelope(150, -60, 210, 60, 4326), 200)),
  ('ascat_geog', swath_quicklook(:'ascat', '/wind_speed', 'POLYGON((170 -40, -165 -40, -165 40, 170 40, 170 -40))'::geography, 100)),
  ('s5p_auto', swath_quicklook(:'s5p', '/PRODUCT/methane_mixing_ratio', width => 400)),
  ('s5p_north', swath_quicklook(:'s5p', 'methane_mixing_ratio', width => 400, projection => 'north')),
  ('s5p_arctic', swath_quicklook(:'s5p', 'methane_mixing_ratio', ST_Buffer('POINT(0 90)'::geography, 2000000), 256)),
  ('viirs', swath_quicklook((SELECT oid FROM qg WHERE short = 'viirs'), 'sea_surface_temperature', width => 300, colormap => 'greys')),
  ('jason1_20hz', swath_quicklook((SELECT oid FROM qg WHERE short = 'jason1'), 'swh_20hz_ku', width => 200, colormap => 'RdBu_r'));
SELECT name, substring(png from 1 for 8) = '\x89504e470d0a1a0a'::bytea AS signature,
       substring(png from 13 for 4) = 'IHDR'::bytea AS ihdr_first,
       (get_byte(png, 16) << 24) | (get_byte(png, 17) << 16) | (get_byte(png, 18) << 8) | get_byte(png, 19) AS width,
       (get_byte(png, 20) << 24) | (get_byte(png, 21) << 16) | (get_byte(png, 22) << 8) | get_byte(png, 23) AS height,
       get_byte(png, 25) AS colour_type,
       (swath_quicklook_info(png)->>'width')::int = (get_byte(png, 18) << 8) | get_byte(png, 19) AS info_agrees,
       position('IEND'::bytea in png) = length(png) - 7 AS iend_last
  FROM pics ORDER BY name;
SELECT name, i->'text'->>'variable' AS variable, i->'text'->>'units' AS units,
       i->'text'->>'projection' AS projection, i->'text'->>'colormap' AS colormap,
       i->'text'->>'value_range' AS value_range
  FROM pics, swath_quicklook_info(png) i ORDER BY name;
SELECT name, i->'text'->>'bbox' AS bbox, i->'text'->>'radius_m' AS radius_m,
       i->'text'->>'source' ~ '^eoswath object [0-9A-Z]{13}$' AS source
  FROM pics, swath_quicklook_info(png) i ORDER BY name;
-- the georeference says how to place it
SELECT DISTINCT i->'text'->>'crs' AS crs FROM pics, swath_quicklook_info(png) i ORDER BY 1;
-- the same request, the same bytes
SELECT swath_quicklook(:'ascat', 'wind_speed', width => 512) = png AS deterministic FROM pics WHERE name = 'ascat';
-- its legend, from its own text chunks
SELECT swath_quicklook_info(swath_quicklook_legend(png))->'text' AS legend_of_ascat_range
  FROM pics WHERE name = 'ascat_range';

-- empty: a region the swath misses, an empty geometry, a NULL region is the whole swath
SELECT swath_quicklook(:'ascat', 'wind_speed', ST_MakeEnvelope(-100, 0, -99, 1, 4326)) IS NULL AS missed;
SELECT swath_quicklook(:'ascat', 'wind_speed', 'POLYGON EMPTY'::geometry) IS NULL AS empty_region;
SELECT length(swath_quicklook(:'ascat', 'wind_speed', NULL, 64)) = length(swath_quicklook(:'ascat', 'wind_speed', width => 64)) AS null_region_whole;
-- a constant field: one colour, no division by zero
SELECT swath_quicklook_info(swath_quicklook(:'ascat', 'wind_speed', width => 64, value_range => '{5,5}'))->'text'->>'value_range' AS constant_range;

-- bad input
SELECT swath_quicklook(:'ascat', 'no_such_variable', width => 64);
SELECT swath_quicklook(:'gpm', 'precipWater', width => 64);
SELECT swath_quicklook(:'gpm', '/FS/SLV/precipWater', width => 64);
SELECT swath_quicklook(:'gpm', '/FS/navigation/timeMidScan', width => 64);
\set VERBOSITY sqlstate
SELECT swath_quicklook(:'ascat', 'no_such_variable', width => 64);
SELECT swath_quicklook(:'gpm', 'precipWater', width => 64);
SELECT swath_quicklook(:'gpm', '/FS/SLV/precipWater', width => 64);
SELECT swath_quicklook(:'ascat', 'wind_speed', width => 0);
SELECT swath_quicklook(:'ascat', 'wind_speed', width => 54001);
SELECT swath_quicklook(:'ascat', 'wind_speed', ST_MakeEnvelope(0, 0, 0.01, 60, 4326), 20000);
SELECT swath_quicklook(:'ascat', 'wind_speed', width => 40000);
SELECT swath_quicklook(:'ascat', 'wind_speed', colormap => 'rainbow');
SELECT swath_quicklook(:'ascat', 'wind_speed', projection => 'mercator');
SELECT swath_quicklook(:'ascat', 'wind_speed', value_range => '{1,2,3}');
SELECT swath_quicklook(:'ascat', 'wind_speed', ST_MakeEnvelope(0, 0, 1, 1, 3857));
SELECT swath_quicklook(:'gpm', 'precipWater', projection => 'north');
SELECT swath_quicklook(:'gpm', '/FS/Latitude', width => 64, projection => 'north');
\set VERBOSITY default

-- stored: an object linked to the swath, the STAC Item's thumbnail
SELECT (swath_register(:'ascat', 'ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc', 'quicklook')).id AS ascat_swath \gset
SELECT swath_quicklook_store(:'ascat', 'wind_speed', width => 256) AS first \gset
SELECT wos_meta(:'first') - 'region' AS meta;
SELECT swath_quicklook_store(:'ascat', 'wind_speed', width => 128) AS second \gset
-- replacing it deletes the first picture at commit
SELECT count(*) AS first_left FROM eoswath.objects WHERE oid = :'first';
SELECT variable, region, quicklook = :'second' AS newest, info->>'width' AS width
  FROM swath_quicklooks WHERE swath = :ascat_swath;
SELECT jsonb_pretty(swath_stac_item(:ascat_swath)->'assets'->'thumbnail') AS thumbnail;
SELECT jsonb_object_keys(swath_stac_item(:ascat_swath)->'assets') AS asset ORDER BY 1;
SELECT swath_quicklook_store(:'ascat', 'wind_speed', ST_MakeEnvelope(-100, 0, -99, 1, 4326)::geography) IS NULL AS none_stored;
-- a granule not catalogued as a swath: stored, not linked
SELECT swath_quicklook_store(:'s5p', 'methane_mixing_ratio', width => 64) IS NOT NULL AS stored_unlinked;

-- the queue: a region asking for quicklooks gets one with each subset;
-- a granule without the variable gets none
INSERT INTO swath_regions (name, shape, quicklook_variable, quicklook_width, quicklook_colormap)
VALUES ('ql_pacific', 'POLYGON((150 -60, -150 -60, -150 60, 150 60, 150 -60))', 'wind_speed', 96, 'RdBu');
SELECT (swath_register(:'s5p', 'S5P_OFFL_L2__CH4____20190319T110835_20190319T125006_07407_01_010202_20190325T125810_fullorbit_varsubset.nc4', 'quicklook')).id AS s5p_swath \gset
SELECT swath_subset_requeue(:ascat_swath) >= 1 AS requeued;
SELECT count(*) > 0 AS drained FROM swath_subset_drain();
SELECT s.source, q.variable, q.region, q.info->>'width' AS width, q.info->'text'->>'colormap' AS colormap
  FROM swath_quicklooks q JOIN swaths s ON s.id = q.swath WHERE q.region <> '' ORDER BY 1, 3;
SELECT count(*) AS s5p_quicklooks FROM swath_quicklooks WHERE swath = :s5p_swath;
SELECT count(*) AS left_in_queue FROM swath_subset_queue;
-- deleting the swath takes its quicklook rows along
DELETE FROM swaths WHERE source = 'quicklook';
SELECT count(*) AS quicklooks_left FROM swath_quicklooks;
DELETE FROM swath_regions WHERE name = 'ql_pacific';
RESET client_min_messages;
