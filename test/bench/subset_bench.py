#!/usr/bin/python3
"""Benchmark of swath_subset() against NCO's ncks on large granules.

   subset_bench.py WORKDIR [ROWS ...]

For each ROWS (one granule each): WORKDIR/big.nc4, a synthetic netCDF-4
swath (ROWS x 1500 pixels, float32 lat/lon, four data variables, chunked,
deflate level 1 on two of them) passing down the west coast of Africa, stored
as an object and cut with a coastal region (Gulf of Guinea) as a box and as a
geography polygon; ncks cuts the same index window (ncks is told the window,
eoswath finds it).  Reports wall time (best of $REPS, default 3, for both)
and peak resident memory:
of the granule helper's processes of the session's backend (where the cut
happens: the confined child; VmHWM from /proc/PID/status sampled every
10 ms, no cgroup needed), of the
backend (VmHWM), and of ncks itself (/usr/bin/time -f %M, the ncks process,
not this script); and CPU time (user + system, least of the runs): of the
backend and its helper processes (/proc/PID/stat, reaped children included)
and of ncks (/usr/bin/time), steadier than wall time on a loaded machine.  Rows for make bench's table go to $BENCH_TABLE.
Connects with the libpq environment.
"""
import os
import subprocess
import sys
import threading
import time

import numpy as np
import psycopg2
from netCDF4 import Dataset

work = sys.argv[1]
ROWS = [int(a) for a in sys.argv[2:]] or [24000]
REPS = int(os.environ.get("REPS", "3"))
cols = 1500
path = os.path.join(work, "big.nc4")
BOX = "ST_MakeEnvelope(-5, -2, 10, 6, 4326)"   # Gulf of Guinea, straight edges
POLY = "'POLYGON((-5 -2, 10 -2, 10 6, 5 7, -5 6, -5 -2))'::geography"


def table_row(name, eos, peer, ratio, why):
    line = "\t".join((name, eos, peer, ratio, why))
    print("ROW  %s" % line.replace("\t", " | "))
    if os.environ.get("BENCH_TABLE"):
        with open(os.environ["BENCH_TABLE"], "a") as f:
            f.write(line + "\n")


def generate(rows):
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
    rr, cc = [], []
    with Dataset(path) as ds:
        for r0 in range(0, rows, 2048):
            la = ds["lat"][r0:r0 + 2048, :]
            lo = ds["lon"][r0:r0 + 2048, :]
            m = (la >= -2) & (la <= 6) & (lo >= -5) & (lo <= 10)
            if m.any():
                rr += list(np.nonzero(m.any(axis=1))[0] + r0)
                cc += list(np.nonzero(m.any(axis=0))[0])
    return size, (min(rr), max(rr), min(cc), max(cc))


def status(pid):
    with open("/proc/%s/status" % pid) as f:
        return dict(l.split(":", 1) for l in f if ":" in l)


class HelperWatch:
    """Peak VmHWM (KiB) of the granule helper's processes of one backend
    (its children and grandchildren: other clusters' helpers do not count)."""

    def __init__(self, backend):
        self.backend = str(backend)
        self.peak = 0
        self.stop = False
        self.thread = threading.Thread(target=self.run)

    def sample(self):
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/comm" % pid) as f:
                    if not f.read().startswith("eoswath-granul"):
                        continue
                st = status(pid)
                parent = st["PPid"].strip()
                if parent != self.backend and status(parent)["PPid"].strip() != self.backend:
                    continue
                self.peak = max(self.peak, int(st["VmHWM"].split()[0]))
            except (OSError, KeyError):
                pass

    def run(self):
        while not self.stop:
            self.sample()
            time.sleep(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *a):
        self.stop = True
        self.thread.join()


TICK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    """utime + stime + cutime + cstime of a process (its reaped children's
    included), 0 if it is gone."""
    try:
        with open("/proc/%s/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15])
    except OSError:
        return 0


def helper_pids(backend):
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/comm" % pid) as f:
                    if f.read().startswith("eoswath-granul") and status(pid)["PPid"].strip() == str(backend):
                        out.append(pid)
            except (OSError, KeyError):
                pass
    return out


def session(sql, args):
    """Wall time, result, VmHWM of the backend and of the helper, and CPU
    seconds of the backend and its helper processes (children reaped by
    them count through cutime/cstime)."""
    c = psycopg2.connect("")
    c.autocommit = True
    k = c.cursor()
    k.execute("SELECT pg_backend_pid()")
    backend = k.fetchone()[0]
    cpu0 = cpu_ticks(backend) + sum(cpu_ticks(p) for p in helper_pids(backend))
    with HelperWatch(backend) as w:
        t = time.perf_counter()
        k.execute(sql, args)
        res = k.fetchone()[0]
        el = time.perf_counter() - t
    cpu1 = cpu_ticks(backend) + sum(cpu_ticks(p) for p in helper_pids(backend))
    k.execute("SELECT pg_read_file('/proc/self/status')")
    hwm = [l for l in k.fetchone()[0].splitlines() if l.startswith("VmHWM")][0]
    c.close()
    return res, el, int(hwm.split()[1]) / 1024, w.peak / 1024, (cpu1 - cpu0) / TICK


for rows in ROWS:
    size, (r0, r1, c0, c1) = generate(rows)
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    os.chmod(path, 0o644)
    cur.execute("SELECT wos_put_file(%s)::text", (path,))
    oid = cur.fetchone()[0]

    results = {}
    for label, sql in (("box", "SELECT length(swath_subset(%%s, %s))" % BOX),
                       ("polygon", "SELECT length(swath_subset(%%s, %s))" % POLY)):
        best = None
        peak = 0
        cpu = None
        for _ in range(REPS):
            r = session(sql, (oid,))
            peak = max(peak, r[3])
            cpu = r[4] if cpu is None else min(cpu, r[4])
            if best is None or r[1] < best[1]:
                best = r
        results[label] = (best[0], best[1], best[2], peak, cpu)
        print("swath_subset %-8s %6.2f s  output %6.1f MB  helper peak RSS %6.1f MiB  backend VmHWM %6.1f MiB  CPU %5.2f s" %
              (label, best[1], best[0] / 1e6, peak, best[2], cpu))
    cur.execute("SELECT wos_delete(%s)", (oid,))
    conn.close()

    out_path = os.path.join(work, "ncks_out.nc4")
    cmd = ["/usr/bin/time", "-f", "%M %U %S", "-o", os.path.join(work, "ncks.rss"),
           "ncks", "-O", "-4", "-d", "scan,%d,%d" % (r0, r1), "-d", "pixel,%d,%d" % (c0, c1), path, out_path]
    times, rss, ncpu = [], 0, None
    for _ in range(REPS):
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        times.append(time.perf_counter() - t)
        with open(os.path.join(work, "ncks.rss")) as f:
            m, u, sy = f.read().split()[-3:]
            rss = max(rss, int(m) / 1024)
            ncpu = float(u) + float(sy) if ncpu is None else min(ncpu, float(u) + float(sy))
    nt = min(times)
    print("ncks -d (same window)  %6.2f s  output %6.1f MB  peak RSS %6.1f MiB   window %d x %d  CPU %5.2f s" %
          (nt, os.path.getsize(out_path) / 1e6, rss, r1 - r0 + 1, c1 - c0 + 1, ncpu))
    mb = "%.0f MB" % (size / 1e6)
    for label in ("box", "polygon"):
        el = results[label][1]
        table_row("subset %s, %s granule, time" % (label, mb), "%.2f s" % el, "%.2f s" % nt, "%.2fx" % (nt / el),
                  "ncks -d on the same index window (told it; eoswath finds it)")
    for label in ("box", "polygon"):
        cpu = results[label][4]
        table_row("subset %s, %s granule, CPU" % (label, mb), "%.2f s" % cpu, "%.2f s" % ncpu,
                  "%.2fx" % (ncpu / cpu) if cpu > 0 else "-",
                  "ncks -d's user+sys; eoswath: backend + granule helper processes")
    peak = max(results["box"][3], results["polygon"][3])
    table_row("subset, %s granule, peak RSS" % mb, "%.0f MiB" % peak, "%.0f MiB" % rss, "%.2fx" % (rss / peak),
              "ncks's own RSS (/usr/bin/time); eoswath: the granule helper's processes")
    os.unlink(path)
