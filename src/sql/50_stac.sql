
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

-- one swath row as a STAC Item
CREATE FUNCTION eoswath.stac_item_of(s @extschema@.swaths) RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN jsonb_build_object(
        'type', 'Feature',
        'stac_version', '1.0.0',
        'stac_extensions',
            CASE WHEN s.orbit IS NOT NULL AND s.orbit >= 1
                 THEN jsonb_build_array('https://stac-extensions.github.io/sat/v1.0.0/schema.json',
                                        'https://stac-extensions.github.io/processing/v1.0.0/schema.json')
                 ELSE jsonb_build_array('https://stac-extensions.github.io/processing/v1.0.0/schema.json') END,
        'id', s.filename,
        'geometry', @extschema@.ST_AsGeoJSON(@extschema@.ST_ForcePolygonCCW(s.shape::@extschema@.geometry), 9)::jsonb,
        'bbox', eoswath.stac_bbox(s.shape::@extschema@.geometry),
        'properties', jsonb_strip_nulls(jsonb_build_object(
            'datetime', eoswath.stac_datetime(s.overpass),
            'start_datetime', eoswath.stac_datetime(s.overpass),
            'end_datetime', eoswath.stac_datetime(coalesce(s.overpass_end, s.overpass)),
            'created', eoswath.stac_datetime(s.registered),
            'sat:absolute_orbit', CASE WHEN s.orbit >= 1 THEN s.orbit END,
            'processing:software', jsonb_build_object('eoswath',
                (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'eoswath')),
            'processing:lineage', 'footprint and acquisition times computed by eoswath from the granule''s own geolocation and time variables',
            'eoswath:id', s.id,
            'eoswath:source', s.source,
            'eoswath:version', nullif(s.version, ''))),
        'links', '[]'::jsonb,
        'assets', jsonb_build_object(
            'granule', jsonb_build_object(
                'href', eoswath.stac_href(s.oid, s.filename),
                'type', eoswath.stac_media_type(s.fileext),
                'title', s.filename,
                'roles', jsonb_build_array('data'))) ||
            coalesce((SELECT jsonb_object_agg('subset:' || u.region, jsonb_build_object(
                                  'href', eoswath.stac_href(u.subset, format('%s.%s.nc',
                                            regexp_replace(regexp_replace(s.filename, '^.*/', ''), '\.[^.]*$', ''), u.region)),
                                  'type', 'application/netcdf',
                                  'title', format('subset of %s to the region %s', s.filename, u.region),
                                  'roles', jsonb_build_array('data', 'subset')))
                        FROM @extschema@.swath_subsets u
                       WHERE u.swath = s.id AND u.subset IS NOT NULL), '{}'::jsonb));
COMMENT ON FUNCTION eoswath.stac_item_of(@extschema@.swaths) IS
    'a swath row as a STAC 1.0.0 Item (see swath_stac_item())';

CREATE FUNCTION @extschema@.swath_stac_item(id bigint) RETURNS jsonb
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    RETURN (SELECT eoswath.stac_item_of(s) FROM @extschema@.swaths s WHERE s.id = swath_stac_item.id);
COMMENT ON FUNCTION @extschema@.swath_stac_item(bigint) IS
    'a catalogued swath as a STAC 1.0.0 Item: footprint geometry (counter-clockwise, split at the antimeridian), bbox, times, sat:absolute_orbit, processing:, an asset for the granule and one per stored subset; NULL if no such swath';

CREATE FUNCTION @extschema@.swath_stac_search(region geography, "from" timestamptz DEFAULT NULL,
                                               "to" timestamptz DEFAULT NULL, source text DEFAULT NULL,
                                               "limit" integer DEFAULT 100)
    RETURNS jsonb
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT jsonb_build_object(
                       'type', 'FeatureCollection',
                       'features', coalesce(jsonb_agg(eoswath.stac_item_of(s) ORDER BY s.overpass, s.id), '[]'::jsonb),
                       'numberReturned', count(*),
                       'links', '[]'::jsonb)
              FROM (SELECT * FROM @extschema@.swath_search($1, $2, $3, $4) x
                     ORDER BY x.overpass, x.id LIMIT $5) s);
COMMENT ON FUNCTION @extschema@.swath_stac_search(geography, timestamptz, timestamptz, text, integer) IS
    'swath_search() as a GeoJSON FeatureCollection of STAC Items, the first "limit" by overpass';

REVOKE ALL ON FUNCTION
    eoswath.stac_bbox(@extschema@.geometry),
    eoswath.stac_datetime(timestamptz),
    eoswath.stac_href(@extschema@.wosoid, text),
    eoswath.stac_media_type(text),
    eoswath.stac_item_of(@extschema@.swaths),
    @extschema@.swath_stac_item(bigint),
    @extschema@.swath_stac_search(geography, timestamptz, timestamptz, text, integer)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    eoswath.stac_bbox(@extschema@.geometry),
    eoswath.stac_datetime(timestamptz),
    eoswath.stac_href(@extschema@.wosoid, text),
    eoswath.stac_media_type(text),
    eoswath.stac_item_of(@extschema@.swaths),
    @extschema@.swath_stac_item(bigint),
    @extschema@.swath_stac_search(geography, timestamptz, timestamptz, text, integer)
TO eoswath_reader;
