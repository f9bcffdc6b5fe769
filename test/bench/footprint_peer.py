#!/usr/bin/python3
"""test/bench/footprint_peer.py: the peer of eoswath's swath footprint.

What a Python user would write with Debian's python3-netcdf4, numpy and
python3-shapely to get a valid lon/lat (Multi)Polygon of a swath granule,
given the geolocation variables (eoswath finds them itself; the peer is told
them, from swath_geolocation() of the same object):

  - read the whole lat/lon arrays with netCDF4 (scale_factor/add_offset,
    _FillValue and valid_min/valid_max applied by the library), squeeze
    size-1 dimensions;
  - imagers (2-D, rows across the track): an EDGE WALK, not a convex hull
    (a hull of a full orbit, or of any curved swath, covers far more than the
    swath): the first and last valid pixel of each row, cut into segments of
    at most 500 km along track (and at data gaps), each segment's ring being
    left edge, last row, right edge reversed, first row reversed; pixel
    centres, no padding;
  - tracks (1-D, or rows along the track like Jason-1's 20 Hz samples): a
    +-10 km corridor around the samples in storage order, in the same 500 km
    pieces;
  - each ring's longitudes unwrapped, a ring that winds round a pole closed
    along the pole, the polygon made valid and cut at the antimeridian into
    -180..180 (shifted copies clipped to the world box), and all parts of
    all pairs unioned with shapely (unary_union).

Usage: footprint_peer.py REPS OUT < pairs
  pairs: lines "file<TAB>group<TAB>lat_var<TAB>lon_var" (one per used pair)
  OUT: lines "file<TAB>median ms<TAB>WKB hex of the footprint", one per file.
Each file is done once to warm up (page cache, imports), then REPS times;
the median is reported.  Start-up of Python is not in the figure.
"""
import math
import sys
import time

import netCDF4
import numpy as np
from shapely import wkb
from shapely.affinity import translate
from shapely.geometry import Polygon, box
from shapely.ops import unary_union
from shapely.validation import make_valid

EARTH_KM = 6371.0088
SEGMENT_KM = 500.0
CORRIDOR_KM = 10.0
SIMPLIFY_DEG = 0.25 / 111.2     # 250 m (eoswath: 0.5 km, at most a quarter of its padding)
WORLD = box(-180, -90, 180, 90)


def read_var(ds, group, name):
    g = ds
    for part in [p for p in group.split('/') if p]:
        g = g.groups[part]
    a = g.variables[name][:]
    a = np.ma.filled(np.ma.asarray(a, dtype=np.float64), np.nan)
    return np.squeeze(a) if a.ndim > 1 else a


def dist_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def cut_points(lat, lon):
    """indexes where consecutive points start a new piece: 500 km or a gap"""
    if len(lat) < 2:
        return [(0, len(lat) - 1)]
    d = dist_km(lat[:-1], lon[:-1], lat[1:], lon[1:])
    gap = max(4 * float(np.nanmedian(d)), 50.0)
    breaks = np.flatnonzero(~(d <= gap))          # d[i] > gap: i and i+1 apart
    pieces = []
    for s, e in zip(np.r_[0, breaks + 1], np.r_[breaks, len(lat) - 1]):
        # within a run, pieces of at most SEGMENT_KM sharing their end point
        cum = np.r_[0, np.cumsum(d[s:e])]
        k = np.floor(cum / SEGMENT_KM).astype(int)
        cuts = np.flatnonzero(np.diff(k)) + s     # a piece ends on its boundary point
        bounds = np.unique(np.r_[s, cuts, e])
        if len(bounds) == 1:                      # a run of one point
            pieces.append((s, e))
        pieces += list(zip(bounds[:-1], bounds[1:]))
    return pieces


def planar_parts(lat, lon):
    """a ring of points on the sphere as valid planar polygons in -180..180"""
    lon_u = np.degrees(np.unwrap(np.radians(lon)))
    wind = lon_u[-1] + (((lon_u[0] - lon_u[-1]) + 180) % 360 - 180) - lon_u[0]
    pts = list(zip(lon_u, lat))
    if abs(wind) > 180:         # winds round a pole: close the ring along it
        pole = 90.0 if lat[np.argmax(np.abs(lat))] > 0 else -90.0
        pts += [(lon_u[-1], pole), (lon_u[0], pole)]
    if len(pts) < 3:
        return []
    # fewer vertices for the union (as eoswath simplifies its rings)
    poly = Polygon(pts).simplify(SIMPLIFY_DEG, preserve_topology=True)
    if not poly.is_valid:
        poly = make_valid(poly)
    parts = []
    for shift in (-720, -360, 0, 360, 720):
        lo, hi = lon_u.min() + shift, lon_u.max() + shift
        if hi <= -180 or lo >= 180:
            continue
        g = poly if shift == 0 else _translate(poly, shift)
        parts.append(g.intersection(WORLD))
    # only areas: a degenerate ring (one row) has none
    return [q for p in parts for q in getattr(p, 'geoms', [p])
            if q.geom_type in ('Polygon', 'MultiPolygon') and not q.is_empty]


def _translate(g, dx):
    return translate(g, xoff=dx)


def swath_parts(lat, lon):
    valid = np.isfinite(lat) & np.isfinite(lon)
    rows = np.flatnonzero(valid.any(axis=1))
    if len(rows) == 0:
        return []
    ncols = lat.shape[1]
    L = np.argmax(valid, axis=1)
    R = ncols - 1 - np.argmax(valid[:, ::-1], axis=1)
    llat, llon = lat[rows, L[rows]], lon[rows, L[rows]]
    rlat, rlon = lat[rows, R[rows]], lon[rows, R[rows]]
    parts = []
    for a, b in cut_points(llat, llon):
        ra, rb = rows[a], rows[b]
        ring_lat = np.concatenate([llat[a:b + 1], lat[rb, L[rb]:R[rb] + 1],
                                   rlat[a:b + 1][::-1], lat[ra, L[ra]:R[ra] + 1][::-1]])
        ring_lon = np.concatenate([llon[a:b + 1], lon[rb, L[rb]:R[rb] + 1],
                                   rlon[a:b + 1][::-1], lon[ra, L[ra]:R[ra] + 1][::-1]])
        ok = np.isfinite(ring_lat) & np.isfinite(ring_lon)
        parts += planar_parts(ring_lat[ok], ring_lon[ok])
    return parts


def track_parts(lat, lon):
    ok = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = lat[ok], lon[ok]
    parts = []
    for a, b in cut_points(lat, lon):
        plat, plon = lat[a:b + 1], lon[a:b + 1]
        if len(plat) < 2:
            plat, plon = np.repeat(plat, 2), np.repeat(plon, 2)
        # local tangent plane at each sample (km): x east, y north
        lon_u = np.degrees(np.unwrap(np.radians(plon)))
        k = math.pi * EARTH_KM / 180                # km per degree of latitude
        kc = k * np.maximum(np.cos(np.radians(plat)), 1e-6)
        dx, dy = np.gradient(lon_u) * kc, np.gradient(plat) * k
        n = np.hypot(dx, dy)
        if not np.any(n > 0):
            dx, dy, n = np.ones_like(dx), np.zeros_like(dy), np.ones_like(n)
        n[n == 0] = 1
        ux, uy = dx / n, dy / n
        # end caps: the first and last sample pushed out along the track
        lon_c = np.r_[lon_u[0] - CORRIDOR_KM * ux[0] / kc[0], lon_u, lon_u[-1] + CORRIDOR_KM * ux[-1] / kc[-1]]
        lat_c = np.r_[plat[0] - CORRIDOR_KM * uy[0] / k, plat, plat[-1] + CORRIDOR_KM * uy[-1] / k]
        ux, uy, kc = np.r_[ux[:1], ux, ux[-1:]], np.r_[uy[:1], uy, uy[-1:]], np.r_[kc[:1], kc, kc[-1:]]
        # left of the track: (-uy, ux); right: (uy, -ux)
        ring_lat = np.r_[lat_c + CORRIDOR_KM * ux / k, (lat_c - CORRIDOR_KM * ux / k)[::-1]]
        ring_lon = np.r_[lon_c - CORRIDOR_KM * uy / kc, (lon_c + CORRIDOR_KM * uy / kc)[::-1]]
        parts += planar_parts(ring_lat, ring_lon)
    return parts


def footprint(path, pairs):
    parts = []
    with netCDF4.Dataset(path) as ds:
        for group, lat_var, lon_var in pairs:
            lat = read_var(ds, group, lat_var)
            lon = read_var(ds, group, lon_var)
            lat[np.abs(lat) > 90] = np.nan
            if lat.ndim == 1 or min(lat.shape) == 1:
                parts += track_parts(lat.ravel(), lon.ravel())
            elif rows_along_track(lat, lon):
                parts += track_parts(lat.ravel(), lon.ravel())
            else:
                parts += swath_parts(lat, lon)
    return unary_union([p for p in parts if not p.is_empty])


def rows_along_track(lat, lon):
    """Jason-1's (time, meas_ind): a row's first-to-last distance is about
    the step between rows (the samples continue the track); an imager's row
    is many row steps wide"""
    i = lat.shape[0] // 2
    a = dist_km(lat[i, 0], lon[i, 0], lat[i, -1], lon[i, -1])
    s = dist_km(lat[i, 0], lon[i, 0], lat[i + 1, 0], lon[i + 1, 0])
    return bool(np.isfinite(a) and np.isfinite(s) and a < 3 * s)


def main():
    reps = int(sys.argv[1])
    files = {}
    for line in sys.stdin:
        f, group, lat_var, lon_var = line.rstrip('\n').split('\t')
        files.setdefault(f, []).append((group, lat_var, lon_var))
    with open(sys.argv[2], 'w') as out:
        for f, pairs in files.items():
            g = footprint(f, pairs)                     # warm-up
            times = []
            for _ in range(reps):
                t0 = time.perf_counter()
                g = footprint(f, pairs)
                hexwkb = wkb.dumps(g, hex=True, srid=4326)
                times.append((time.perf_counter() - t0) * 1000)
            out.write('%s\t%.3f\t%s\n' % (f, float(np.median(times)), hexwkb))


if __name__ == '__main__':
    main()
