#!/usr/bin/python3
"""Value-level checks of swath_subset() on real and generated granules.

   check_subset.py GRANULE_DIR SYNTH_DIR

Connects with the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE),
stores every granule as an object, cuts each with several regions through
SQL, and checks every output file against its source with an independent
reading (netCDF4-python):

  - dimensions: swath dimensions cut to the window of rows/pixels holding a
    hit (union over swaths sharing a dimension), all others intact;
  - every variable, group and attribute is there with its type, chunking
    (clipped to the window) and compression; history appended;
    geospatial_lat/lon_min/max equal the bounds of the pixels inside
    (longitudes west > east across the antimeridian, as ACDD allows);
  - values: inside the region identical to the source, outside it the
    variable's _FillValue (variables with one), i.e. every non-fill value of
    a subsetted variable lies in the region and every source pixel in the
    region is present with its value;
  - NULL exactly when no pixel lies in the region;
  - a granule whose swath has more pixels than 64 bits count is refused
    with SQLSTATE 54000 (program limit exceeded).
Exits non-zero on any failure.
"""
import datetime
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import psycopg2
from netCDF4 import Dataset

GRANULES, SYNTH = sys.argv[1], sys.argv[2]
FILES = {
    "ascat": (GRANULES, "ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc"),
    "jason1": (GRANULES, "JA1_GPN_2PeP001_002_20020115_060706_20020115_070316.nc"),
    "s5p": (GRANULES, "S5P_OFFL_L2__CH4____20190319T110835_20190319T125006_07407_01_010202_20190325T125810_fullorbit_varsubset.nc4"),
    "s6a": (GRANULES, "S6A_P4_2__HR_RED__NR_014_192_20210403T005056_20210403T010056_F00.nc"),
    "viirs": (GRANULES, "SS_VIIRS_NPP-NAVO-L2P-v3.0.nc"),
    "gpm": (GRANULES, "GPM_2ADPR_V07A_20210220_039665_l2ss_subset.HDF5"),
    "synth_groups": (SYNTH, "synth_groups.nc4"),
    "synth_track": (SYNTH, "synth_track.nc"),
    "synth_polar": (SYNTH, "synth_polar.nc4"),
    "synth_strattr": (SYNTH, "synth_strattr.nc4"),
}

# name -> (SQL region expression, kind); geometry: straight lon/lat edges
REGIONS = {
    "l2ss_box": ("ST_MakeEnvelope(-180, -90, 0, 0, 4326)", "geometry"),
    "africa_west_poly": ("'POLYGON((-20 -35, 20 -35, 20 -20, 10 -5, 15 10, -5 30, -25 30, -20 -35))'::geography", "geography"),
    "atlantic_hole": ("'SRID=4326;MULTIPOLYGON(((-60 -70, 0 -70, 0 70, -60 70, -60 -70), (-40 -40, -20 -40, -20 40, -40 40, -40 -40)), ((100 -20, 120 -20, 120 0, 100 0, 100 -20)))'::geometry", "geometry"),
    "pacific_am_geom": ("ST_MakeEnvelope(170, -50, 200, 50, 4326)", "geometry"),
    "pacific_am_0360": ("ST_MakeEnvelope(160, -40, 220, 65, 4326)", "geometry"),
    "pacific_am_geog": ("'POLYGON((170 -40, -165 -40, -165 40, 170 40, 170 -40))'::geography", "geography"),
    "arctic_cap_geog": ("ST_Buffer('POINT(0 90)'::geography, 2000000)", "geography"),
    "arctic_box_geom": ("ST_MakeEnvelope(-180, 70, 180, 90, 4326)", "geometry"),
    "antarctic_geog": ("ST_Buffer('POINT(-45 -60)'::geography, 600000)", "geography"),
    "bering_geog": ("'POLYGON((-175 60, -135 60, -135 76, -175 76, -175 60))'::geography", "geography"),
    "bering_am_geom": ("ST_MakeEnvelope(160, 55, 200, 85, 4326)", "geometry"),
    "bering_am_geog": ("'POLYGON((160 60, -160 60, -160 80, 160 80, 160 60))'::geography", "geography"),
    "empty_geom": ("ST_MakeEnvelope(-10, -1, -9, 0, 4326)", "geometry"),
    # diagonal edges crossing many cells of the grid of certain cells
    # (region_grid.c), planar and across the antimeridian on the sphere
    "diag_geom": ("'SRID=4326;POLYGON((-170 -60, -20 -10, -100 70, -170 -60))'::geometry", "geometry"),
    "pacific_diag_geog": ("'POLYGON((165 -35, -160 -50, -150 25, 175 45, 165 -35))'::geography", "geography"),
    "bering_diag_geog": ("'POLYGON((175 60, -150 62, -140 70, -165 78, 175 60))'::geography", "geography"),
    # geography regions of any size: the reference is PostGIS's own ST_Covers
    # on every pixel (kind "postgis"), asked only between the latitudes given
    # (the region lies within them; None: everywhere)
    "quarter_sphere": ("'POLYGON((-180 -90, -90 -90, 0 -90, 0 0, -90 0, -180 0, -180 -90))'::geography", "postgis", None),
    "north_hemisphere": ("'POLYGON((-180 0, -90 0, 0 0, 90 0, 180 0, 180 90, -180 90, -180 0))'::geography", "postgis", (-0.001, 90)),
    "band_30": ("ST_MakePolygon(ST_MakeLine(array(SELECT ST_Point(x, -30) FROM generate_series(-180, 180, 10) x) || "
                "array(SELECT ST_Point(x, 30) FROM generate_series(180, -180, -10) x) || ST_Point(-180, -30)))::geography",
                "postgis", (-35, 35)),
    "north_of_10s": ("ST_MakePolygon(ST_MakeLine(array(SELECT ST_Point(x, -10) FROM generate_series(-180, 180, 10) x) || "
                     "ARRAY[ST_Point(180, 90), ST_Point(-180, 90), ST_Point(-180, -10)]))::geography", "postgis", (-12, 90)),
    # 100 degrees long, its southern edge sampled every half degree
    "sliver_100": ("ST_MakePolygon(ST_MakeLine(array(SELECT ST_Point(x, 0) FROM generate_series(-60, 40, 0.5) x) || "
                   "ARRAY[ST_Point(40, 3), ST_Point(-60, 3), ST_Point(-60, 0)]))::geography", "postgis", (-0.001, 6)),
}

CASES = [
    # (granule, region, variables, expectations)
    ("ascat", "l2ss_box", None, {"rows": (797, 1505)}),
    ("ascat", "pacific_am_geog", None, {}),
    ("ascat", "arctic_cap_geog", None, {}),
    ("ascat", "atlantic_hole", None, {}),
    ("ascat", "diag_geom", None, {}),
    ("ascat", "pacific_diag_geog", None, {}),
    ("viirs", "bering_diag_geog", None, {}),
    ("jason1", "l2ss_box", None, {}),
    ("jason1", "africa_west_poly", None, {"null": True}),
    ("jason1", "atlantic_hole", None, {}),
    ("s5p", "bering_am_geom", None, {}),
    ("s5p", "bering_am_geog", None, {"narrower": True}),
    ("s5p", "arctic_box_geom", None, {}),
    ("s5p", "africa_west_poly", ["/PRODUCT/methane_mixing_ratio"], {}),
    ("s6a", "l2ss_box", None, {"null": True}),
    ("s6a", "arctic_cap_geog", None, {"null": True}),
    ("s6a", "atlantic_hole", None, {"null": True}),
    ("viirs", "bering_geog", None, {}),
    ("viirs", "pacific_am_0360", None, {}),
    ("gpm", "antarctic_geog", None, {}),
    ("gpm", "l2ss_box", None, {}),
    ("synth_groups", "pacific_am_geom", None, {}),
    ("synth_groups", "pacific_am_0360", None, {}),
    ("synth_groups", "pacific_am_geog", ["sst"], {}),
    ("synth_groups", "empty_geom", None, {"null": True}),
    ("synth_track", "arctic_cap_geog", None, {}),
    ("synth_track", "atlantic_hole", None, {}),
    ("synth_polar", "arctic_cap_geog", None, {}),
    ("synth_polar", "arctic_box_geom", None, {}),
    ("synth_polar", "pacific_am_geog", None, {"null": True}),
    # NC_STRING attributes: history kept and appended; a string "coordinates"
    # keeps the variables it names
    ("synth_strattr", "pacific_am_geom", None, {}),
    ("synth_strattr", "pacific_am_geog", ["radiance"], {"kept": ["/scan_start"]}),
    # geography regions of a hemisphere or more, and a sliver with a dense edge
    ("gpm", "quarter_sphere", None, {}),
    ("jason1", "quarter_sphere", None, {}),
    ("jason1", "north_hemisphere", None, {}),
    ("jason1", "band_30", None, {}),
    ("synth_polar", "north_of_10s", None, {}),
    ("ascat", "sliver_100", None, {}),
]

failures = []


def fail(case, msg):
    failures.append("%s: %s" % (case, msg))
    print("FAIL %s: %s" % (case, msg))


# ---------- regions ----------

def parse_wkt(wkt):
    """[[ring, ...], ...] with rings as (xs, ys) arrays."""
    wkt = wkt.strip()
    body = wkt[wkt.index("("):]
    if wkt.upper().startswith("MULTIPOLYGON"):
        polys = re.findall(r"\(\((.*?)\)\)", body)
    else:
        polys = [body[2:-2]]
    parts = []
    for p in polys:
        rings = []
        for r in p.split("),("):
            pts = np.array([[float(c) for c in xy.split()] for xy in r.replace(")", "").replace("(", "").split(",")])
            rings.append((pts[:, 0], pts[:, 1]))
        parts.append(rings)
    return parts


def ring_test(xs, ys, px, py, eps):
    """1 inside, 0 boundary, -1 outside (vectorised over px, py)."""
    inside = np.zeros(px.shape, bool)
    boundary = np.zeros(px.shape, bool)
    for k in range(len(xs) - 1):
        x1, y1, x2, y2 = xs[k], ys[k], xs[k + 1], ys[k + 1]
        inbox = ((px >= min(x1, x2) - eps) & (px <= max(x1, x2) + eps) &
                 (py >= min(y1, y2) - eps) & (py <= max(y1, y2) + eps))
        cr = (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)
        ln = abs(x2 - x1) + abs(y2 - y1)
        boundary |= inbox & (np.abs(cr) <= eps * max(ln, 1e-300))
        crosses = (y1 > py) != (y2 > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            xi = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (px < xi)
    return np.where(boundary, 0, np.where(inside, 1, -1))


def part_test(rings, px, py, eps):
    ok = ring_test(rings[0][0], rings[0][1], px, py, eps) >= 0
    for hx, hy in rings[1:]:
        ok &= ring_test(hx, hy, px, py, eps) <= 0
    return ok


def unit(lon, lat):
    lo, la = np.radians(lon), np.radians(lat)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def contains(parts, spherical, lat, lon):
    res = np.zeros(lat.shape, bool)
    valid = ~(np.isnan(lat) | np.isnan(lon))
    la, lo = np.where(valid, lat, 0.0), np.where(valid, lon, 0.0)
    for rings in parts:
        if not spherical:
            xs, ys = rings[0]
            for k in range(-2, 3):
                x = lo + 360.0 * k
                sel = valid & (x >= xs.min() - 1e-9) & (x <= xs.max() + 1e-9) & \
                    (la >= ys.min() - 1e-9) & (la <= ys.max() + 1e-9)
                if sel.any():
                    res[sel] |= part_test(rings, x[sel], la[sel], 1e-9)
        else:
            shell = unit(rings[0][0][:-1], rings[0][1][:-1])
            c = shell.sum(axis=0)
            c /= np.linalg.norm(c)
            ref = np.array([1.0, 0, 0]) if abs(c[2]) > 0.9 else np.array([0, 0, 1.0])
            e1 = np.cross(ref, c)
            e1 /= np.linalg.norm(e1)
            e2 = np.cross(c, e1)
            proj = []
            for xs, ys in rings:
                v = unit(xs, ys)
                d = v @ c
                proj.append(((v @ e1) / d, (v @ e2) / d))
            p = unit(lo, la)
            d = p @ c
            sel = valid & (d > 0)
            if sel.any():
                ps = p[sel]
                px, py = (ps @ e1) / d[sel], (ps @ e2) / d[sel]
                res[sel] |= part_test(proj, px, py, 1e-12)
    return res


# ---------- granules ----------

def att(var, name):
    return var.getncattr(name) if name in var.ncattrs() else None


def walk_vars(grp):
    for v in grp.variables.values():
        yield v
    for g in grp.groups.values():
        yield from walk_vars(g)


def walk_groups(grp):
    yield grp
    for g in grp.groups.values():
        yield from walk_groups(g)


def var_path(v):
    g = v.group().path
    return ("" if g == "/" else g) + "/" + v.name


def dim_key(d):
    return (d.group().path, d.name)


def unpack(var):
    raw = var[...]
    raw = np.asarray(raw)
    vals = raw.astype("f8")
    bad = np.isnan(vals)
    for a in ("_FillValue", "missing_value"):
        if att(var, a) is not None:
            bad |= vals == float(np.asarray(att(var, a)).ravel()[0])
    if att(var, "valid_min") is not None:
        bad |= vals < float(att(var, "valid_min"))
    if att(var, "valid_max") is not None:
        bad |= vals > float(att(var, "valid_max"))
    if att(var, "valid_range") is not None and att(var, "valid_min") is None and att(var, "valid_max") is None:
        vr = np.asarray(att(var, "valid_range"))
        bad |= (vals < vr[0]) | (vals > vr[1])
    vals = vals * float(att(var, "scale_factor") if att(var, "scale_factor") is not None else 1.0) + \
        float(att(var, "add_offset") if att(var, "add_offset") is not None else 0.0)
    vals[bad] = np.nan
    return vals


def string_atts(path):
    """(variable, attribute) of the attributes stored as NC_STRING ("" for
    global ones), from ncdump -h (netCDF4-python does not tell NC_CHAR and
    NC_STRING apart)."""
    out = subprocess.run(["ncdump", "-h", path], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"^\t\tstring (\w*):(\w+) =", out, re.M))


def find_pairs(ds):
    pairs = []
    for v in walk_vars(ds):
        if v.dtype == str or v.dtype.kind not in "iuf":
            continue
        n = v.name.lower()
        units = str(att(v, "units") or "").lower()
        if not (n in ("lat", "latitude") or units in ("degrees_north", "degree_north") or n.startswith("lat")):
            continue
        if n.endswith(("_bnds", "_bounds")):
            continue
        want = v.name.replace("Latitude", "Longitude").replace("latitude", "longitude").replace("Lat", "Lon").replace("lat", "lon")
        lon = v.group().variables.get(want)
        if lon is None or lon.dimensions != v.dimensions:
            continue
        kept = [i for i, s in enumerate(v.shape) if s != 1]
        if len(kept) > 2 or not kept:
            continue
        dims = v.get_dims()
        lat_a, lon_a = unpack(v), unpack(lon)
        shape2 = (v.shape[kept[0]], v.shape[kept[1]] if len(kept) > 1 else 1)
        lat_a, lon_a = lat_a.reshape(shape2), lon_a.reshape(shape2)
        bad = np.isnan(lat_a) | np.isnan(lon_a) | (np.abs(lat_a) > 90.000001) | (np.abs(lon_a) > 720)
        lat_a = np.clip(lat_a, -90, 90)
        lon_a = np.mod(lon_a + 180.0, 360.0) - 180.0
        lat_a[bad] = np.nan
        lon_a[bad] = np.nan
        pairs.append({
            "lat": v, "lon": lon,
            "row": dim_key(dims[kept[0]]),
            "col": dim_key(dims[kept[1]]) if len(kept) > 1 else None,
            "latv": lat_a, "lonv": lon_a,
        })
    return pairs


def postgis_covers(cur, expr, lats, lat, lon):
    """PostGIS's ST_Covers(region, pixel) on every pixel between lats."""
    res = np.zeros(lat.shape, bool)
    sel = ~(np.isnan(lat) | np.isnan(lon))
    if lats is not None:
        sel &= (lat >= lats[0]) & (lat <= lats[1])
    if sel.any():
        la = np.asarray(lat[sel], "f8")
        lo = np.mod(np.asarray(lon[sel], "f8") + 180.0, 360.0) - 180.0
        cur.execute("SELECT array_agg(ST_Covers(r, ST_Point(x, y)::geography) ORDER BY n) "
                    "FROM (SELECT %s AS r) g, unnest(%%s::float8[], %%s::float8[]) WITH ORDINALITY p(x, y, n)" % expr,
                    (lo.tolist(), la.tolist()))
        res[sel] = np.array(cur.fetchone()[0], bool)
    return res


def check_case(cur, oids, tmpdir, gname, rname, variables, expect):
    case = "%s/%s%s" % (gname, rname, "" if variables is None else " vars=" + ",".join(variables))
    expr, kind = REGIONS[rname][:2]
    cur.execute("SELECT ST_AsText(%s::geometry), swath_subset(%%s, %s, %%s)" % (expr, expr),
                (oids[gname], variables))
    wkt, data = cur.fetchone()
    parts = parse_wkt(wkt)
    src_path = os.path.join(*FILES[gname])
    src = Dataset(src_path)
    src.set_auto_maskandscale(False)
    pairs = find_pairs(src)
    hits = 0
    windows = {}
    lat_hit, lon_hit = [], []
    for p in pairs:
        if kind == "postgis":
            m = postgis_covers(cur, expr, REGIONS[rname][2], p["latv"], p["lonv"])
        else:
            m = contains(parts, kind == "geography", p["latv"], p["lonv"])
        p["mask"] = m
        p["rowhit"] = m.any(axis=1)
        hits += int(m.sum())
        if m.any():
            rows = np.nonzero(m.any(axis=1))[0]
            cols = np.nonzero(m.any(axis=0))[0]
            lat_hit.append(p["latv"][m])
            lon_hit.append(p["lonv"][m])
            for key, lo, hi in ((p["row"], rows[0], rows[-1]), (p["col"], cols[0], cols[-1])):
                if key is None:
                    continue
                if key in windows and windows[key] is not None:
                    lo, hi = min(lo, windows[key][0]), max(hi, windows[key][1])
                windows[key] = (int(lo), int(hi))
        for key in (p["row"], p["col"]):
            if key is not None:
                windows.setdefault(key, None)
    if data is None:
        if hits:
            fail(case, "NULL returned but %d pixels lie in the region" % hits)
        elif not expect.get("null"):
            fail(case, "NULL returned, a subset was expected")
        else:
            print("ok %s: NULL, no pixel inside" % case)
        return
    if expect.get("null"):
        fail(case, "a subset was returned, NULL expected")
    if hits == 0:
        fail(case, "a subset was returned but no pixel lies in the region")
        return
    out_path = os.path.join(tmpdir, "%s_%s.nc" % (gname, rname))
    with open(out_path, "wb") as f:
        f.write(bytes(data))
    out = Dataset(out_path)
    out.set_auto_maskandscale(False)
    if out.data_model != "NETCDF4":
        fail(case, "output is %s, not NETCDF4" % out.data_model)
    for want in expect.get("kept", []):
        if want not in {var_path(v) for v in walk_vars(out)}:
            fail(case, "%s (named by a coordinates attribute) missing" % want)
    if "rows" in expect:
        rk = pairs[0]["row"]
        if windows.get(rk) != expect["rows"]:
            fail(case, "row window %s, expected %s" % (windows.get(rk), expect["rows"]))

    # groups and dimensions
    src_groups = {g.path for g in walk_groups(src)}
    out_groups = {g.path for g in walk_groups(out)}
    if src_groups != out_groups:
        fail(case, "groups differ: %s" % sorted(src_groups ^ out_groups)[:5])
    for g in walk_groups(src):
        og = out[g.path] if g.path != "/" else out
        for name, d in g.dimensions.items():
            od = og.dimensions.get(name)
            w = windows.get(dim_key(d), "none")
            want = len(d) if w == "none" else (0 if w is None else w[1] - w[0] + 1)
            if od is None or len(od) != want:
                fail(case, "dimension %s%s: %s, expected %d" % (g.path, name, None if od is None else len(od), want))
    # global attributes
    for a in src.ncattrs():
        if a in ("history", "history_json", "time_coverage_start", "time_coverage_end") or a.startswith("geospatial_l"):
            continue
        if a not in out.ncattrs() or not np.array_equal(np.asarray(src.getncattr(a)), np.asarray(out.getncattr(a))):
            fail(case, "global attribute %s differs" % a)
    hist = out.getncattr("history") if "history" in out.ncattrs() else ""
    if "eoswath swath_subset" not in hist or ("history" in src.ncattrs() and not hist.startswith(src.history)):
        fail(case, "history not appended: %r" % hist[-200:])
    # history_json: the source's entries, then ours (Harmony's history schema)
    try:
        hj = json.loads(out.getncattr("history_json"))
        old = json.loads(src.getncattr("history_json")) if "history_json" in src.ncattrs() else []
        if not isinstance(hj, list) or hj[:-1] != old or hj[-1].get("program") != "eoswath" or \
                not hj[-1].get("$schema", "").startswith("https://harmony.earthdata.nasa.gov/schemas/history/") or \
                oids[gname] not in hj[-1].get("derived_from", "") or "region of" not in hj[-1].get("parameters", ""):
            fail(case, "history_json: %r" % hj[-2:])
    except (KeyError, ValueError, AttributeError) as e:
        fail(case, "history_json missing or not JSON: %r" % e)
    # time_coverage_start/end: the kept pixels' times, within the granule's
    try:
        cur.execute("SELECT extract(epoch FROM start_time), extract(epoch FROM end_time) FROM swath_time_range(%s)", (oids[gname],))
        g0, g1 = [float(x) for x in cur.fetchone()]
    except (psycopg2.Error, TypeError):
        g0 = g1 = None                      # a granule without times
    if g0 is None:
        if expect.get("narrower"):
            fail(case, "the granule has no time range")
    elif "time_coverage_start" not in out.ncattrs() or "time_coverage_end" not in out.ncattrs():
        fail(case, "time_coverage_start/end missing")
    else:
        t0, t1 = (datetime.datetime.strptime(out.getncattr(a).replace("Z", "+0000"),
                                             "%Y-%m-%dT%H:%M:%S.%f%z" if "." in out.getncattr(a) else "%Y-%m-%dT%H:%M:%S%z").timestamp()
                  for a in ("time_coverage_start", "time_coverage_end"))
        if not (g0 - 1 <= t0 <= t1 <= g1 + 1):          # (a source's own attributes: whole seconds)
            fail(case, "time coverage %s..%s outside the granule's %s..%s" % (t0, t1, g0, g1))
        elif expect.get("narrower") and not (t1 - t0 < (g1 - g0) * 0.9):
            fail(case, "time coverage %s..%s not narrower than the granule's %s..%s" % (t0, t1, g0, g1))
    out_names = {v.name for v in walk_vars(out)}
    out_strs = string_atts(out_path)
    for var, a in sorted(string_atts(src_path)):
        if (var == "" or var in out_names) and (var, a) not in out_strs:
            fail(case, "string attribute %s:%s is no longer a string" % (var, a))
    la, lo = np.concatenate(lat_hit), np.concatenate(lon_hit)
    # longitudes: west..east of the narrower range, so that across the
    # antimeridian west > east (ACDD), e.g. 170 .. -165
    lo = np.mod(lo + 180.0, 360.0) - 180.0
    west, east = lo.min(), lo.max()
    lo360 = np.mod(lo, 360.0)
    if lo360.max() - lo360.min() < east - west:
        west = lo360.min() - 360 if lo360.min() >= 180 else lo360.min()
        east = lo360.max() - 360 if lo360.max() >= 180 else lo360.max()
    for a, v in (("geospatial_lat_min", la.min()), ("geospatial_lat_max", la.max()),
                 ("geospatial_lon_min", west), ("geospatial_lon_max", east)):
        if a not in out.ncattrs() or not math.isclose(float(out.getncattr(a)), float(v), rel_tol=1e-6, abs_tol=1e-4):
            fail(case, "%s = %s, expected %s" % (a, out.getncattr(a) if a in out.ncattrs() else None, v))

    # variables
    src_vars = {var_path(v): v for v in walk_vars(src)}
    out_vars = {var_path(v): v for v in walk_vars(out)}
    if variables is None and set(src_vars) != set(out_vars):
        fail(case, "variables differ: %s" % sorted(set(src_vars) ^ set(out_vars))[:5])
    if variables is not None:
        for want in variables:
            if not any(p == want or p.endswith("/" + want) for p in out_vars):
                fail(case, "requested variable %s missing" % want)
        for p in pairs:
            if var_path(p["lat"]) not in out_vars:
                fail(case, "geolocation %s missing" % var_path(p["lat"]))
        if len(out_vars) >= len(src_vars):
            fail(case, "variables were not selected (%d of %d kept)" % (len(out_vars), len(src_vars)))
    checked = masked = 0
    for path, ov in out_vars.items():
        sv = src_vars.get(path)
        if sv is None:
            fail(case, "unexpected variable %s" % path)
            continue
        if sv.dtype != ov.dtype or sv.dimensions != ov.dimensions:
            fail(case, "%s: type or dimensions differ" % path)
            continue
        for a in sv.ncattrs():
            sa, oa = np.asarray(sv.getncattr(a)), np.asarray(ov.getncattr(a)) if a in ov.ncattrs() else None
            if oa is None or not (np.array_equal(sa, oa) or (a == "_FillValue" and np.array_equal(sa.astype("f8"), oa.astype("f8")))):
                fail(case, "%s: attribute %s differs" % (path, a))
        if src.data_model.startswith("NETCDF4") and ov.ndim > 0 and ov.dtype != str:
            sf, of = sv.filters(), ov.filters()
            for k in ("zlib", "shuffle", "complevel", "fletcher32"):
                if sf.get(k) != of.get(k):
                    fail(case, "%s: filter %s %s -> %s" % (path, k, sf.get(k), of.get(k)))
            sc, oc = sv.chunking(), ov.chunking()
            if sc != "contiguous":
                want = [max(1, min(c, len(d))) if not d.isunlimited() else c for c, d in zip(sc, ov.get_dims())]
                if oc == "contiguous" or list(oc) != want:
                    fail(case, "%s: chunking %s -> %s, expected %s" % (path, sc, oc, want))
        # values
        sl = []
        for d in sv.get_dims():
            w = windows.get(dim_key(d), "none")
            sl.append(slice(None) if w == "none" else (slice(0, 0) if w is None else slice(w[0], w[1] + 1)))
        expected = np.asarray(sv[tuple(sl)]) if sv.ndim else np.asarray(sv[...])
        got = np.asarray(ov[...])
        fill = att(sv, "_FillValue")
        is_coord = sv.ndim == 1 and sv.dimensions[0] == sv.name
        if fill is not None and not is_coord and sv.ndim > 0 and sv.dtype.kind in "iuf":
            keys = [dim_key(d) for d in sv.get_dims()]
            best, choice = 0, None
            for p in pairs:
                if p["row"] not in keys:
                    continue
                score = 3 if (p["col"] is not None and p["col"] in keys) else (2 if p["col"] is None else 1)
                if score > best:
                    best, choice = score, p
            if choice is not None:
                p = choice
                r = keys.index(p["row"])
                rw = windows[p["row"]]
                if best == 1:
                    m = p["rowhit"][rw[0]:rw[1] + 1]
                    shape = [1] * sv.ndim
                    shape[r] = m.shape[0]
                    m = m.reshape(shape)
                elif p["col"] is None:
                    m = p["mask"][rw[0]:rw[1] + 1, 0]
                    shape = [1] * sv.ndim
                    shape[r] = m.shape[0]
                    m = m.reshape(shape)
                else:
                    c = keys.index(p["col"])
                    cw = windows[p["col"]]
                    m2 = p["mask"][rw[0]:rw[1] + 1, cw[0]:cw[1] + 1]
                    shape = [1] * sv.ndim
                    shape[r], shape[c] = m2.shape
                    m = (m2 if r < c else m2.T).reshape(shape)
                m = np.broadcast_to(m, expected.shape)
                fv = np.asarray(fill).astype(expected.dtype)
                # every non-fill value lies in the region
                outside_nonfill = (~m) & ~(got == fv)
                if outside_nonfill.any():
                    fail(case, "%s: %d non-fill values outside the region" % (path, int(outside_nonfill.sum())))
                expected = np.where(m, expected, fv)
                masked += 1
        if expected.shape != got.shape:
            fail(case, "%s: shape %s, expected %s" % (path, got.shape, expected.shape))
        elif expected.dtype.kind == "f":
            if not np.array_equal(expected, got, equal_nan=True):
                fail(case, "%s: %d values differ" % (path, int((~((expected == got) | (np.isnan(expected) & np.isnan(got)))).sum())))
        elif not np.array_equal(expected, got):
            fail(case, "%s: values differ" % path)
        checked += 1
    rows = {k: (None if w is None else w[1] - w[0] + 1) for k, w in windows.items()}
    print("ok %s: %d pixels inside, window %s, %d variables checked (%d masked)" %
          (case, hits, ",".join("%s=%s" % (k[1], v) for k, v in sorted(rows.items())), checked, masked)
          if not any(f.startswith(case + ":") for f in failures) else "checked %s" % case)
    out.close()
    src.close()


def check_refused(cur, name, sqlstate):
    """Every swath function on a generated granule fails with sqlstate."""
    with open(os.path.join(SYNTH, name), "rb") as fh:
        cur.execute("SELECT wos_put(%s)::text", (psycopg2.Binary(fh.read()),))
        oid = cur.fetchone()[0]
    for fn, sql in (("swath_subset", "SELECT swath_subset(%s, ST_MakeEnvelope(0, 0, 1, 1, 4326))"),
                    ("swath_footprint", "SELECT swath_footprint(%s)"),
                    ("swath_pixels", "SELECT count(*) FROM swath_pixels(%s, 1000)")):
        case = "%s: %s" % (name, fn)
        try:
            cur.execute(sql, (oid,))
            fail(case, "no error, %s expected" % sqlstate)
        except psycopg2.Error as e:
            if e.pgcode != sqlstate:
                fail(case, "error %s (%s), %s expected" % (e.pgcode, e.pgerror.strip(), sqlstate))
            else:
                print("ok %s refused: %s" % (case, e.pgerror.splitlines()[0]))


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    oids = {}
    for name, (d, f) in FILES.items():
        with open(os.path.join(d, f), "rb") as fh:
            cur.execute("SELECT wos_put(%s)::text", (psycopg2.Binary(fh.read()),))
            oids[name] = cur.fetchone()[0]
    # SUBSET_REGIONS=a,b: only the cases of those regions (for working on them)
    only = [x for x in os.environ.get("SUBSET_REGIONS", "").split(",") if x]
    cases = [c for c in CASES if not only or c[1] in only]
    with tempfile.TemporaryDirectory() as tmpdir:
        for g, r, v, e in cases:
            try:
                check_case(cur, oids, tmpdir, g, r, v, e)
            except Exception as ex:  # report and go on
                fail("%s/%s" % (g, r), "exception %r" % ex)
    check_refused(cur, "synth_huge.nc4", "54000")
    print("%d cases, %d failures" % (len(cases) + 3, len(failures)))
    sys.exit(1 if failures else 0)


main()
