#!/usr/bin/python3
"""swath_subset() against l2ss-py's own reference outputs, cell by cell.

   check_l2ss_reference.py REFERENCE_DIR GRANULE_DIR

Connects with the libpq environment (PGHOST, PGPORT, PGUSER, PGDATABASE),
stores the ASCAT granule (MANIFEST granule 1), cuts it with
swath_subset(oid, ST_MakeEnvelope(-180, -90, 0, 0, 4326)) (the geometry
form: straight lon/lat edges, as l2ss-py's bbox) and compares the result
with each reference result of l2ss-py's repository for that granule and box
(REFERENCE_DIR, see its README.md; sha256 checked first):

  - the same dimensions (names and lengths: the rows and cells kept) and the
    same variables with the same type, dimensions and attributes;
  - every variable, lat/lon/time included: the same raw value in every cell
    where the reference holds a value, the _FillValue in every cell where it
    holds the fill; each cell is counted as equal value, equal fill, kept by
    eoswath but masked by l2ss-py, masked by eoswath but kept by l2ss-py, or
    a different value.  Only the first two may be non-zero, except the first
    of the other three for a variable without _FillValue (eoswath copies
    those unmasked: README, "Subsetting swaths"), reported by name;
  - global attributes: every one of the reference's equal in eoswath's,
    except the differences made on purpose, reported by name and count:
    history / history_json (each program appends its own line and entry),
    attributes only eoswath writes (geospatial_*, time_coverage_*), and the
    storage layout (file format, chunking, compression, unlimited
    dimensions), which the comparison reports without judging.

Then it shows that it can fail: it flips one value, masks one kept cell and
unmasks one masked cell, each in a copy of the python reference, and
requires the comparison to find exactly that cell.  Exits non-zero on any
failure.
"""
import gzip
import hashlib
import os
import shutil
import sys
import tempfile

import numpy as np
import psycopg2
from netCDF4 import Dataset

REFDIR = GRANULES = None
GRANULE = "ascat_20150702_084200_metopa_45145_eps_o_250_2300_ovw.l2.nc"
REGION = "ST_MakeEnvelope(-180, -90, 0, 0, 4326)"
SS = "SS_" + GRANULE
# name -> (file in REFERENCE_DIR, sha256 of the file as l2ss-py stores it)
REFERENCES = {
    "python_cut": ("python_cut_" + SS, "710cfbda0f919e598a6d09c5218636017bd2d33cea5fc7d2c9c05396286bd49a"),
    "python_uncut": ("python_uncut_" + SS, "030108f3bbacb51ea1dde0deb5a73664a260ae71017823bbaf8c0750a9192204"),
    "java_cut": ("java_cut_" + SS + ".gz", "2eec67ff32112c45c51af99c523c9ae70d9675ecf22e172a28066c7fb55fcdf7"),
}
# global attributes each program writes its own way (compared separately)
OWN_HISTORY = ("history", "history_json")
CATEGORIES = ("equal_value", "equal_fill", "kept_vs_masked", "masked_vs_kept", "different")

failures = []


def fail(case, msg):
    failures.append("%s: %s" % (case, msg))
    print("FAIL %s: %s" % (case, msg))


def att(obj, name):
    return obj.getncattr(name) if name in obj.ncattrs() else None


def same_att(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "iuf" and b.dtype.kind in "iuf":
        return a.shape == b.shape and np.array_equal(a.astype("f8"), b.astype("f8"))
    return np.array_equal(a, b)


def load_reference(name, tmpdir):
    fname, sha = REFERENCES[name]
    path = os.path.join(REFDIR, fname)
    with open(path, "rb") as f:
        data = f.read()
    if fname.endswith(".gz"):
        data = gzip.decompress(data)
        path = os.path.join(tmpdir, fname[:-3])
        with open(path, "wb") as f:
            f.write(data)
    got = hashlib.sha256(data).hexdigest()
    if got != sha:
        fail(name, "sha256 %s, expected %s (README.md)" % (got, sha))
    return path


def cell_counts(ours, ref, fill):
    """Counts of CATEGORIES over the cells of two raw arrays."""
    if ours.dtype.kind == "f":
        same = (ours == ref) | (np.isnan(ours) & np.isnan(ref))
    else:
        same = ours == ref
    if fill is None:
        rfill = np.zeros(ref.shape, bool)
        ofill = np.zeros(ours.shape, bool)
    else:
        fv = np.asarray(fill).astype(ref.dtype)
        rfill, ofill = ref == fv, ours == fv
    return {
        "equal_value": int((same & ~rfill).sum()),
        "equal_fill": int((same & rfill).sum()),
        "kept_vs_masked": int((rfill & ~ofill).sum()),
        "masked_vs_kept": int((~rfill & ofill).sum()),
        "different": int((~same & ~rfill & ~ofill).sum()),
    }


def compare(ours_path, ref_path, src_atts):
    """(errors, per-variable counts, named differences {name: count});
    src_atts: the source granule's global attribute names."""
    errors, counts, named = [], {}, {}

    def note(name, n=1):
        named[name] = named.get(name, 0) + n

    o, r = Dataset(ours_path), Dataset(ref_path)
    for d in (o, r):
        d.set_auto_maskandscale(False)
    if o.data_model != r.data_model:
        note("file format %s (l2ss-py %s)" % (o.data_model, r.data_model))
    if set(o.groups) != set(r.groups):
        errors.append("groups %s, l2ss-py %s" % (sorted(o.groups), sorted(r.groups)))
    # dimensions: the rows and cells kept
    od = {k: len(v) for k, v in o.dimensions.items()}
    rd = {k: len(v) for k, v in r.dimensions.items()}
    if od != rd:
        errors.append("dimensions %s, l2ss-py %s" % (od, rd))
    for k in set(o.dimensions) & set(r.dimensions):
        if o.dimensions[k].isunlimited() != r.dimensions[k].isunlimited():
            note("dimension %s unlimited %s (l2ss-py %s)" % (k, o.dimensions[k].isunlimited(), r.dimensions[k].isunlimited()))
    # global attributes
    for a in r.ncattrs():
        if a in OWN_HISTORY:
            continue
        if a not in src_atts:
            # not the source's: what each program writes of its own
            if a not in o.ncattrs():
                note("global %s: written by l2ss-py only" % a)
            elif not same_att(o.getncattr(a), r.getncattr(a)):
                note("global %s: each program's own value" % a)
        elif a not in o.ncattrs():
            errors.append("global attribute %s missing" % a)
        elif not same_att(o.getncattr(a), r.getncattr(a)):
            errors.append("global attribute %s = %r, l2ss-py %r" % (a, o.getncattr(a), r.getncattr(a)))
    for a in OWN_HISTORY:
        oa, ra = att(o, a), att(r, a)
        if oa is None and ra is not None:
            errors.append("global attribute %s missing" % a)
        elif oa is not None and ra is not None and oa != ra:
            note("global %s: each program's own entry" % a)
    for a in sorted(set(o.ncattrs()) - set(r.ncattrs()) - set(src_atts)):
        note("global %s: written by eoswath only" % a)
    # variables
    if set(o.variables) != set(r.variables):
        errors.append("variables: eoswath only %s, l2ss-py only %s" %
                      (sorted(set(o.variables) - set(r.variables)), sorted(set(r.variables) - set(o.variables))))
    for name in sorted(set(o.variables) & set(r.variables)):
        ov, rv = o.variables[name], r.variables[name]
        if ov.dtype != rv.dtype or ov.dimensions != rv.dimensions:
            errors.append("%s: %s%s, l2ss-py %s%s" % (name, ov.dtype, ov.dimensions, rv.dtype, rv.dimensions))
            continue
        for a in sorted(set(ov.ncattrs()) | set(rv.ncattrs())):
            if a not in ov.ncattrs() or a not in rv.ncattrs():
                errors.append("%s: attribute %s only in %s" % (name, a, "eoswath" if a in ov.ncattrs() else "l2ss-py"))
            elif not same_att(ov.getncattr(a), rv.getncattr(a)):
                errors.append("%s: attribute %s = %r, l2ss-py %r" % (name, a, ov.getncattr(a), rv.getncattr(a)))
        if o.data_model.startswith("NETCDF4") and r.data_model.startswith("NETCDF4"):
            if ov.chunking() != rv.chunking():
                note("chunking: eoswath %s (the source's layout), l2ss-py %s" % (ov.chunking(), rv.chunking()))
            of, rf = ov.filters() or {}, rv.filters() or {}
            keys = ("zlib", "shuffle", "complevel")
            if any(of.get(k) != rf.get(k) for k in keys):
                note("compression: eoswath %s (the source's), l2ss-py %s" %
                     tuple(",".join("%s=%s" % (k, f.get(k)) for k in keys) for f in (of, rf)))
        ours, ref = np.asarray(ov[...]), np.asarray(rv[...])
        if ours.shape != ref.shape:
            errors.append("%s: shape %s, l2ss-py %s" % (name, ours.shape, ref.shape))
            continue
        fill = att(rv, "_FillValue")
        c = cell_counts(ours, ref, fill)
        counts[name] = c
        if fill is None and c["kept_vs_masked"]:
            # never masked by eoswath (README): a difference on purpose
            note("%s: no _FillValue, copied unmasked" % name, c["kept_vs_masked"])
            c = dict(c, kept_vs_masked=0)
        bad = {k: c[k] for k in CATEGORIES[2:] if c[k]}
        if bad:
            idx = np.argwhere(~((ours == ref) | ((ours != ours) & (ref != ref))))[:3].tolist()
            errors.append("%s: %s (first cells %s)" % (name, bad, idx))
    o.close()
    r.close()
    return errors, counts, named


def report(case, ours_path, ref_path, src_atts):
    errors, counts, named = compare(ours_path, ref_path, src_atts)
    for e in errors:
        fail(case, e)
    tot = {k: sum(c[k] for c in counts.values()) for k in CATEGORIES}
    for name, c in sorted(counts.items()):
        print("  %s %-17s %s" % (case, name, " ".join("%s=%d" % (k, c[k]) for k in CATEGORIES)))
    for n, k in sorted(named.items()):
        print("  %s difference on purpose: %s (%d)" % (case, n, k))
    if not errors:
        print("ok %s: %d variables, %d cells equal (%d values, %d fill), 0 different" %
              (case, len(counts), tot["equal_value"] + tot["equal_fill"], tot["equal_value"], tot["equal_fill"]))
    return counts


def mutate(src, dst, var, kind):
    """Copy src to dst and change one cell of var: 'flip' a kept value,
    'mask' a kept cell or 'unmask' a masked one.  Returns the cell."""
    shutil.copyfile(src, dst)
    with Dataset(dst, "r+") as d:
        d.set_auto_maskandscale(False)
        v = d.variables[var]
        a = np.asarray(v[...])
        fv = np.asarray(v.getncattr("_FillValue")).astype(a.dtype)
        cells = np.argwhere(a == fv) if kind == "unmask" else np.argwhere(a != fv)
        cell = tuple(int(i) for i in cells[len(cells) // 2])
        if kind == "flip":
            v[cell] = a[cell] + 1
        elif kind == "mask":
            v[cell] = fv
        else:
            v[cell] = 0
    return cell


def self_test(ours_path, ref_path, src_atts, tmpdir):
    """The comparison finds one changed cell in a copy of the reference."""
    want = {"flip": "different", "mask": "kept_vs_masked", "unmask": "masked_vs_kept"}
    base_errors, base, _ = compare(ours_path, ref_path, src_atts)
    for var, kind in (("wind_speed", "flip"), ("lat", "mask"), ("time", "unmask")):
        case = "self-test: %s one cell of %s in a copy of the reference" % (kind, var)
        copy = os.path.join(tmpdir, "mutated.nc")
        cell = mutate(ref_path, copy, var, kind)
        errors, counts, _ = compare(ours_path, copy, src_atts)
        new = [e for e in errors if e not in base_errors]
        moved = {k: counts[var][k] - base[var][k] for k in CATEGORIES if counts[var][k] != base[var][k]}
        if len(new) != 1 or not new[0].startswith(var + ":") or moved.get(want[kind]) != 1:
            fail(case, "cell %s: counts changed by %s, new errors %s" % (cell, moved, new))
        else:
            print("ok %s: cell %s found: %s" % (case, cell, new[0]))


def main():
    global REFDIR, GRANULES
    REFDIR, GRANULES = sys.argv[1], sys.argv[2]
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    with open(os.path.join(GRANULES, GRANULE), "rb") as fh:
        cur.execute("SELECT wos_put(%s)::text", (psycopg2.Binary(fh.read()),))
    oid = cur.fetchone()[0]
    cur.execute("SELECT swath_subset(%%s, %s)" % REGION, (oid,))
    data = cur.fetchone()[0]
    if data is None:
        fail("ascat", "swath_subset returned NULL")
        sys.exit(1)
    with tempfile.TemporaryDirectory() as tmpdir:
        ours = os.path.join(tmpdir, "eoswath_ascat_l2ss_box.nc")
        with open(ours, "wb") as f:
            f.write(bytes(data))
        with Dataset(os.path.join(GRANULES, GRANULE)) as src:
            src_atts = set(src.ncattrs())
        refs = {name: load_reference(name, tmpdir) for name in REFERENCES}
        for name, path in refs.items():
            report("ascat vs l2ss-py %s" % name, ours, path, src_atts)
        self_test(ours, refs["python_cut"], src_atts, tmpdir)
    print("l2ss-py reference: %d failures" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
