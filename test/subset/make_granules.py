#!/usr/bin/python3
"""Generate small synthetic swath granules for the subset tests.

   make_granules.py OUTDIR

Writes:
  synth_groups.nc4  netCDF-4, nested groups, 2-D swath (scan, pixel) crossing
                    the antimeridian with longitudes in 0..360, int16 packed
                    data (scale/offset, _FillValue), a (time=1, scan, pixel)
                    variable, a per-scan variable, a string variable, a
                    variable without swath dimensions, chunked + deflate.
  synth_track.nc    netCDF-3 classic, 1-D along-track (time) from pole to pole
                    with a fill value in the geolocation.
  synth_polar.nc4   netCDF-4 flat, 2-D swath over the north pole, float lat/lon
                    without _FillValue (as VIIRS), two data variables.
  synth_strattr.nc4 netCDF-4 flat, 2-D swath across the antimeridian whose
                    history and a "coordinates" attribute are NC_STRING
                    (variable-length strings), not NC_CHAR.
  synth_huge.nc4    netCDF-4 whose 2-D lat/lon declare 2^33 x 2^33 pixels
                    (chunked, never written: a few kB): more than 64 bits
                    count, to be refused with a clear error.
"""
import os
import sys

import numpy as np
from netCDF4 import Dataset

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(42)

# --- 1: groups, antimeridian, 0..360 ---------------------------------------
ns, npx = 300, 40
with Dataset(os.path.join(out, "synth_groups.nc4"), "w", format="NETCDF4") as ds:
    ds.title = "synthetic swath with groups"
    ds.history = "made by make_granules.py"
    ds.geospatial_lat_min = -99.0
    ds.geospatial_lat_max = 99.0
    ds.geospatial_lon_min = -999.0
    ds.geospatial_lon_max = 999.0
    ds.createDimension("time", 1)
    ds.createDimension("layers", 3)
    g = ds.createGroup("data").createGroup("swath")
    g.createDimension("scan", ns)
    g.createDimension("pixel", npx)
    s = np.arange(ns)[:, None]
    p = np.arange(npx)[None, :]
    lat = -60.0 + s * 0.4 + (p - npx / 2) * 0.05          # -60 .. 60
    lon = (150.0 + s * 0.2 + (p - npx / 2) * 0.3) % 360.0  # 144 .. 216 -> wraps 180
    vlat = g.createVariable("latitude", "f4", ("scan", "pixel"), zlib=True, complevel=4,
                            chunksizes=(64, npx), fill_value=-999.0)
    vlat.units = "degrees_north"
    vlat[:] = lat
    vlon = g.createVariable("longitude", "f4", ("scan", "pixel"), zlib=True, complevel=4,
                            chunksizes=(64, npx), fill_value=-999.0)
    vlon.units = "degrees_east"
    vlon.comment = "0..360"
    vlon[:] = lon
    # a few invalid pixels
    vlat[10, 5] = -999.0
    sst = g.createVariable("sst", "i2", ("scan", "pixel"), zlib=True, complevel=5, shuffle=True,
                           chunksizes=(50, 20), fill_value=np.int16(-32768))
    sst.set_auto_maskandscale(False)
    sst.scale_factor = 0.01
    sst.add_offset = 273.15
    sst.units = "K"
    sst.coordinates = "latitude longitude"
    sst[:] = rng.integers(-3000, 3000, size=(ns, npx)).astype("i2")
    cube = g.createVariable("cube", "f4", ("time", "scan", "pixel"), zlib=True,
                            fill_value=np.float32(9.96921e36))
    cube[:] = rng.random((1, ns, npx)).astype("f4")
    prof = g.createVariable("profile", "f8", ("scan", "pixel", "layers"), fill_value=-1.0)
    prof[:] = rng.random((ns, npx, 3))
    per_scan = g.createVariable("scan_quality", "i4", ("scan",), fill_value=-1)
    per_scan[:] = np.arange(ns)
    nofill = g.createVariable("index_nofill", "i4", ("scan", "pixel"))
    nofill[:] = (s * 1000 + p).astype("i4")
    names = g.createVariable("scan_label", str, ("scan",))
    for i in range(ns):
        names[i] = "scan %d" % i
    calib = ds.createVariable("calibration", "f8", ("layers",))
    calib[:] = [1.5, 2.5, 3.5]
    ds.createVariable("scalar_const", "i4", ())[...] = 7

# --- 2: netCDF-3 1-D track ---------------------------------------------------
n = 2000
with Dataset(os.path.join(out, "synth_track.nc"), "w", format="NETCDF3_CLASSIC") as ds:
    ds.createDimension("time", n)
    ds.createDimension("meas", 5)
    t = np.arange(n)
    lat = 89.0 * np.sin(np.linspace(0, 2 * np.pi, n))
    lon = np.linspace(-179.0, 179.0, n)
    vt = ds.createVariable("time", "f8", ("time",))
    vt.units = "seconds since 2000-01-01 00:00:00"
    vt[:] = t
    vlat = ds.createVariable("lat", "i4", ("time",), fill_value=np.int32(2147483647))
    vlat.scale_factor = 1e-6
    vlat.units = "degrees_north"
    vlon = ds.createVariable("lon", "i4", ("time",), fill_value=np.int32(2147483647))
    vlon.scale_factor = 1e-6
    vlon.units = "degrees_east"
    vlat.set_auto_maskandscale(False)
    vlon.set_auto_maskandscale(False)
    ilat = np.round(lat * 1e6).astype("i4")
    ilon = np.round(lon * 1e6).astype("i4")
    ilat[100] = 2147483647
    vlat[:] = ilat
    vlon[:] = ilon
    h = ds.createVariable("height", "i2", ("time",), fill_value=np.int16(32767))
    h.coordinates = "lon lat"
    h[:] = rng.integers(-1000, 1000, size=n).astype("i2")
    w = ds.createVariable("wave", "f4", ("time", "meas"), fill_value=np.float32(-1e30))
    w[:] = rng.random((n, 5)).astype("f4")

# --- 3: polar swath, no fill on lat/lon -------------------------------------
ny, nx = 200, 150
with Dataset(os.path.join(out, "synth_polar.nc4"), "w", format="NETCDF4") as ds:
    ds.createDimension("nj", ny)
    ds.createDimension("ni", nx)
    j = np.arange(ny)[:, None]
    i = np.arange(nx)[None, :]
    # a pass over the north pole: along-track through the pole, 0..360 of longitude
    along = -25.0 + j * 0.25     # degrees of arc from the pole
    across = (i - nx / 2) * 0.12
    colat = np.sqrt(along ** 2 + across ** 2)
    lat = 90.0 - colat
    lon = np.degrees(np.arctan2(across, along)) + 30.0
    lon = (lon + 180.0) % 360.0 - 180.0
    ds.createVariable("lat", "f4", ("nj", "ni"))[:] = lat
    ds["lat"].units = "degrees_north"
    ds.createVariable("lon", "f4", ("nj", "ni"))[:] = lon
    ds["lon"].units = "degrees_east"
    v = ds.createVariable("ice", "f4", ("nj", "ni"), zlib=True, fill_value=np.float32(-9999.0))
    v[:] = rng.random((ny, nx)).astype("f4")
    b = ds.createVariable("flags", "u1", ("nj", "ni"), fill_value=np.uint8(255))
    b[:] = rng.integers(0, 200, size=(ny, nx)).astype("u1")

# --- 4: string (NC_STRING) attributes ---------------------------------------
ns, npx = 120, 30
with Dataset(os.path.join(out, "synth_strattr.nc4"), "w", format="NETCDF4") as ds:
    ds.setncattr_string("title", "synthetic swath with string attributes")
    ds.setncattr_string("history", "2020-01-01T00:00:00Z made by make_granules.py\n"
                        "2020-01-02T00:00:00Z checked by hand")
    ds.createDimension("scan", ns)
    ds.createDimension("pixel", npx)
    s = np.arange(ns)[:, None]
    p = np.arange(npx)[None, :]
    vlat = ds.createVariable("latitude", "f4", ("scan", "pixel"))
    vlat.units = "degrees_north"
    vlat[:] = -30.0 + s * 0.5 + (p - npx / 2) * 0.05
    vlon = ds.createVariable("longitude", "f4", ("scan", "pixel"))
    vlon.units = "degrees_east"
    vlon[:] = (170.0 + s * 0.2 + (p - npx / 2) * 0.3) % 360.0
    t = ds.createVariable("scan_start", "f8", ("scan",))
    t.units = "seconds since 2020-01-01 00:00:00"
    t[:] = np.arange(ns) * 1.5
    rad = ds.createVariable("radiance", "f4", ("scan", "pixel"), fill_value=np.float32(-1.0))
    # found only through this attribute: scan_start is kept with radiance
    rad.setncattr_string("coordinates", "scan_start latitude longitude")
    rad[:] = rng.random((ns, npx)).astype("f4")
    ds.createVariable("unrelated", "i4", ("scan", "pixel"), fill_value=-1)[:] = \
        rng.integers(0, 100, size=(ns, npx)).astype("i4")

# --- 5: sizes past 64 bits ---------------------------------------------------
with Dataset(os.path.join(out, "synth_huge.nc4"), "w", format="NETCDF4") as ds:
    ds.createDimension("scan", 2 ** 33)
    ds.createDimension("pixel", 2 ** 33)
    for name, units in (("latitude", "degrees_north"), ("longitude", "degrees_east")):
        v = ds.createVariable(name, "f4", ("scan", "pixel"), chunksizes=(1, 1024))
        v.units = units
