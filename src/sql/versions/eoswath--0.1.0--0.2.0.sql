-- eoswath upgrade script 0.1.0 -> 0.2.0
--
-- Every schema change of 0.2.0 (src/sql/*.sql) appears here too, so that
-- ALTER EXTENSION eoswath UPDATE brings a 0.1.0 install to exactly what a
-- fresh 0.2.0 install has (test/t/012_upgrade.pl compares the two).

\echo Use "ALTER EXTENSION eoswath UPDATE TO '0.2.0'" to load this file. \quit

-- issue 13: valid footprints (parts unioned, split at the antimeridian)
-- The granule helper gives overlapping parts with longitudes unwrapped past
-- +-180 and polar rings closed along the pole.  Here they become one valid
-- (Multi)Polygon: each part made valid, all unioned, split at the
-- antimeridian (ST_WrapX) and unioned again.  PostGIS geography misreads a
-- polygon that winds far round the globe (a full orbit), so a polygon wider
-- or taller than 60 degrees is cut into cells of 60 degrees of longitude by
-- a hemisphere, separated by hairline gaps (2e-9 degrees, along meridians
-- and a parallel off the round numbers): the cells do not touch, so the
-- result stays valid.  See "How footprints are
-- computed" in README.md.
CREATE FUNCTION eoswath.footprint_from_parts(parts @extschema@.geometry) RETURNS @extschema@.geometry
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (
        WITH u AS (
            SELECT @extschema@.ST_UnaryUnion(@extschema@.ST_WrapX(@extschema@.ST_WrapX(
                       @extschema@.ST_UnaryUnion(@extschema@.ST_Collect(
                           @extschema@.ST_MakeValid(d.geom, 'method=structure'))),
                       180, -360), -180, 360)) AS g
              FROM @extschema@.ST_Dump(parts) d),
        p AS (
            SELECT d.geom AS g, (@extschema@.ST_XMax(d.geom) - @extschema@.ST_XMin(d.geom) > 60 OR
                                 @extschema@.ST_YMax(d.geom) - @extschema@.ST_YMin(d.geom) > 60) AS wide
              FROM u, @extschema@.ST_Dump(@extschema@.ST_CollectionExtract(u.g, 3)) d),
        s AS (
            SELECT @extschema@.ST_MakeEnvelope(
                       CASE WHEN k = 0 THEN -180 ELSE -180 + 60 * k - 0.01234567 + 1e-9 END,
                       CASE WHEN h = 0 THEN -90 ELSE -0.01234567 + 1e-9 END,
                       CASE WHEN k = 5 THEN 180 ELSE -120 + 60 * k - 0.01234567 - 1e-9 END,
                       CASE WHEN h = 0 THEN -0.01234567 - 1e-9 ELSE 90 END,
                       4326) AS box
              FROM generate_series(0, 5) k, generate_series(0, 1) h)
        SELECT @extschema@.ST_SetSRID(@extschema@.ST_CollectionExtract(@extschema@.ST_Collect(
                   CASE WHEN p.wide THEN @extschema@.ST_Intersection(p.g, s.box) ELSE p.g END), 3), 4326)
          FROM p LEFT JOIN s ON p.wide AND @extschema@.ST_Intersects(s.box, p.g));
COMMENT ON FUNCTION eoswath.footprint_from_parts(@extschema@.geometry) IS
    'the valid footprint (multi)polygon of the overlapping parts the granule helper gives (lon/lat, SRID 4326)';
REVOKE ALL ON FUNCTION eoswath.footprint_from_parts(@extschema@.geometry) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION eoswath.footprint_from_parts(@extschema@.geometry) TO eoswath_reader;

CREATE OR REPLACE FUNCTION @extschema@.swath_footprint(oid @extschema@.wosoid) RETURNS geography
    LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
    RETURN @extschema@.geography(eoswath.footprint_from_parts(
               @extschema@.ST_GeomFromEWKB(@extschema@.swath_footprint_wkb(oid))));

-- issue 13: swath_geolocation says which pairs are swaths and why others are not
DROP FUNCTION @extschema@.swath_geolocation(@extschema@.wosoid);
CREATE FUNCTION @extschema@.swath_geolocation(oid @extschema@.wosoid)
    RETURNS TABLE (pair integer, "group" text, lat_var text, lon_var text, dims text[],
                   nrows bigint, ncols bigint, time_var text, used boolean, note text)
    AS 'MODULE_PATHNAME', 'swath_geolocation' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.swath_geolocation(@extschema@.wosoid) IS
    'the latitude/longitude variable pairs found in a granule: one row per swath (used), then the pairs that are no swath (platform position, support data, duplicates) with the reason in note';
REVOKE ALL ON FUNCTION @extschema@.swath_geolocation(@extschema@.wosoid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.swath_geolocation(@extschema@.wosoid) TO eoswath_reader;
