#!/usr/bin/python3
"""Pixel-level checks of swath_quicklook() on the real granules and on
synthetic ones (test/suites/quicklook.sh).

   check_quicklook.py GRANULE_DIR SYNTH_DIR

Each quicklook is decoded here (pngread.py) and compared with an
independent resampling of the granule read with netCDF4-python (its own
scale/offset/fill/valid-range handling): the grid is rebuilt from the
picture's text chunks (bbox, projection, width, height), every cell centre
looks up its nearest pixel centre on the sphere (pykdtree, the tree
pyresample uses) within the radius the picture states, and the colour index
expected from the value and the stated value range must be the picture's
for at least 99.9 % of the cells (ties between pixels at equal distance may
go either way).  Also: transparency outside a region, the value range from
valid_min/valid_max or from the 2nd/98th percentiles, a constant field,
an empty region, a non-numeric variable, polar pictures, legends.
"""
import math
import os
import sys

import numpy as np
import psycopg2
from netCDF4 import Dataset
from pykdtree.kdtree import KDTree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pngread import read_png  # noqa: E402

R = 6370997.0
failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        failures.append(what)


conn = psycopg2.connect("")
conn.autocommit = True
cur = conn.cursor()


def put(path):
    cur.execute("SELECT wos_put(pg_read_binary_file(%s))::text", (path,))
    return cur.fetchone()[0]


def quicklook(oid, variable, region=None, **kw):
    args = ", ".join("%s => %%(%s)s" % (k, k) for k in kw)
    reg = "NULL::geometry" if region is None else "%(region)s::geometry"
    q = "SELECT swath_quicklook(%%(oid)s::wosoid, %%(var)s, %s%s)" % (reg, (", " + args) if args else "")
    params = dict(kw, oid=oid, var=variable, region=region)
    cur.execute(q, params)
    b = cur.fetchone()[0]
    return None if b is None else bytes(b)


def unit_xyz(lat, lon):
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def cell_centres(png):
    t = png["text"]
    x0, y0, x1, y1 = (float(v) for v in t["bbox"].split(","))
    w, h = png["width"], png["height"]
    dx, dy = (x1 - x0) / w, (y1 - y0) / h
    xs = x0 + (np.arange(w) + 0.5) * dx
    ys = y1 - (np.arange(h) + 0.5) * dy
    X, Y = np.meshgrid(xs, ys)
    proj = t["projection"]
    if proj == "equirectangular":
        lat, lon = Y, X
    else:
        north = proj.startswith("north")
        rho = np.hypot(X, Y)
        c = np.pi / 2 - 2 * np.arctan(rho / (2 * R))
        lat = np.degrees(c if north else -c)
        lon = np.degrees(np.arctan2(X, -Y if north else Y))
    return lat, lon


def read_var(path, latname, lonname, varname):
    with Dataset(path) as ds:
        ds.set_auto_maskandscale(True)
        lat = ds[latname][:]
        lon = ds[lonname][:]
        v = ds[varname]
        data = v[:]
        attrs = {a: v.getncattr(a) for a in v.ncattrs()}
    shape = lat.shape
    data = np.ma.masked_invalid(np.ma.asarray(data, dtype=np.float64).reshape(shape)
                                if data.size == lat.size else None)
    geo_ok = ~(np.ma.getmaskarray(lat) | np.ma.getmaskarray(lon))
    return (np.ma.getdata(lat).astype(np.float64).ravel(), np.ma.getdata(lon).astype(np.float64).ravel(),
            data.ravel(), geo_ok.ravel(), attrs)


def expected_indices(png, lat, lon, data, geo_ok, inside=None):
    """colour indices an independent nearest-neighbour resampling gives"""
    t = png["text"]
    radius = float(t["radius_m"]) / R
    lo, hi = (float(v) for v in t["value_range"].split(","))
    keep = geo_ok if inside is None else geo_ok & inside(lat, lon)
    src = unit_xyz(lat[keep], lon[keep])
    vals = data[keep]
    clat, clon = cell_centres(png)
    tree = KDTree(src)
    dist, idx = tree.query(unit_xyz(clat, clon).reshape(-1, 3), k=1,
                           distance_upper_bound=radius * (1 + 1e-9))
    found = np.isfinite(dist) & (idx < len(vals))
    v = np.full(dist.shape, np.nan)
    fv = vals[np.where(found, idx, 0)]
    good = found & ~np.ma.getmaskarray(fv)
    v[good] = np.ma.getdata(fv)[good].astype(np.float32).astype(np.float64)
    if inside is not None:
        v[~inside(clat.ravel(), clon.ravel())] = np.nan
    if hi > lo:
        tt = np.clip(np.floor((v - lo) / (hi - lo) * 255.0), 0, 254)
        ind = np.where(np.isnan(v), 0, 1 + np.nan_to_num(tt)).astype(np.int64)
    else:
        ind = np.where(np.isnan(v), 0, 128)
    return ind.reshape(png["height"], png["width"]), v


def compare(name, png, lat, lon, data, geo_ok, inside=None):
    exp, v = expected_indices(png, lat, lon, data, geo_ok, inside)
    got = png["pixels"].astype(np.int64)
    drawn = int(np.sum(got > 0))
    either = (got > 0) | (exp > 0)
    same = np.mean(got[either] == exp[either]) if either.any() else 0.0
    check(drawn > 0, "%s: %d cells drawn" % (name, drawn))
    # over the cells either draws (a mostly empty picture would hide errors)
    check(same >= 0.999, "%s: %.4f %% of the %d cells drawn by either as an independent resampling" %
          (name, 100 * same, int(either.sum())))
    return v


def box(lon0, lat0, lon1, lat1):
    """a planar lon/lat box (lon1 may pass 180) and its test"""
    wkt = "SRID=4326;POLYGON((%g %g, %g %g, %g %g, %g %g, %g %g))" % (
        lon0, lat0, lon1, lat0, lon1, lat1, lon0, lat1, lon0, lat0)

    def inside(lat, lon):
        x = np.where(lon < lon0, lon + 360, lon)
        return (lat >= lat0) & (lat <= lat1) & (x >= lon0) & (x <= lon1)
    return wkt, inside


G = sys.argv[1]
S = sys.argv[2]
ascat = os.path.join(G, "ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc")
s5p = os.path.join(G, "S5P_OFFL_L2__CH4____20190319T110835_20190319T125006_07407_01_010202_20190325T125810_fullorbit_varsubset.nc4")
viirs = os.path.join(G, "SS_VIIRS_NPP-NAVO-L2P-v3.0.nc")
ja1 = os.path.join(G, "JA1_GPN_2PeP001_002_20020115_060706_20020115_070316.nc")

# 1. ASCAT, the whole orbit: plate carree round the Earth, both poles, the
#    nadir gap left empty; value range as given
oid = put(ascat)
png = read_png(quicklook(oid, "wind_speed", width=720, value_range=[0, 20]))
a = read_var(ascat, "lat", "lon", "wind_speed")
check(png["text"]["projection"] == "equirectangular" and png["text"]["bbox"].startswith("-180,"),
      "ascat: plate carree round the Earth (%s)" % png["text"]["bbox"])
check(png["palette"] is not None and png["trns"] is not None and png["trns"][0] == 0,
      "ascat: indexed, colour 0 transparent")
compare("ascat wind_speed", png, *a[:4])

# 2. its part in a box across the antimeridian (straight lon/lat edges)
wkt, inside = box(150, -60, 210, 60)
png = read_png(quicklook(oid, "wind_speed", region=wkt, width=300, value_range=[0, 20]))
x0, y0, x1, y1 = (float(v) for v in png["text"]["bbox"].split(","))
check(abs(x0 - 150) < 1e-6 and abs(x1 - 210) < 1e-6, "ascat box: the grid spans 150..210 (%g..%g)" % (x0, x1))
compare("ascat wind_speed in 150..210", png, *a[:4], inside=inside)

# 3. valid_min/valid_max give the range when none is given
png = read_png(quicklook(oid, "wind_speed", width=200))
attrs = a[4]
lo = attrs["valid_min"] * attrs.get("scale_factor", 1) + attrs.get("add_offset", 0)
hi = attrs["valid_max"] * attrs.get("scale_factor", 1) + attrs.get("add_offset", 0)
check(png["text"]["value_range"] == "%.9g,%.9g" % (lo, hi),
      "ascat: value range from valid_min/valid_max (%s)" % png["text"]["value_range"])

# 4. TROPOMI in north polar stereographic; the range: 2nd/98th percentiles
oid = put(s5p)
png = read_png(quicklook(oid, "/PRODUCT/methane_mixing_ratio", width=400, projection="north"))
check(png["text"]["projection"] == "north_polar_stereographic", "s5p: north polar stereographic")
t = read_var(s5p, "/PRODUCT/latitude", "/PRODUCT/longitude", "/PRODUCT/methane_mixing_ratio")
v = compare("s5p methane (north)", png, *t[:4])
vals = np.sort(v[~np.isnan(v)])
n = len(vals)
plo, phi = vals[int(math.floor(0.02 * (n - 1)))], vals[int(math.ceil(0.98 * (n - 1)))]
glo, ghi = (float(x) for x in png["text"]["value_range"].split(","))
check(np.float32(glo) == np.float32(plo) and np.float32(ghi) == np.float32(phi),
      "s5p: value range = 2nd/98th percentiles of the cells drawn (%s vs %g,%g)" %
      (png["text"]["value_range"], plo, phi))

# 5. VIIRS (short, scale/offset, 3-D time=1): auto projection, plate carree
oid = put(viirs)
png = read_png(quicklook(oid, "sea_surface_temperature", width=500))
w = read_var(viirs, "lat", "lon", "sea_surface_temperature")
compare("viirs sst", png, *w[:4])

# 6. Jason-1, a 1-D altimeter track: one line of cells, no smearing
oid = put(ja1)
png = read_png(quicklook(oid, "swh_ku", width=600))
j = read_var(ja1, "lat", "lon", "swh_ku")
compare("jason-1 swh_ku", png, *j[:4])
check(np.mean(png["pixels"] > 0) < 0.02, "jason-1: a track, not a smear (%.3f of cells)" % np.mean(png["pixels"] > 0))

# 7. synthetic: constant field, south polar swath, non-numeric variable
syn = os.path.join(S, "ql_south.nc4")
ns, npx = 200, 30
with Dataset(syn, "w") as ds:
    ds.createDimension("scan", ns)
    ds.createDimension("pixel", npx)
    la = ds.createVariable("lat", "f4", ("scan", "pixel"))
    lo = ds.createVariable("lon", "f4", ("scan", "pixel"))
    la.units, lo.units = "degrees_north", "degrees_east"
    s = np.linspace(0, 1, ns)[:, None]
    p = np.linspace(-1, 1, npx)[None, :]
    la[:] = -60 - 29 * np.sin(np.pi * s) + 0 * p
    lo[:] = ((-170 + 340 * s + 8 * p + 180) % 360) - 180
    c = ds.createVariable("constant", "f4", ("scan", "pixel"), fill_value=-999.0)
    c.units = "K"
    c[:] = 7.5
    c[0:10, :] = -999.0
    grad = ds.createVariable("gradient", "i2", ("scan", "pixel"), fill_value=-1)
    grad.scale_factor, grad.add_offset = 0.5, 100.0
    grad[:] = (np.arange(ns)[:, None] * 10 + np.arange(npx)[None, :]).astype(np.int16)
    txt = ds.createVariable("label", str, ("scan", "pixel"))
    txt[0, 0] = "x"
oid = put(syn)
png = read_png(quicklook(oid, "constant", width=300))
px = png["pixels"]
check(png["text"]["projection"] == "south_polar_stereographic", "synthetic: a south polar swath is drawn in south polar stereographic")
check(set(np.unique(px)) == {0, 128} and png["text"]["value_range"] == "7.5,7.5",
      "synthetic constant field: one colour (index 128), range 7.5,7.5 (%s)" % png["text"]["value_range"])
sy = read_var(syn, "lat", "lon", "constant")
compare("synthetic constant", png, *sy[:4])
png = read_png(quicklook(oid, "gradient", width=300, colormap="RdBu_r"))
sy = read_var(syn, "lat", "lon", "gradient")
compare("synthetic packed gradient (south polar)", png, *sy[:4])
try:
    quicklook(oid, "label")
    check(False, "a string variable is refused")
except psycopg2.Error as e:
    check(e.pgcode == "42804", "a string variable is refused with 42804 (%s)" % e.pgcode)
check(quicklook(oid, "gradient", region="SRID=4326;POLYGON((0 0, 10 0, 10 10, 0 10, 0 0))") is None,
      "a region the swath misses: NULL")

# 8. the legend: the bar runs through the colormap, the text chunks are there
cur.execute("SELECT swath_quicklook_legend('viridis', '{0,20}', 'm s-1', 300)")
leg = read_png(bytes(cur.fetchone()[0]))
ql = read_png(quicklook(put(ascat), "wind_speed", width=64, value_range=[0, 20]))
pal = ql["palette"]
bar = leg["pixels"][10]
check(leg["width"] == 300 and leg["colour_type"] == 6 and leg["text"]["units"] == "m s-1",
      "legend: 300 pixels wide, RGBA, units in its text")
check(tuple(bar[9][:3]) == tuple(pal[1]) and tuple(bar[300 - 10][:3]) == tuple(pal[255]),
      "legend: the bar starts with colour 1 and ends with colour 255 of the quicklook's palette")
dark = np.sum(leg["pixels"][24:45, :, :3].sum(axis=2) == 0)
check(dark > 50, "legend: labels are drawn under the bar (%d black dots)" % dark)

if failures:
    print("%d failures" % len(failures))
    sys.exit(1)
print("all quicklook checks passed")
