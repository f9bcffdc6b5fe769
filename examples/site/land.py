#!/usr/bin/python3
"""land.py < land.geojson > out.geojson: Natural Earth's land for a flat map.

world-atlas's polygons are spherical: a ring that crosses the antimeridian
jumps from +180 to -180, and Antarctica's ring goes round the pole.  Drawn
on a plate carree map such rings streak across the world.  Here each ring's
longitudes are unwrapped (no jump over 180 degrees), a ring round a pole is
closed along the pole, a polygon reaching past +-180 gets a copy shifted by
360 degrees (the map shows -180..180), and coordinates are rounded to 0.001
degree (about 100 m).  Run by make vendor.
"""
import json
import sys


def unwrap(ring):
    out = [list(ring[0])]
    for lon, lat in ring[1:]:
        prev = out[-1][0]
        while lon - prev > 180:
            lon -= 360
        while lon - prev < -180:
            lon += 360
        out.append([lon, lat])
    shift = out[-1][0] - out[0][0]
    if abs(shift) > 180:  # round a pole: close the ring along it
        pole = -90 if sum(p[1] for p in out) < 0 else 90
        out += [[out[-1][0], pole], [out[0][0], pole], list(out[0])]
    return out


def rounded(ring):
    return [[round(lon, 3), round(lat, 3)] for lon, lat in ring]


polygons = []
for feature in json.load(sys.stdin)["features"]:
    g = feature["geometry"]
    for poly in g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]:
        rings = [unwrap(r) for r in poly]
        lons = [p[0] for r in rings for p in r]
        for shift in (0, -360, 360):
            if shift == 0 or (shift < 0 and max(lons) > 180) or (shift > 0 and min(lons) < -180):
                polygons.append([rounded([[lon + shift, lat] for lon, lat in r]) for r in rings])
json.dump({"type": "Feature", "properties": {"source": "Natural Earth land, 1:50m (world-atlas)"},
           "geometry": {"type": "MultiPolygon", "coordinates": polygons}},
          sys.stdout, separators=(",", ":"))
