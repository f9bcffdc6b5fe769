#!/usr/bin/python3
"""Cut a granule down to a small fuzzing seed of the same shape.

usage: cut_granule.py SRC DEST [MAXLEN]

Copies every group, dimension, variable and attribute of SRC into DEST,
keeping types, chunking, compression, fill values and the netCDF format
(netCDF-3 classic / 64-bit offset / CDF-5 stay so; netCDF-4 and HDF5 become
netCDF-4), but cut down: every dimension to its first MAXLEN (default 6)
indexes, a group to MAX_VARS variables (geolocation and time first) and
MAX_GROUPS subgroups, an object to MAX_ATTS attributes, a text attribute to
MAX_TEXT characters.  The seed is a few KB to a few tens of KB instead of
MB; its values are the source's own (the first scan lines).
"""
import sys

import numpy as np
import netCDF4

KEEP_FORMATS = ("NETCDF3_CLASSIC", "NETCDF3_64BIT_OFFSET", "NETCDF3_64BIT_DATA",
                "NETCDF4_CLASSIC")


MAX_VARS = 12
MAX_ATTS = 24
MAX_TEXT = 240
MAX_GROUPS = 4


def cut_len(n, maxlen):
    return min(n, maxlen)


def cut_attrs(obj):
    """the first MAX_ATTS attributes (_FillValue kept), texts and arrays cut"""
    names = obj.ncattrs()
    keep = [a for a in names if a == "_FillValue"] + \
        [a for a in names if a != "_FillValue"][:MAX_ATTS]
    out = {}
    for a in keep:
        v = obj.getncattr(a)
        if isinstance(v, str):
            v = v[:MAX_TEXT]
        elif isinstance(v, np.ndarray) and v.size > 16:
            v = v.ravel()[:16]
        out[a] = v
    return out


def rank(name, var):
    """geolocation first, then time and variables with coordinates"""
    n = name.lower()
    units = str(getattr(var, "units", "")).lower()
    if n in ("lat", "lon", "latitude", "longitude") or units.startswith("degrees_"):
        return 0
    if "lat" in n or "lon" in n or "degree" in units:
        return 1
    if "time" in n or "since" in units or "coordinates" in var.ncattrs():
        return 2
    return 3


def copy_group(src, dst, maxlen, netcdf4):
    for name, v in cut_attrs(src).items():
        dst.setncattr(name, v)
    for name, dim in src.dimensions.items():
        dst.createDimension(name, None if dim.isunlimited() else cut_len(len(dim), maxlen))
    names = sorted(src.variables, key=lambda n: rank(n, src.variables[n]))
    for name in names[:MAX_VARS]:
        var = src.variables[name]
        var.set_auto_maskandscale(False)
        dtype = var.datatype
        if not (isinstance(dtype, np.dtype) or dtype is str):
            continue                    # compound / enum / vlen: left out
        attrs = cut_attrs(var)
        kw = {}
        if "_FillValue" in attrs:
            kw["fill_value"] = attrs.pop("_FillValue")
        if netcdf4 and dtype is not str:
            f = var.filters() or {}
            if f.get("zlib"):
                kw["zlib"] = True
                kw["complevel"] = f.get("complevel", 4)
            if f.get("shuffle"):
                kw["shuffle"] = True
            if f.get("fletcher32"):
                kw["fletcher32"] = True
            chunking = var.chunking()
            if chunking not in (None, "contiguous") and var.dimensions:
                kw["chunksizes"] = [max(1, min(c, maxlen)) for c in chunking]
            elif chunking == "contiguous":
                kw["contiguous"] = True
        out = dst.createVariable(name, dtype, var.dimensions, **kw)
        for a, v in attrs.items():
            out.setncattr(a, v)
        if var.dimensions:
            sl = tuple(slice(0, cut_len(len(find_dim(src, d)), maxlen))
                       for d in var.dimensions)
            data = var[sl]
            if all(s > 0 for s in np.shape(data)):
                out[tuple(slice(0, s) for s in np.shape(data))] = data
        else:
            out.assignValue(var.getValue())
    for name, grp in list(src.groups.items())[:MAX_GROUPS]:
        copy_group(grp, dst.createGroup(name), maxlen, netcdf4)


def find_dim(grp, name):
    """a dimension visible from grp (its own or an ancestor's)"""
    while grp is not None:
        if name in grp.dimensions:
            return grp.dimensions[name]
        grp = grp.parent
    raise KeyError(name)


def main():
    src, dest = sys.argv[1], sys.argv[2]
    maxlen = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    with netCDF4.Dataset(src) as s:
        fmt = s.data_model if s.data_model in KEEP_FORMATS else "NETCDF4"
        with netCDF4.Dataset(dest, "w", format=fmt) as d:
            copy_group(s, d, maxlen, fmt.startswith("NETCDF4"))


if __name__ == "__main__":
    main()
