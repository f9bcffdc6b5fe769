#!/usr/bin/python3
"""Small granules for paths the other seeds miss (llvm-cov of the corpus).

usage: make_edge_seeds.py OUTDIR

Writes (netCDF4-python; each a few KB):
  edge_scantime        GPM-like /NS with a ScanTime group of plausible
                       Year..MilliSecond integers, no other time
  edge_navigation      GPM-like /FS with navigation/timeMidScan (GPS seconds)
  edge_tropomi         /PRODUCT with time (one value, "seconds since") and
                       delta_time in milliseconds; 3-D (time, scanline,
                       ground_pixel) lat/lon
  edge_valid_range     packed int16 lat/lon with valid_range, missing_value
                       and a fill value of another type (netCDF-3 allows it)
  edge_coords_paths    data whose "coordinates" name /geo/lat and geo/lon
                       (absolute and relative paths), lat/lon without units
  edge_two_pairs       two swaths sharing the scan dimension (Jason-1's 1 Hz
                       and 20 Hz tracks share "time"), both near each other
  edge_unlimited       netCDF-4 with an unlimited scan dimension, a per-scan
                       variable and a scalar
  edge_many_vars       70 small variables (the variable list grows)
  edge_big_chunks      lat/lon declared 4096 x 512 with one 4096-row chunk,
                       never written (fill values only)
  edge_times_units     minutes/hours/milliseconds since, in one group each
"""
import os
import sys

import numpy as np
from netCDF4 import Dataset


def swath(nrows, ncols, lat0=10.0, lon0=20.0):
    r = np.arange(nrows)[:, None]
    c = np.arange(ncols)[None, :]
    return (lat0 + 0.3 * r + 0.02 * c), (lon0 + 0.05 * r + 0.3 * c)


def dim_len(g, name):
    """the length of a dimension visible from group g"""
    while name not in g.dimensions:
        g = g.parent
    return len(g.dimensions[name])


def geo(g, dims, nrows, ncols, names=("Latitude", "Longitude"), units=True, dtype="f4"):
    lat, lon = swath(nrows, ncols)
    la = g.createVariable(names[0], dtype, dims)
    lo = g.createVariable(names[1], dtype, dims)
    if units:
        la.units = "degrees_north"
        lo.units = "degrees_east"
    # an unlimited dimension (length 0 so far) takes the scan lines
    shape = tuple(dim_len(g, d) or nrows for d in dims)
    la[:] = lat.reshape(shape)
    lo[:] = lon.reshape(shape)
    return la, lo


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    p = lambda n: os.path.join(out, n)

    with Dataset(p("edge_scantime"), "w", format="NETCDF4") as ds:
        g = ds.createGroup("NS")
        g.createDimension("nscan", 6)
        g.createDimension("nray", 5)
        geo(g, ("nscan", "nray"), 6, 5)
        st = g.createGroup("ScanTime")
        vals = {"Year": 2021, "Month": 2, "DayOfMonth": 20, "Hour": 9,
                "Minute": 35, "Second": 41, "MilliSecond": 445}
        for k, v in vals.items():
            t = st.createVariable(k, "i2", ("nscan",))
            t[:] = np.full(6, v, dtype="i2") + (np.arange(6) if k == "Second" else 0)

    with Dataset(p("edge_navigation"), "w", format="NETCDF4") as ds:
        g = ds.createGroup("FS")
        g.createDimension("nscan", 6)
        g.createDimension("nray", 4)
        geo(g, ("nscan", "nray"), 6, 4)
        n = g.createGroup("navigation")
        t = n.createVariable("timeMidScan", "f8", ("nscan",), fill_value=-9999.9)
        t[:] = 1.3e9 + np.arange(6) * 0.6
        t[2] = -9999.9

    with Dataset(p("edge_tropomi"), "w", format="NETCDF4") as ds:
        g = ds.createGroup("PRODUCT")
        g.createDimension("time", 1)
        g.createDimension("scanline", 5)
        g.createDimension("ground_pixel", 4)
        t = g.createVariable("time", "i4", ("time",))
        t.units = "seconds since 2010-01-01 00:00:00"
        t[:] = [290649600]
        d = g.createVariable("delta_time", "i4", ("time", "scanline"))
        d.units = "milliseconds"
        d[:] = (np.arange(5) * 840).reshape(1, 5)
        geo(g, ("time", "scanline", "ground_pixel"), 5, 4, names=("latitude", "longitude"))

    with Dataset(p("edge_valid_range"), "w", format="NETCDF3_CLASSIC") as ds:
        ds.createDimension("y", 6)
        ds.createDimension("x", 5)
        lat, lon = swath(6, 5)
        for name, v, units in (("lat", lat, "degrees_north"), ("lon", lon, "degrees_east")):
            var = ds.createVariable(name, "i2", ("y", "x"))
            var.set_auto_maskandscale(False)
            var.units = units
            var.scale_factor = np.float32(0.01)
            var.add_offset = np.float32(0.0)
            var.valid_range = np.array([-9000, 18000], dtype="i2")
            var.missing_value = np.int16(-32000)
            raw = np.round(v / 0.01).astype("i2")
            raw[0, 0] = -32000
            raw[1, 1] = 30000                     # outside valid_range
            var[:] = raw
        d = ds.createVariable("sst", "i2", ("y", "x"), fill_value=np.int16(-1))
        d[:] = np.arange(30, dtype="i2").reshape(6, 5)
        d2 = ds.createVariable("flag", "f4", ("y", "x"))
        d2.setncattr("_FillValuX", np.float64(-5.0))  # renamed below
        d2[:] = np.zeros((6, 5), dtype="f4")
    # a fill value of another type than the variable's: netCDF-3 reads it,
    # netCDF4-python will not write it
    with open(p("edge_valid_range"), "r+b") as f:
        b = f.read().replace(b"_FillValuX", b"_FillValue")
        f.seek(0)
        f.write(b)

    with Dataset(p("edge_coords_paths"), "w", format="NETCDF4") as ds:
        ds.createDimension("scan", 5)
        ds.createDimension("px", 4)
        g = ds.createGroup("geo")
        geo(g, ("scan", "px"), 5, 4, names=("lat", "lon"), units=False)
        v = ds.createVariable("radiance", "f4", ("scan", "px"), fill_value=np.float32(-1))
        v.coordinates = "/geo/lat geo/lon /nosuch/x"
        v[:] = np.ones((5, 4), dtype="f4")

    with Dataset(p("edge_two_pairs"), "w", format="NETCDF3_CLASSIC") as ds:
        ds.createDimension("time", 8)
        ds.createDimension("meas", 3)
        lat, lon = swath(8, 1)
        a = ds.createVariable("lat", "f8", ("time",))
        a.units = "degrees_north"
        a[:] = lat[:, 0]
        b = ds.createVariable("lon", "f8", ("time",))
        b.units = "degrees_east"
        b[:] = lon[:, 0]
        a2, b2 = geo(ds, ("time", "meas"), 8, 3, names=("lat_20hz", "lon_20hz"), dtype="f8")
        h = ds.createVariable("height", "f4", ("time", "meas"), fill_value=np.float32(9e9))
        h[:] = np.ones((8, 3), dtype="f4")
        s = ds.createVariable("flag", "i1", ("time",), fill_value=np.int8(-1))
        s[:] = np.zeros(8, dtype="i1")

    with Dataset(p("edge_unlimited"), "w", format="NETCDF4") as ds:
        ds.createDimension("scan", None)
        ds.createDimension("px", 4)
        geo(ds, ("scan", "px"), 6, 4, names=("lat", "lon"))
        q = ds.createVariable("quality", "u1", ("scan",), fill_value=np.uint8(255))
        q[:] = np.arange(3, dtype="u1")           # shorter than lat along scan
        ds.createVariable("scalar", "f8")
        ds["scalar"].assignValue(3.5)
        s = ds.createVariable("label", str, ("scan",))
        s[0] = "first"

    with Dataset(p("edge_many_vars"), "w", format="NETCDF3_CLASSIC") as ds:
        ds.createDimension("n", 4)
        geo(ds, ("n",), 4, 1, names=("lat", "lon"), dtype="f8")
        for i in range(70):
            v = ds.createVariable(f"v{i}", "i1", ("n",))
            v[:] = np.full(4, i % 100, dtype="i1")

    with Dataset(p("edge_big_chunks"), "w", format="NETCDF4") as ds:
        ds.createDimension("scan", 4096)
        ds.createDimension("px", 512)
        for name, units in (("lat", "degrees_north"), ("lon", "degrees_east")):
            v = ds.createVariable(name, "f4", ("scan", "px"), chunksizes=(4096, 8))
            v.units = units

    with Dataset(p("edge_times_units"), "w", format="NETCDF4") as ds:
        for i, units in enumerate(("minutes since 2015-07-02 08:42", "hours since 2015-07-02T08:00:00Z",
                                   "milliseconds since 2015-07-02 08:42:00.5", "d since 2015-07-02",
                                   "fortnights since 2015-07-02", "seconds since 2015-13-40")):
            g = ds.createGroup(f"g{i}")
            g.createDimension("t", 3)
            geo(g, ("t",), 3, 1, names=("lat", "lon"), dtype="f8")
            t = g.createVariable("obs_time", "f8", ("t",))
            t.units = units
            t[:] = [0.0, 1.5, 3.0]


if __name__ == "__main__":
    main()
