#!/usr/bin/python3
"""Small HDF5 seeds for the granule fuzzer: what netCDF-4 writers never make.

usage: make_hdf5_seeds.py OUTDIR

Writes (h5py; each a few KB):
  h5_plain         a swath without dimension scales (netCDF-C's phony
                   dimensions): /Swath/Latitude, /Swath/Longitude (float32,
                   chunked, deflate + shuffle + fletcher32), packed int16
                   data with _FillValue, scale_factor and valid_range,
                   per-scan double time with "seconds since" units
  h5_userblock     the same behind a 512-byte user block
  h5_types         big-endian double lat/lon, NC_STRING units, a compound,
                   an enum and a variable-length dataset, an attribute of
                   each, scaleoffset and nbit filters, a soft link
  h5_track         1-D track, compact layout lat/lon, a _FillValue array
  h5_extlink       an external link (hdf5_check refuses it)
  h5_external      a dataset with external raw storage (refused)
  h5_virtual       a virtual dataset (refused)
  h5_unknown       a dataset with an unknown filter (refused)
"""
import os
import sys

import h5py
import numpy as np


def swath(nrows=16, ncols=8):
    r = np.arange(nrows)[:, None]
    c = np.arange(ncols)[None, :]
    lat = (10.0 + 0.3 * r + 0.05 * c).astype("f4")
    lon = (170.0 + 0.1 * r + 0.4 * c)
    lon = (((lon + 180.0) % 360.0) - 180.0).astype("f4")
    return lat, lon


def plain(f, chunked=True):
    lat, lon = swath()
    g = f.create_group("Swath")
    kw = dict(chunks=(4, 8), compression="gzip", shuffle=True, fletcher32=True) if chunked else {}
    la = g.create_dataset("Latitude", data=lat, **kw)
    la.attrs["units"] = np.bytes_("degrees_north")
    la.attrs["_FillValue"] = np.float32(-9999.9)
    lo = g.create_dataset("Longitude", data=lon, **kw)
    lo.attrs["units"] = np.bytes_("degrees_east")
    lo.attrs["_FillValue"] = np.float32(-9999.9)
    d = g.create_dataset("precip", data=(np.arange(lat.size).reshape(lat.shape) % 300).astype("i2"),
                         chunks=(4, 8), compression="gzip")
    d.attrs["_FillValue"] = np.int16(-999)
    d.attrs["scale_factor"] = np.float32(0.01)
    d.attrs["valid_range"] = np.array([0, 250], dtype="i2")
    d.attrs["coordinates"] = np.bytes_("Latitude Longitude")
    t = g.create_dataset("scan_time", data=np.arange(lat.shape[0], dtype="f8") * 1.5 + 7e8)
    t.attrs["units"] = np.bytes_("seconds since 1993-01-01 00:00:00")
    f.attrs["title"] = np.bytes_("plain HDF5 swath")


def types(f):
    lat, lon = swath(12, 6)
    g = f.create_group("geo")
    la = g.create_dataset("lat", data=lat.astype(">f8"))
    la.attrs.create("units", "degrees_north", dtype=h5py.string_dtype())
    lo = g.create_dataset("lon", data=lon.astype(">f8"))
    lo.attrs.create("units", "degrees_east", dtype=h5py.string_dtype())
    lo.attrs["add_offset"] = np.array([0.0, 1.0])
    g["lat_link"] = h5py.SoftLink("/geo/lat")
    cmp = np.dtype([("a", "i4"), ("b", "f8")])
    g.create_dataset("compound", data=np.zeros(lat.shape, dtype=cmp))
    enum = h5py.enum_dtype({"RED": 0, "GREEN": 1}, basetype="i1")
    g.create_dataset("enum", data=np.zeros(lat.shape, dtype="i1"), dtype=enum)
    vl = g.create_dataset("vlen", shape=(lat.shape[0],), dtype=h5py.vlen_dtype("i4"))
    vl[0] = np.arange(3, dtype="i4")
    g.create_dataset("names", data=np.array([b"a", b"bc"] * 6, dtype=object),
                     dtype=h5py.string_dtype(encoding="ascii"))
    g.create_dataset("scaleoffset", data=np.arange(lat.size, dtype="i4").reshape(lat.shape),
                     chunks=(6, 6), scaleoffset=0)
    g.attrs.create("cmp_attr", np.zeros(2, dtype=cmp))
    g.attrs["history"] = np.array([b"one", b"two"])


def track(f):
    n = 40
    lat = np.linspace(-80, 80, n)
    lon = np.linspace(100, 300, n)
    la = f.create_dataset("latitude", data=lat, chunks=None)
    la.attrs["units"] = np.bytes_("degrees_north")
    la.attrs["_FillValue"] = np.array([1e30, 2e30])
    lo = f.create_dataset("longitude", data=lon)
    lo.attrs["units"] = np.bytes_("degrees_east")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with h5py.File(os.path.join(out, "h5_plain"), "w") as f:
        plain(f)
    with h5py.File(os.path.join(out, "h5_userblock"), "w", userblock_size=512) as f:
        plain(f, chunked=False)
    with h5py.File(os.path.join(out, "h5_types"), "w") as f:
        types(f)
    with h5py.File(os.path.join(out, "h5_track"), "w") as f:
        track(f)
    with h5py.File(os.path.join(out, "h5_extlink"), "w") as f:
        plain(f, chunked=False)
        f["Swath/other"] = h5py.ExternalLink("elsewhere.h5", "/data")
    with h5py.File(os.path.join(out, "h5_external"), "w") as f:
        plain(f, chunked=False)
        f.create_dataset("raw", shape=(16,), dtype="f4", external=[("raw.bin", 0, 64)])
    with h5py.File(os.path.join(out, "h5_virtual"), "w") as f:
        plain(f, chunked=False)
        layout = h5py.VirtualLayout(shape=(16,), dtype="f4")
        layout[:] = h5py.VirtualSource("other.h5", "data", shape=(16,))
        f.create_virtual_dataset("virtual", layout, fillvalue=0)
    with h5py.File(os.path.join(out, "h5_unknown"), "w") as f:
        plain(f, chunked=False)
        f.create_dataset("odd", shape=(16,), dtype="f4", chunks=(8,), compression=32123,
                         allow_unknown_filter=True)


if __name__ == "__main__":
    main()
