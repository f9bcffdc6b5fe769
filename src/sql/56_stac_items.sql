-- ---------------------------------------------------------------------------
-- STAC Items: a swath row with its granule, its stored subsets and its
-- quicklooks as assets (after 55_quicklook.sql, whose table it reads)
-- ---------------------------------------------------------------------------

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
                       WHERE u.swath = s.id AND u.subset IS NOT NULL), '{}'::jsonb) ||
            -- quicklooks: each as an overview; the newest of the whole swath
            -- is also the Item's thumbnail
            coalesce((SELECT jsonb_object_agg(
                                  CASE WHEN q.region = '' THEN 'quicklook:' || q.variable
                                       ELSE format('quicklook:%s:%s', q.variable, q.region) END,
                                  eoswath.stac_quicklook_asset(s, q, false))
                        FROM @extschema@.swath_quicklooks q
                       WHERE q.swath = s.id), '{}'::jsonb) ||
            coalesce((SELECT jsonb_build_object('thumbnail', eoswath.stac_quicklook_asset(s, q, true))
                        FROM @extschema@.swath_quicklooks q
                       WHERE q.swath = s.id AND q.region = ''
                       ORDER BY q.made DESC, q.variable LIMIT 1), '{}'::jsonb));
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
    eoswath.stac_item_of(@extschema@.swaths),
    @extschema@.swath_stac_item(bigint),
    @extschema@.swath_stac_search(geography, timestamptz, timestamptz, text, integer)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    eoswath.stac_item_of(@extschema@.swaths),
    @extschema@.swath_stac_item(bigint),
    @extschema@.swath_stac_search(geography, timestamptz, timestamptz, text, integer)
TO eoswath_reader;
