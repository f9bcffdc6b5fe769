#!/usr/bin/python3
"""WKB seeds for fuzz_region: make_region_seeds.py OUTDIR

Each seed is one byte (0 planar, 1 great-circle edges) and a WKB region:
boxes, a box across the antimeridian (170..190), one in 0..360, a polygon
with a hole, a multipolygon, a cap around the north pole, a bow tie,
repeated vertices, a sliver; geography regions of any size (the quarter
sphere, hemispheres, a band, everything north of 10 S, a 100-degree sliver,
a lens, a ring around the globe with an empty first edge); as ISO WKB, EWKB with SRID and Z, ISO Z/M,
and big-endian.
"""
import os
import struct
import sys


def ring(pts, nd=2, be=False):
    e = ">" if be else "<"
    out = struct.pack(e + "I", len(pts))
    for p in pts:
        out += struct.pack(e + "d" * nd, *(list(p) + [0.0] * (nd - 2)))
    return out


def polygon(rings, nd=2, be=False, ewkb_srid=None, iso_code=3):
    e = ">" if be else "<"
    t = iso_code
    if ewkb_srid is not None:
        t |= 0x20000000
        if nd >= 3:
            t |= 0x80000000
    head = (b"\x00" if be else b"\x01") + struct.pack(e + "I", t)
    if ewkb_srid is not None:
        head += struct.pack(e + "I", ewkb_srid)
    return head + struct.pack(e + "I", len(rings)) + b"".join(ring(r, nd, be) for r in rings)


def multi(polys, be=False):
    e = ">" if be else "<"
    return (b"\x00" if be else b"\x01") + struct.pack(e + "II", 6, len(polys)) + b"".join(polys)


def box(x0, y0, x1, y1):
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    shapes = {
        "box": polygon([box(10, 40, 15, 45)]),
        "antimeridian": polygon([box(170, -10, 190, 10)]),
        "lon360": polygon([box(300, 20, 340, 60)]),
        "hole": polygon([box(0, 0, 10, 10), box(3, 3, 6, 6)]),
        "multi": multi([polygon([box(0, 0, 1, 1)]), polygon([box(-179, -5, -170, 5)])]),
        "polecap": polygon([[(lon, 80.0) for lon in range(-180, 181, 30)]]),
        "bowtie": polygon([[(0, 0), (10, 10), (10, 0), (0, 10), (0, 0)]]),
        "repeated": polygon([[(5, 5), (5, 5), (6, 5), (6, 5), (6, 6), (5, 5)]]),
        "sliver": polygon([[(0, 0), (20, 1e-9), (40, 0), (0, 0)]]),
        "ewkb_z": polygon([box(-5, -5, 5, 5)], nd=3, ewkb_srid=4326),
        "iso_zm": polygon([box(-5, -5, 5, 5)], nd=4, iso_code=3003),
        "bigendian": polygon([box(100, -60, 120, -40)], be=True),
        "big": polygon([box(-170, -80, 170, 80)]),
        # geography regions of any size (the interior PostGIS takes)
        "quarter": polygon([[(-180, -90), (-90, -90), (0, -90), (0, 0), (-90, 0), (-180, 0), (-180, -90)]]),
        "north_cut": polygon([[(-180, 0), (-90, 0), (0, 0), (90, 0), (180, 0), (180, 90), (-180, 90), (-180, 0)]]),
        "equator_ring": polygon([[(0, 0), (90, 0), (180, 0), (-90, 0), (0, 0)]]),
        "band30": polygon([[(x, -30.0) for x in range(-180, 181, 10)] + [(x, 30.0) for x in range(180, -181, -10)] + [(-180, -30.0)]]),
        "north_of_10s": polygon([[(x, -10.0) for x in range(-180, 181, 10)] + [(180, 90), (-180, 90), (-180, -10)]]),
        "sliver100": polygon([[(x / 2.0, 0.0) for x in range(-120, 81)] + [(40, 3), (-60, 3), (-60, 0)]]),
        "lens": polygon([[(-100, 0), (0, -5), (100, 0), (0, 5), (-100, 0)]]),
        "no_interior": polygon([[(-100, 0), (-100, 0), (0, -5), (100, 0), (0, 5), (-100, 0)]]),
        "holed_north": polygon([[(-180, 0), (-90, 0), (0, 0), (90, 0), (180, 0), (180, 90), (-180, 90), (-180, 0)], box(10, 10, 20, 20)]),
    }
    for name, wkb in shapes.items():
        for sph in (0, 1):
            with open(os.path.join(out, f"{name}_{'sph' if sph else 'planar'}"), "wb") as f:
                f.write(bytes([sph]) + wkb)


if __name__ == "__main__":
    main()
