-- values out of range are refused, never silently changed: granule times
-- outside PostgreSQL's timestamps (they used to become -infinity), region
-- longitudes outside -540..540 (they used to give NULL subsets)
-- object ids in this file start at 21000 (ids only move forward), so that
-- messages naming them do not depend on the files before
SELECT setval('eoswath.oid_seq', 21000) AS id_base;
SET client_min_messages = warning;
-- a netCDF-3 swath of 2 x 2 pixels (lat 0..1, lon 0..1) whose time variable,
-- seconds since 1970-01-01, is the two doubles at the end of the file
CREATE FUNCTION pg_temp.granule(t float8) RETURNS bytea LANGUAGE sql AS $$
  SELECT decode('43444601000000000000000a00000002000000047363616e0000000200000005706978656c000000'
                '0000000200000000000000000000000b00000003000000036c6174000000000200000000000000'
                '010000000c0000000100000005756e697473000000000000020000000d646567726565735f6e6f'
                '727468000000000000050000001000000120000000036c6f6e0000000002000000000000000100'
                '00000c0000000100000005756e697473000000000000020000000c646567726565735f65617374'
                '0000000500000010000001300000000474696d6500000001000000000000000c00000001000000'
                '05756e69747300000000000002000000187365636f6e64732073696e636520313937302d30312d'
                '303100000006000000100000014000000000000000003f8000003f800000000000003f80000000'
                '0000003f800000', 'hex') || float8send(t) || float8send(t + 1) $$;
SELECT wos_put(pg_temp.granule(1e9)) AS ok, wos_put(pg_temp.granule(9.2e12)) AS far,
       wos_put(pg_temp.granule(1e15)) AS future, wos_put(pg_temp.granule(-3e11)) AS past,
       wos_put(pg_temp.granule(-2.1e11)) AS early, wos_put(pg_temp.granule('NaN')) AS nan \gset
-- in range: 2001, 293506 AD and 4686 BC (timestamps span 4714 BC to 294276 AD);
-- a NaN time is no time
SELECT * FROM swath_time_range(:'ok');
SELECT * FROM swath_time_range(:'far');
SELECT * FROM swath_time_range(:'early');
SELECT * FROM swath_time_range(:'nan');
-- 31.7 million years after 1970, 9,500 BC (timestamps start in 4714 BC)
SELECT * FROM swath_time_range(:'future');
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT * FROM swath_time_range(:'past');
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
-- the catalog's fill trigger: no row with a made-up time
INSERT INTO swaths (filename, source, oid, overpass) VALUES ('future.nc', 'ranges', :'future', NULL);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
INSERT INTO swaths (filename, source, oid, overpass) VALUES ('past.nc', 'ranges', :'past', '2020-01-01');
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
-- times given in the row are not read from the file
INSERT INTO swaths (filename, source, oid, overpass, overpass_end)
  VALUES ('future.nc', 'ranges', :'future', '2020-01-01', '2020-01-02');
SELECT filename, overpass, overpass_end, ST_NPoints(shape::geometry) > 4 AS footprint
  FROM swaths WHERE source = 'ranges';
DELETE FROM swaths WHERE source = 'ranges';

-- regions: longitudes within -540..540 (the pixel test shifts pixel
-- longitudes by up to 720 degrees), latitudes within -90..90
SELECT length(swath_subset(:'ok', ST_MakeEnvelope(359.5, -1, 361.5, 2, 4326))) > 0 AS at_360,
       length(swath_subset(:'ok', ST_MakeEnvelope(-360.5, -1, -358.5, 2, 4326))) > 0 AS at_minus_360,
       swath_subset(:'ok', ST_MakeEnvelope(520, -1, 540, 2, 4326)) IS NULL AS none_at_520_540;
SELECT eoswath.region_contains_wkb(ST_AsBinary(ST_MakeEnvelope(520, -10, 540, 10, 4326)), 4326, false, 175, 0) AS lon_175_in_520_540,
       eoswath.region_contains_wkb(ST_AsBinary(ST_MakeEnvelope(-540, -10, -520, 10, 4326)), 4326, false, -175, 0) AS lon_minus_175_in_minus_540_520;
-- beyond: an error (these used to give NULL, as if no pixel were inside)
SELECT swath_subset(:'ok', ST_MakeEnvelope(1000, -1, 1082, 2, 4326));
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT swath_subset(:'ok', ST_MakeEnvelope(-541, -1, -538, 2, 4326));
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT swath_subset_store(:'ok', 'SRID=4326;POLYGON((0 0, 1e300 0, 1 1, 0 0))'::geometry);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT eoswath.region_contains_wkb(ST_AsBinary(ST_MakeEnvelope(600, 0, 601, 1, 4326)), 4326, true, -120, 0.5);
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT swath_subset(:'ok', ST_MakeEnvelope(0, 80, 10, 90.5, 4326));
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
