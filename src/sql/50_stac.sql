
-- ---------------------------------------------------------------------------
-- STAC: the swath catalog as SpatioTemporal Asset Catalog Items (STAC 1.0.0,
-- with the sat and processing extensions 1.0.0)
-- ---------------------------------------------------------------------------

-- [west, south, east, north] of a lon/lat (multi)polygon as RFC 7946 and
-- STAC ask: the shortest longitude interval holding every part, so a
-- footprint across the antimeridian gets west > east (gaps under 1e-6
-- degrees, such as the footprints' hairline cuts, do not count).
CREATE FUNCTION eoswath.stac_bbox(g @extschema@.geometry) RETURNS jsonb
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (
        WITH parts AS (
            SELECT @extschema@.ST_XMin(d.geom) AS x0, @extschema@.ST_XMax(d.geom) AS x1
              FROM @extschema@.ST_Dump(g) d),
        -- merge overlapping longitude intervals
        ordered AS (
            SELECT x0, x1, max(x1) OVER (ORDER BY x0, x1 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
              FROM parts),
        runs AS (
            SELECT x0, x1, sum(CASE WHEN prev_end IS NULL OR x0 > prev_end + 1e-6 THEN 1 ELSE 0 END)
                           OVER (ORDER BY x0, x1) AS run
              FROM ordered),
        merged AS (
            SELECT min(x0) AS x0, max(x1) AS x1 FROM runs GROUP BY run),
        -- the widest gap between merged intervals, the one across 180 included
        gaps AS (
            SELECT x1 AS gap_west, coalesce(lead(x0) OVER (ORDER BY x0),
                                          (SELECT min(x0) FROM merged) + 360) AS gap_east
              FROM merged),
        widest AS (
            SELECT gap_west, gap_east FROM gaps ORDER BY gap_east - gap_west DESC LIMIT 1)
        SELECT jsonb_build_array(
                   CASE WHEN w.gap_east - w.gap_west <= 1e-6 THEN -180
                        WHEN w.gap_east > 180 THEN w.gap_east - 360 ELSE w.gap_east END,
                   @extschema@.ST_YMin(g),
                   CASE WHEN w.gap_east - w.gap_west <= 1e-6 THEN 180 ELSE w.gap_west END,
                   @extschema@.ST_YMax(g))
          FROM widest w);
COMMENT ON FUNCTION eoswath.stac_bbox(@extschema@.geometry) IS
    'RFC 7946 bounding box [west, south, east, north] of a lon/lat geometry; west > east across the antimeridian';

-- RFC 3339 in UTC, as STAC asks
CREATE FUNCTION eoswath.stac_datetime(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
COMMENT ON FUNCTION eoswath.stac_datetime(timestamptz) IS
    'a timestamp as RFC 3339 in UTC (2021-02-20T11:01:02.170085Z)';

-- the href of an object's asset, from the setting eoswath.stac_asset_href
CREATE FUNCTION eoswath.stac_href(oid @extschema@.wosoid, filename text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN replace(replace(current_setting('eoswath.stac_asset_href'), '{oid}', oid::text),
                   '{filename}', regexp_replace(filename, '^.*/', ''));
COMMENT ON FUNCTION eoswath.stac_href(@extschema@.wosoid, text) IS
    'href of a STAC asset: the template eoswath.stac_asset_href with {oid} and {filename} replaced';

CREATE FUNCTION eoswath.stac_media_type(fileext text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE lower(fileext)
               WHEN 'nc' THEN 'application/netcdf'
               WHEN 'nc4' THEN 'application/netcdf'
               WHEN 'cdf' THEN 'application/netcdf'
               WHEN 'hdf5' THEN 'application/x-hdf5'
               WHEN 'h5' THEN 'application/x-hdf5'
               WHEN 'he5' THEN 'application/x-hdf5'
               WHEN 'hdf' THEN 'application/x-hdf'
               ELSE 'application/octet-stream' END;
COMMENT ON FUNCTION eoswath.stac_media_type(text) IS
    'media type of a granule asset by file extension (netCDF, HDF5, else octet-stream)';

REVOKE ALL ON FUNCTION
    eoswath.stac_bbox(@extschema@.geometry),
    eoswath.stac_datetime(timestamptz),
    eoswath.stac_href(@extschema@.wosoid, text),
    eoswath.stac_media_type(text)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    eoswath.stac_bbox(@extschema@.geometry),
    eoswath.stac_datetime(timestamptz),
    eoswath.stac_href(@extschema@.wosoid, text),
    eoswath.stac_media_type(text)
TO eoswath_reader;
