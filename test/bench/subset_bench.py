#!/usr/bin/python3
"""Benchmark of swath_subset() against NCO's ncks on a large granule.

   subset_bench.py WORKDIR [ROWS]

Writes WORKDIR/big.nc4, a synthetic netCDF-4 swath (ROWS x 1500 pixels,
float32 lat/lon, four data variables, chunked, deflate level 1 on two of
them) passing down the west coast of Africa; stores it as an object; cuts it
with a coastal region (Gulf of Guinea, geography) and reports the wall time
and the backend's peak memory (VmHWM from /proc), then times ncks cutting
the same index window (ncks is told the window; eoswath finds it).
Connects with the libpq environment.
"""
import os
import resource
import subprocess
import sys
import time

import numpy as np
import psycopg2
from netCDF4 import Dataset

work = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 24000
cols = 1500
path = os.path.join(work, "big.nc4")
BOX = "ST_MakeEnvelope(-5, -2, 10, 6, 4326)"   # Gulf of Guinea, straight edges
POLY = "'POLYGON((-5 -2, 10 -2, 10 6, 5 7, -5 6, -5 -2))'::geography"

t0 = time.perf_counter()
with Dataset(path, "w", format="NETCDF4") as ds:
    ds.title = "synthetic large swath for the subset benchmark"
    ds.createDimension("scan", rows)
    ds.createDimension("pixel", cols)
    ch = (256, cols)
    lat = ds.createVariable("lat", "f4", ("scan", "pixel"), chunksizes=ch, fill_value=np.float32(-999))
    lat.units = "degrees_north"
    lon = ds.createVariable("lon", "f4", ("scan", "pixel"), chunksizes=ch, fill_value=np.float32(-999))
    lon.units = "degrees_east"
    sst = ds.createVariable("sst", "i2", ("scan", "pixel"), chunksizes=ch, fill_value=np.int16(-32768),
                            zlib=True, complevel=1, shuffle=True)
    sst.scale_factor = 0.01
    wind = ds.createVariable("wind", "f4", ("scan", "pixel"), chunksizes=ch, fill_value=np.float32(-1))
    qual = ds.createVariable("quality", "u1", ("scan", "pixel"), chunksizes=ch, fill_value=np.uint8(255),
                             zlib=True, complevel=1)
    tim = ds.createVariable("time", "f8", ("scan",), fill_value=-1.0)
    tim.units = "seconds since 2020-01-01 00:00:00"
    rng = np.random.default_rng(1)
    p = (np.arange(cols)[None, :] - cols / 2) * 0.01
    for r0 in range(0, rows, 2048):
        r1 = min(rows, r0 + 2048)
        s = np.arange(r0, r1)[:, None]
        la = 70.0 - 140.0 * s / rows + p * 0.1
        lo = -20.0 + 25.0 * s / rows + p
        lat[r0:r1, :] = la.astype("f4")
        lon[r0:r1, :] = lo.astype("f4")
        sst[r0:r1, :] = rng.integers(-2000, 3000, size=(r1 - r0, cols)).astype("i2")
        wind[r0:r1, :] = rng.random((r1 - r0, cols)).astype("f4") * 20
        qual[r0:r1, :] = rng.integers(0, 4, size=(r1 - r0, cols)).astype("u1")
        tim[r0:r1] = np.arange(r0, r1) * 0.1
size = os.path.getsize(path)
print("granule: %d x %d pixels, %.0f MB, generated in %.1f s" % (rows, cols, size / 1e6, time.perf_counter() - t0))

# the index window, computed independently
with Dataset(path) as ds:
    rr, cc = [], []
    for r0 in range(0, rows, 2048):
        la = ds["lat"][r0:r0 + 2048, :]
        lo = ds["lon"][r0:r0 + 2048, :]
        m = (la >= -2) & (la <= 6) & (lo >= -5) & (lo <= 10)
        if m.any():
            rr += list(np.nonzero(m.any(axis=1))[0] + r0)
            cc += list(np.nonzero(m.any(axis=0))[0])

conn = psycopg2.connect("")
conn.autocommit = True
cur = conn.cursor()
os.chmod(path, 0o644)
cur.execute("SELECT wos_put(pg_read_binary_file(%s))::text", (path,))
oid = cur.fetchone()[0]
conn.close()


def session(sql, args):
    c = psycopg2.connect("")
    c.autocommit = True
    k = c.cursor()
    k.execute("SELECT pg_read_file('/proc/self/status')")
    base = [l for l in k.fetchone()[0].splitlines() if l.startswith("VmHWM")][0]
    t = time.perf_counter()
    k.execute(sql, args)
    res = k.fetchone()[0]
    el = time.perf_counter() - t
    k.execute("SELECT pg_read_file('/proc/self/status')")
    hwm = [l for l in k.fetchone()[0].splitlines() if l.startswith("VmHWM")][0]
    c.close()
    return res, el, int(base.split()[1]) / 1024, int(hwm.split()[1]) / 1024


results = {}
for label, sql in (("swath_subset box", "SELECT length(swath_subset(%%s, %s))" % BOX),
                   ("swath_subset polygon", "SELECT length(swath_subset(%%s, %s))" % POLY),
                   ("swath_subset_store box", "SELECT (wos_stat(swath_subset_store(%%s, %s))).size" % BOX)):
    best = None
    for _ in range(3):
        r = session(sql, (oid,))
        if best is None or r[1] < best[1]:
            best = r
    results[label] = best
    print("%-22s %6.2f s  output %6.1f MB  backend VmHWM %6.1f MiB (fresh backend %5.1f MiB)" %
          (label, best[1], best[0] / 1e6, best[3], best[2]))

out_path = os.path.join(work, "ncks_out.nc4")
r0, r1, c0, c1 = min(rr), max(rr), min(cc), max(cc)
cmd = ["ncks", "-O", "-4", "-d", "scan,%d,%d" % (r0, r1), "-d", "pixel,%d,%d" % (c0, c1), path, out_path]
times = []
for _ in range(3):
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    times.append(time.perf_counter() - t)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%-22s %6.2f s  output %6.1f MB  peak RSS %6.1f MiB   window %d x %d" %
      ("ncks -d (same window)", min(times), os.path.getsize(out_path) / 1e6, ru.ru_maxrss / 1024,
       r1 - r0 + 1, c1 - c0 + 1))
print("ratio swath_subset box / ncks: %.2f" % (results["swath_subset box"][1] / min(times)))
