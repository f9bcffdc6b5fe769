#!/usr/bin/python3
"""swath_quicklook() against pyresample's kd_tree.resample_nearest and
gdalwarp -geoloc on the same variable, grid and radius (test/bench/quicklook.sh).

   quicklook_bench.py GRANULE_DIR WORKDIR HELPER

For each case, eoswath draws the picture; its text chunks give the grid
(projection, bbox, width, height) and the radius, which the peers are
given too.  Reported: the best of three wall times (eoswath through SQL,
end to end: spool, helper, resampling, PNG; and in one process with
"eoswath-granule --bench quicklook"; pyresample: netCDF read + resampling
in a warm Python process; gdalwarp: the whole command), peak RSS of each
process, and pixel agreement: the share of grid cells both fill whose
colour (the value through the picture's value range) equals pyresample's.
"""
import os
import resource
import subprocess
import sys
import time

import numpy as np
import psycopg2
from netCDF4 import Dataset

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "quicklook"))
from pngread import read_png  # noqa: E402

G, WORK, HELPER = sys.argv[1:4]
RUNS = int(os.environ.get("QL_RUNS", "3"))
WIDTH = int(os.environ.get("QL_WIDTH", "1024"))

CASES = [
    ("ascat", "ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc", "lat", "lon", "wind_speed", None),
    ("viirs", "SS_VIIRS_NPP-NAVO-L2P-v3.0.nc", "lat", "lon", "sea_surface_temperature", None),
    ("jason1-20hz", "JA1_GPN_2PeP001_002_20020115_060706_20020115_070316.nc", "lat_20hz", "lon_20hz", "swh_20hz_ku", None),
    ("s5p", "S5P_OFFL_L2__CH4____20190319T110835_20190319T125006_07407_01_010202_20190325T125810_fullorbit_varsubset.nc4",
     "/PRODUCT/latitude", "/PRODUCT/longitude", "/PRODUCT/methane_mixing_ratio", None),
    ("s5p-north", "S5P_OFFL_L2__CH4____20190319T110835_20190319T125006_07407_01_010202_20190325T125810_fullorbit_varsubset.nc4",
     "/PRODUCT/latitude", "/PRODUCT/longitude", "/PRODUCT/methane_mixing_ratio", "north"),
]

PYRESAMPLE = r'''
import resource, sys, time
import numpy as np
from netCDF4 import Dataset
from pyresample import geometry, kd_tree
path, latn, lonn, varn, proj4, x0, y0, x1, y1, w, h, radius, out = sys.argv[1:]
best = None
for run in range(%d):
    t0 = time.perf_counter()
    with Dataset(path) as ds:
        lat = ds[latn][:]; lon = ds[lonn][:]; data = ds[varn][:]
    lat = np.ma.masked_invalid(lat).reshape(lat.shape[-2:] if lat.ndim > 1 else lat.shape)
    lon = np.ma.masked_invalid(lon).reshape(lat.shape)
    # longitudes in -180..180 (ASCAT's are 0..360): pyresample's data
    # reduction to the area would drop those past 180
    lon = (lon + 180.0) %% 360.0 - 180.0
    data = np.ma.masked_invalid(np.ma.asarray(data, dtype=np.float64)).reshape(lat.shape)
    bad = np.ma.getmaskarray(lat) | np.ma.getmaskarray(lon)
    swath = geometry.SwathDefinition(lons=np.ma.masked_array(np.ma.getdata(lon), bad),
                                     lats=np.ma.masked_array(np.ma.getdata(lat), bad))
    area = geometry.AreaDefinition("q", "q", "q", proj4, int(w), int(h),
                                   (float(x0), float(y0), float(x1), float(y1)))
    res = kd_tree.resample_nearest(swath, data, area, radius_of_influence=float(radius),
                                   fill_value=None, epsilon=0, nprocs=1)
    t = time.perf_counter() - t0
    best = t if best is None else min(best, t)
np.save(out, np.ma.filled(np.ma.asarray(res, dtype=np.float64), np.nan))
print(best, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
''' % RUNS


def timed_rss(cmd):
    """wall time and peak RSS (kB) of a command run alone"""
    t0 = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    t = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd[0], out.stderr[-500:]))
    return t, int(out.stderr.strip().splitlines()[-1]), out.stdout


def indices(v, lo, hi):
    if hi > lo:
        t = np.clip(np.floor((v.astype(np.float32).astype(np.float64) - lo) / (hi - lo) * 255.0), 0, 254)
        return np.where(np.isnan(v), 0, 1 + np.nan_to_num(t)).astype(np.int64)
    return np.where(np.isnan(v), 0, 128)


conn = psycopg2.connect("")
conn.autocommit = True
cur = conn.cursor()
rows = []
for name, f, latn, lonn, varn, proj in CASES:
    path = os.path.join(G, f)
    cur.execute("SELECT wos_put(pg_read_binary_file(%s))::text", (path,))
    oid = cur.fetchone()[0]
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        cur.execute("SELECT swath_quicklook(%s::wosoid, %s, width => %s, projection => %s)",
                    (oid, varn, WIDTH, proj))
        png = bytes(cur.fetchone()[0])
        times.append(time.perf_counter() - t0)
    ours = read_png(png)
    txt = ours["text"]
    x0, y0, x1, y1 = txt["bbox"].split(",")
    lo, hi = (float(v) for v in txt["value_range"].split(","))
    w, h = ours["width"], ours["height"]
    radius = txt["radius_m"]

    # in one process (no SQL, no fork, no sandbox): time and peak memory
    hcmd = [HELPER, "--bench", "quicklook", path, "1", varn, str(WIDTH)] + ([proj] if proj else [])
    helper_t, helper_rss = None, 0
    for _ in range(RUNS):
        t, rss, _ = timed_rss(hcmd)
        helper_t = t if helper_t is None else min(helper_t, t)
        helper_rss = max(helper_rss, rss)

    # pyresample, same grid and radius
    script = os.path.join(WORK, "pyresample_run.py")
    with open(script, "w") as fh:
        fh.write(PYRESAMPLE)
    out = os.path.join(WORK, name + ".pyresample.npy")
    _, pr_rss, pr_out = timed_rss(["/usr/bin/python3", script, path, latn, lonn, varn, txt["crs"],
                                   x0, y0, x1, y1, str(w), str(h), radius, out])
    pr_t = float(pr_out.split()[0])
    pr = np.load(out)

    # gdalwarp -geoloc, same grid, nearest
    gw_t, gw_rss = float("nan"), 0
    gw_agree = float("nan")
    gpath = path
    with Dataset(path) as ds:
        glat, glon = ds[latn], ds[lonn]
        packed = any(a in glat.ncattrs() or a in glon.ncattrs() for a in ("scale_factor", "add_offset"))
        lonmax = float(np.nanmax(glon[:]))
        if packed or lonmax > 180:
            # GDAL takes geolocation arrays as stored (no scale_factor, ASCAT's
            # 0..360): give it a copy (made before timing) with float
            # longitudes in -180..180 and latitudes, the variable as stored
            gpath = os.path.join(WORK, name + ".gdal.nc")
            src_var = ds[varn]
            with Dataset(gpath, "w", format="NETCDF4") as out:
                for d in src_var.dimensions:
                    out.createDimension(d, ds.dimensions[d].size)
                src_var.set_auto_maskandscale(False)
                gla = glat[:].astype(np.float64)
                glo = (glon[:].astype(np.float64) + 180.0) % 360.0 - 180.0
                for nm, vals in (("lat", gla), ("lon", glo)):
                    v = out.createVariable(nm, "f8", glat.dimensions, fill_value=np.nan)
                    v[:] = np.ma.filled(vals, np.nan)
                out["lat"].units, out["lon"].units = "degrees_north", "degrees_east"
                fill = getattr(src_var, "_FillValue", None)
                v = out.createVariable("data", src_var.dtype, src_var.dimensions, fill_value=fill)
                v.set_auto_maskandscale(False)
                v[:] = src_var[:]
                v.coordinates = "lon lat"
            varn_g = "data"
        else:
            varn_g = varn
    src = 'NETCDF:"%s":%s' % (gpath, varn_g)
    dst = os.path.join(WORK, name + ".gdal")
    cmd = ["gdalwarp", "-q", "-overwrite", "-geoloc", "-t_srs", txt["crs"], "-te", x0, y0, x1, y1,
           "-ts", str(w), str(h), "-r", "near", "-ot", "Float64", "-of", "ENVI", "-dstnodata", "nan",
           src, dst]
    try:
        best = None
        for _ in range(RUNS):
            t, rss, _ = timed_rss(cmd)
            best = t if best is None else min(best, t)
            gw_rss = max(gw_rss, rss)
        gw_t = best
        raw = np.fromfile(dst, np.float64).reshape(h, w)
        with Dataset(path) as ds:
            v = ds[varn]
            sf = float(getattr(v, "scale_factor", 1.0))
            ao = float(getattr(v, "add_offset", 0.0))
            fill = getattr(v, "_FillValue", None)
        if fill is not None:
            raw[raw == float(fill)] = np.nan
        gw_vals = raw * sf + ao
        gi = indices(gw_vals, lo, hi)
        pi = indices(pr, lo, hi)
        both = (gi > 0) & (pi > 0)
        gw_agree = float(np.mean(gi[both] == pi[both])) if both.any() else float("nan")
    except (RuntimeError, ValueError) as e:
        print("gdalwarp (%s): %s" % (name, str(e)[:200]))

    ourind = ours["pixels"].astype(np.int64)
    prind = indices(pr, lo, hi)
    both = (ourind > 0) & (prind > 0)
    agree = float(np.mean(ourind[both] == prind[both]))
    only = float(np.mean((ourind > 0) != (prind > 0)))
    rows.append((name, w, h, radius, int(both.sum()), agree, only, min(times), helper_t, helper_rss,
                 pr_t, pr_rss, gw_t, gw_rss, gw_agree))

print()
print("| case | grid | radius (m) | cells both fill | agreement with pyresample | cells one fills | eoswath SQL (s) | eoswath in-process (s) / RSS (MB) | pyresample (s) / RSS (MB) | gdalwarp -geoloc (s) / RSS (MB) / agreement | pyresample / eoswath | gdalwarp / eoswath |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for (name, w, h, radius, nboth, agree, only, ours_t, helper_t, helper_rss, pr_t, pr_rss, gw_t, gw_rss, gw_agree) in rows:
    print("| %s | %dx%d | %s | %d | %.4f %% | %.3f %% | %.3f | %s | %.3f / %.0f | %.3f / %.0f / %.1f %% | %.1fx | %.1fx |" % (
        name, w, h, radius, nboth, 100 * agree, 100 * only, ours_t,
        "%.3f / %.0f" % (helper_t, helper_rss / 1024),
        pr_t, pr_rss / 1024, gw_t, gw_rss / 1024, 100 * gw_agree, pr_t / ours_t, gw_t / ours_t))
