#!/usr/bin/env python3
"""test/check_layers.py: the layering rules of README's Architecture section,
checked on the sources (src/*.c, src/*.h).  Prints one line per violation and
exits 1 if there is any.

  - a storage backend (store*.c, s3*.c) includes no project header but
    eoswath.h, store.h and s3.h: it gets everything from its caller;
  - the gzip codec (gzip.c) includes no project header but gzip.h;
  - the granule parsing side (nc*.c, footprint.c, region.c, subset_*.c,
    granule.c, helper/*.c) includes nothing of the object, catalog,
    transaction or store layers: it sees files, never objects;
  - only the parsing side includes netCDF-C or HDF5: the backend never
    parses a granule (the helper process does);
  - s3.h is private to the S3 files (and guc.c, which defines the settings);
  - SQL entry points (PG_FUNCTION_INFO_V1) live only in the SQL layer
    (wos_*.c, swath_sql.c) and in wosoid.c (the type's own I/O functions);
  - no cycle among the project's headers; no source file above 1,200 lines.
"""
import fnmatch
import os
import re
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', 'src')
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
SYSINCLUDE = re.compile(r'^\s*#\s*include\s+<([^>]+)>', re.M)

files = sorted(f for f in os.listdir(SRC) if f.endswith(('.c', '.h')))
HELPER = os.path.join(SRC, 'helper')
if os.path.isdir(HELPER):
    files += sorted('helper/' + f for f in os.listdir(HELPER) if f.endswith(('.c', '.h')))
project_headers = {os.path.basename(f) for f in files if f.endswith('.h')}
includes = {}
for f in files:
    with open(os.path.join(SRC, f)) as fh:
        text = fh.read()
    includes[f] = [h for h in INCLUDE.findall(text) if h in project_headers and
                   not (f.startswith('helper/') and h == 'postgres.h')]
    includes[f + ':text'] = text
    includes[f + ':sys'] = SYSINCLUDE.findall(text)

problems = []


def matches(name, patterns):
    return any(fnmatch.fnmatch(name, p) for p in patterns)


def allow_only(patterns, allowed, why):
    for f in files:
        if f.endswith('.c') and matches(f, patterns):
            for h in includes[f]:
                if h not in allowed:
                    problems.append(f'{f} includes {h}: {why}')


def forbid(patterns, forbidden, why, exempt=()):
    for f in files:
        if matches(f, patterns) and not matches(f, exempt):
            for h in includes[f]:
                if h in forbidden:
                    problems.append(f'{f} includes {h}: {why}')


allow_only(['store*.c', 's3*.c'], {'eoswath.h', 'store.h', 's3.h'},
           'a storage backend gets its configuration from its caller')
allow_only(['gzip.c'], {'gzip.h'}, 'the codec includes nothing above it')
PARSING = ['nc*.c', 'nc*.h', 'footprint.*', 'region.*', 'subset_*', 'subset.h', 'quicklook*',
           'granule.c', 'granule.h', 'helper/*']
forbid(PARSING, {'catalog.h', 'object.h', 'xact.h', 'store.h', 's3.h', 'eoswath.h'},
       'the granule parsing side sees files, not objects')
for f in files:
    if not matches(f, PARSING):
        for h in includes[f + ':sys']:
            if h.startswith(('netcdf', 'hdf5', 'H5')):
                problems.append(f'{f} includes <{h}>: only the granule helper parses granules')
forbid(['*'], {'s3.h'}, 's3.h is private to the S3 backend',
       exempt=['s3*', 'store_s3.c', 'guc.c'])

for f in files:
    if not f.endswith('.c'):
        continue
    text = includes[f + ':text']
    if 'PG_FUNCTION_INFO_V1(' in text and not matches(f, ['wos_*.c', 'swath_sql.c', 'swath_quicklook.c', 'wosoid.c', 'helper/include/*']):
        problems.append(f'{f} defines SQL entry points: they belong in the SQL layer')
    nlines = text.count('\n')
    if nlines > 1200:
        problems.append(f'{f} has {nlines} lines (more than 1,200)')

# cycles among headers (depth-first search)
state = {}


def visit(h, path):
    state[h] = 'active'
    for d in includes.get(h, []):
        if state.get(d) == 'active':
            problems.append('include cycle: ' + ' -> '.join(path + [h, d]))
        elif d not in state:
            visit(d, path + [h])
    state[h] = 'done'


for h in sorted(project_headers):
    if h not in state:
        visit(h, [])

for p in problems:
    print(p)
print(f'{len(files)} files checked, {len(problems)} layering problems')
sys.exit(1 if problems else 0)
