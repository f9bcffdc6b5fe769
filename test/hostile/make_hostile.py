#!/usr/bin/python3
"""Generate hostile granules for test/t/011_hostile.pl.

usage: make_hostile.py OUTDIR SECRET_RAW SECRET_H5 GRANULES_DIR [NMUTANTS]
       make_hostile.py secret SECRET_RAW SECRET_H5

SECRET_RAW is a file of random bytes the test planted (mode 0600, owned by
the server's user); SECRET_H5 an HDF5 file holding the same bytes as the
float64 dataset /secret.  Every file written is small (at most a few MB) and
made afresh at each run; nothing here is committed but this script.

Writes into OUTDIR, and prints one line per file: "<class> <file>":

  leak    ext_storage.nc   netCDF-4 granule (real-looking lat/lon/time) whose
                           data variable sst uses HDF5 external storage: its
                           raw data is SECRET_RAW
  leak    ext_link.nc      the same granule with an external link to
                           SECRET_H5:/secret
  leak    vds.nc           the same granule whose sst is a virtual dataset
                           mapping SECRET_H5:/secret
  leak    ext_lat.nc       the latitudes themselves in external storage (a
                           leak would show in footprints and pixels)
  overflow cdf5_*.nc, cdf2_max.nc
                           netCDF-3 headers written byte by byte (CDF-5 and
                           CDF-2) whose dimension products overflow 64 bits:
                           (2, 2^61+1), (2^32+1, 2^32+1), 2^62 records of
                           8 pixels, (2^31-1, 2^31-1) in CDF-2; or fit in 64
                           bits but not in any memory: (2^29, 2^30),
                           (2, 2^58), (2^58, 2)
  disk    cdf2_far.nc      a CDF-2 header of a 2000 x 1500 swath in a 4 kB
                           file (libnetcdf reads the rest as zeros): a
                           subset of it is 24 MB
  memory  mem_attr.nc      a CDF-5 header declaring a 1 GiB attribute in a
                           404-byte file: libnetcdf allocates it while
                           opening
  memory  mem_vars.nc      a CDF-2 header claiming 2^31-1 variables (20,000
                           written, with 168-character names)
  gzip    bomb.nc.gz       200 MB of zeros, gzip'd (about 200 kB)
  time    time_future.nc   a valid swath whose times lie 10^15 s after 1970
  time    time_past.nc     ... and 3*10^11 s before it (9,500 BC)
  slow    slow.nc          netCDF-4 swath of 40,000 x 20,000 pixels (800 M)
                           whose lat/lon chunks were never written (all read
                           as the fill value 10.0): tiny, and a long parse
  mutant  mutant_NN_*      bit-flipped and truncated copies of the real
                           granules in GRANULES_DIR (fixed seed: the same
                           set every run)
"""
import gzip
import os
import random
import struct
import sys

import h5py
import netCDF4
import numpy as np

NSCAN, NPIX = 40, 32			# the leak granules: 1280 pixels


def swath_geo():
    """lat/lon of a small real-looking swath over the Gulf of Guinea"""
    s = np.linspace(0, 1, NSCAN)[:, None]
    p = np.linspace(-1, 1, NPIX)[None, :]
    lat = (-2.0 + 8.0 * s + 0.3 * p).astype('f4')
    lon = (2.0 + 1.0 * s + 2.5 * p).astype('f4')
    return lat, lon


def base_granule(path, with_sst=False):
    """a netCDF-4 swath: lat/lon (scan, pixel), time (scan), CF attributes"""
    lat, lon = swath_geo()
    ds = netCDF4.Dataset(path, 'w', format='NETCDF4')
    ds.title = 'eoswath hostile granule'
    ds.createDimension('scan', NSCAN)
    ds.createDimension('pixel', NPIX)
    v = ds.createVariable('lat', 'f4', ('scan', 'pixel'))
    v.units = 'degrees_north'
    v.standard_name = 'latitude'
    v[:] = lat
    v = ds.createVariable('lon', 'f4', ('scan', 'pixel'))
    v.units = 'degrees_east'
    v.standard_name = 'longitude'
    v[:] = lon
    v = ds.createVariable('time', 'f8', ('scan',))
    v.units = 'seconds since 2021-01-01 00:00:00'
    v.standard_name = 'time'
    v[:] = np.arange(NSCAN, dtype='f8') * 1.5 + 3600.0
    if with_sst:
        v = ds.createVariable('sst', 'f8', ('scan', 'pixel'))
        v.units = 'kelvin'
        v.coordinates = 'lon lat'
        v[:] = 290.0
    ds.close()


def attach(f, name):
    """make f[name] a netCDF variable over the (scan, pixel) dimensions"""
    d = f[name]
    d.dims[0].attach_scale(f['scan'])
    d.dims[1].attach_scale(f['pixel'])
    d.attrs['units'] = 'kelvin'
    d.attrs['coordinates'] = np.bytes_('lon lat')


def leak_granules(out, secret_raw, secret_h5):
    nbytes = os.path.getsize(secret_raw)
    assert nbytes == NSCAN * NPIX * 8, 'the secret must be %d bytes' % (NSCAN * NPIX * 8)

    p = os.path.join(out, 'ext_storage.nc')
    base_granule(p)
    with h5py.File(p, 'r+') as f:
        f.create_dataset('sst', shape=(NSCAN, NPIX), dtype='<f8',
                         external=[(secret_raw, 0, nbytes)])
        attach(f, 'sst')
    yield 'leak', p

    p = os.path.join(out, 'ext_link.nc')
    base_granule(p, with_sst=True)
    with h5py.File(p, 'r+') as f:
        f['leak'] = h5py.ExternalLink(secret_h5, '/secret')
    yield 'leak', p

    p = os.path.join(out, 'vds.nc')
    base_granule(p)
    with h5py.File(p, 'r+') as f:
        layout = h5py.VirtualLayout(shape=(NSCAN, NPIX), dtype='<f8')
        layout[:, :] = h5py.VirtualSource(secret_h5, 'secret', shape=(NSCAN, NPIX))
        f.create_virtual_dataset('sst', layout, fillvalue=0.0)
        attach(f, 'sst')
    yield 'leak', p

    # latitudes from the secret: a leak would come back as footprint
    # vertices and pixel values, not as file bytes
    p = os.path.join(out, 'ext_lat.nc')
    base_granule(p)
    with h5py.File(p, 'r+') as f:
        attrs = dict(f['lat'].attrs)
        del f['lat']
        f.create_dataset('lat', shape=(NSCAN, NPIX), dtype='<f8',
                         external=[(secret_raw, 0, nbytes)])
        d = f['lat']
        d.dims[0].attach_scale(f['scan'])
        d.dims[1].attach_scale(f['pixel'])
        d.attrs['units'] = np.bytes_('degrees_north')
        d.attrs['standard_name'] = np.bytes_('latitude')
        del attrs
    yield 'leak', p


# ---- netCDF-3 headers, byte by byte ----

NC_DIMENSION, NC_VARIABLE, NC_ATTRIBUTE = 0x0A, 0x0B, 0x0C
NC_CHAR, NC_FLOAT, NC_DOUBLE = 2, 5, 6


class Cdf:
    """a netCDF-3 header: CDF-2 (64-bit offsets) or CDF-5 (64-bit everything)"""

    def __init__(self, version):
        self.v = version
        self.b = bytearray(b'CDF' + bytes([version]))

    def size(self, n):			# NON_NEG: 4 bytes (CDF-1/2), 8 (CDF-5)
        self.b += struct.pack('>q' if self.v == 5 else '>i', n)

    def int32(self, n):
        self.b += struct.pack('>i', n)

    def offset(self, n):		# OFFSET: 8 bytes in CDF-2 and CDF-5
        self.b += struct.pack('>q', n)

    def name(self, s):
        s = s.encode()
        self.size(len(s))
        self.b += s + b'\0' * (-len(s) % 4)

    def absent(self):
        self.b += b'\0' * (8 if self.v != 5 else 12)

    def numrecs(self, n):
        self.size(n)

    def dims(self, dims):
        self.int32(NC_DIMENSION)
        self.size(len(dims))
        for name, length in dims:
            self.name(name)
            self.size(length)

    def attr(self, name, nctype, nelems, payload=b''):
        self.name(name)
        self.int32(nctype)
        self.size(nelems)
        self.b += payload + b'\0' * (-len(payload) % 4)

    def vars(self, variables):
        """variables: (name, dimids, type, vsize, begin, attrs)"""
        self.int32(NC_VARIABLE)
        self.size(len(variables))
        for name, dimids, nctype, vsize, begin, attrs in variables:
            self.name(name)
            self.size(len(dimids))
            for d in dimids:
                self.size(d)
            if attrs:
                self.int32(NC_ATTRIBUTE)
                self.size(len(attrs))
                for a in attrs:
                    self.attr(*a)
            else:
                self.absent()
            self.int32(nctype)
            self.size(vsize)
            self.offset(begin)


def units_attr(units):
    u = units.encode()
    return ('units', NC_CHAR, len(u), u)


def geo_header(version, numrecs, dims, dimids, nbytes):
    """a header with lat and lon over dimids, each nbytes long, laid out one
    after the other right after the header (as libnetcdf expects)"""
    def build(begin):
        h = Cdf(version)
        h.numrecs(numrecs)
        h.dims(dims)
        h.absent()
        vsize = nbytes if version == 5 else min(nbytes, 2 ** 31 - 4)
        recvar = dims[dimids[0]][1] == 0
        h.vars([('lat', dimids, NC_FLOAT, vsize, begin, [units_attr('degrees_north')]),
                ('lon', dimids, NC_FLOAT, vsize, begin + (vsize if recvar else nbytes),
                 [units_attr('degrees_east')])])
        return h
    size = len(build(0).b)
    return build(size)


def write(path, header, tail=4096):
    with open(path, 'wb') as f:
        f.write(bytes(header.b))
        f.write(b'\x41' * tail)		# some float data after the header
    return path


def overflow_granules(out):
    # CDF-5: 64-bit dimension lengths.  The first two overflow 64 bits in
    # libnetcdf's own arithmetic; the others are valid headers whose
    # products (2^59 pixels) overflow any reader that multiplies
    # them by the size of a double or allocates by them.
    for tag, (n0, n1) in (('2x2e61p1', (2, 2 ** 61 + 1)),
                          ('2e32p1sq', (2 ** 32 + 1, 2 ** 32 + 1)),
                          ('2e29x2e30', (2 ** 29, 2 ** 30)),
                          ('2x2e58', (2, 2 ** 58)),
                          ('2e58x2', (2 ** 58, 2))):
        nbytes = n0 * n1 * 4
        if nbytes > 2 ** 62:
            nbytes = 2 ** 60			# what a hostile header claims anyway
        h = geo_header(5, 0, [('scan', n0), ('pixel', n1)], [0, 1], nbytes)
        yield 'overflow', write(os.path.join(out, 'cdf5_%s.nc' % tag), h)

    # record variables: 2^62 records of 8 pixels
    h = geo_header(5, 2 ** 62, [('scan', 0), ('pixel', 8)], [0, 1], 32)
    yield 'overflow', write(os.path.join(out, 'cdf5_records.nc'), h)

    # CDF-2: 32-bit lengths, a (2^31-1, 2^31-1) swath
    h = geo_header(2, 0, [('scan', 2 ** 31 - 1), ('pixel', 2 ** 31 - 1)], [0, 1], 2 ** 60)
    yield 'overflow', write(os.path.join(out, 'cdf2_max.nc'), h)



def disk_granule(out):
    # CDF-2: a plausible 2000 x 1500 swath whose data lie past the end of
    # the 4 kB file; libnetcdf reads them as zeros, so a subset of it is
    # 24 MB of output
    h = geo_header(2, 0, [('scan', 2000), ('pixel', 1500)], [0, 1], 2000 * 1500 * 4)
    yield 'disk', write(os.path.join(out, 'cdf2_far.nc'), h)


def memory_granules(out):
    # a 1 GiB global attribute in a 200-byte file
    h = Cdf(5)
    h.numrecs(0)
    h.dims([('scan', 4), ('pixel', 4)])
    h.int32(NC_ATTRIBUTE)
    h.size(1)
    h.name('history')
    h.int32(NC_DOUBLE)
    h.size(2 ** 27)
    h.vars([('lat', [0, 1], NC_FLOAT, 64, 4096, [units_attr('degrees_north')]),
            ('lon', [0, 1], NC_FLOAT, 64, 4160, [units_attr('degrees_east')])])
    yield 'memory', write(os.path.join(out, 'mem_attr.nc'), h, tail=64)

    # 2^31-1 variables claimed, 20,000 written with 168-character names:
    # libnetcdf sizes its tables by the claim, and the file ends early
    h = Cdf(2)
    h.numrecs(0)
    h.dims([('scan', 4), ('pixel', 4)])
    h.absent()
    h.int32(NC_VARIABLE)
    h.size(2 ** 31 - 1)
    for i in range(20000):
        h.name(('v%06d' % i) * 28)
        h.size(2)
        h.size(0)
        h.size(1)
        h.absent()
        h.int32(NC_FLOAT)
        h.size(64)
        h.offset(0)
    yield 'memory', write(os.path.join(out, 'mem_vars.nc'), h, tail=0)


def gzip_bomb(out, megabytes=200):
    p = os.path.join(out, 'bomb.nc.gz')
    zero = bytes(1 << 20)
    with gzip.open(p, 'wb', compresslevel=9) as f:
        for _ in range(megabytes):
            f.write(zero)
    yield 'gzip', p


def time_granules(out):
    for tag, t0 in (('future', 1e15), ('past', -3e11)):
        p = os.path.join(out, 'time_%s.nc' % tag)
        base_granule(p)
        ds = netCDF4.Dataset(p, 'a')
        ds['time'].units = 'seconds since 1970-01-01 00:00:00'
        ds['time'][:] = t0 + np.arange(NSCAN, dtype='f8')
        ds.close()
        yield 'time', p


def slow_granule(out):
    p = os.path.join(out, 'slow.nc')
    ds = netCDF4.Dataset(p, 'w', format='NETCDF4')
    ds.createDimension('scan', 40000)
    ds.createDimension('pixel', 20000)
    for name, units in (('lat', 'degrees_north'), ('lon', 'degrees_east')):
        v = ds.createVariable(name, 'f4', ('scan', 'pixel'), chunksizes=(64, 20000),
                              fill_value=np.float32(10.0))
        v.units = units
    ds.close()
    # the HDF5 fill value stays 10.0; without the attribute, 10.0 is a value
    with h5py.File(p, 'r+') as f:
        for name in ('lat', 'lon'):
            del f[name].attrs['_FillValue']
    yield 'slow', p


def mutants(out, granules, n):
    rng = random.Random(20261130)
    files = sorted(f for f in os.listdir(granules)
                   if f.endswith(('.nc', '.nc4', '.HDF5', '.h5')))
    for i in range(n):
        src = files[i % len(files)]
        with open(os.path.join(granules, src), 'rb') as f:
            data = bytearray(f.read())
        kind = rng.choice(['flip_header', 'flip_header', 'flip_any', 'truncate', 'zero_block'])
        if kind == 'flip_header':
            # metadata lives near the start of netCDF-3 and HDF5 files
            for _ in range(rng.randint(1, 8)):
                pos = rng.randrange(min(len(data), 4096))
                data[pos] ^= 1 << rng.randrange(8)
        elif kind == 'flip_any':
            for _ in range(rng.randint(1, 64)):
                pos = rng.randrange(len(data))
                data[pos] ^= 1 << rng.randrange(8)
        elif kind == 'truncate':
            data = data[:rng.randrange(8, len(data))]
        else:
            # a block of 0xff (a disk's erased sector, an absurd length)
            pos = rng.randrange(len(data))
            end = min(len(data), pos + rng.randint(16, 4096))
            data[pos:end] = b'\xff' * (end - pos)
        p = os.path.join(out, 'mutant_%02d_%s_%s' % (i, kind, src))
        with open(p, 'wb') as f:
            f.write(data)
        yield 'mutant', p


def secret_h5(raw, h5):
    """the planted secret's bytes as the float64 dataset /secret of an HDF5 file"""
    with open(raw, 'rb') as f:
        data = np.frombuffer(f.read(), dtype='<f8').reshape(NSCAN, NPIX)
    with h5py.File(h5, 'w') as f:
        f.create_dataset('secret', data=data)
    os.chmod(h5, 0o600)


def main():
    if sys.argv[1] == 'secret':
        secret_h5(sys.argv[2], sys.argv[3])
        return
    out, secret_raw, secret_h5_path, granules = sys.argv[1:5]
    n = int(sys.argv[5]) if len(sys.argv) > 5 else 50
    os.makedirs(out, exist_ok=True)
    for gen in (leak_granules(out, secret_raw, secret_h5_path), overflow_granules(out),
                memory_granules(out), disk_granule(out), gzip_bomb(out), time_granules(out),
                slow_granule(out), mutants(out, granules, n)):
        for cls, path in gen:
            print(cls, path)


if __name__ == '__main__':
    main()
