#!/usr/bin/python3
"""The seed's Django model, unchanged, on eoswath's catalog (issue 14).

PolygonField(geography=True), oid = CharField(max_length=40), no
overpass_end.  Rows for netCDF/HDF5 granules get their footprint and
overpass from the database; rows for opaque objects (a gzip'd ENVISAT
MERIS .N1 file) give shape and overpass, and no file is opened.  Missing
fields on an opaque object are a clear 23502 with a hint; registering an
object twice keeps one row.  Exits non-zero on the first failure.
"""
import datetime
import gzip
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "swathsite.settings")

import django  # noqa: E402

django.setup()

from django.contrib.gis.db.models.functions import Area  # noqa: E402
from django.contrib.gis.geos import Polygon  # noqa: E402
from django.db import IntegrityError, connection, transaction  # noqa: E402
import psycopg2  # noqa: E402

from seedsite.models import Swaths  # noqa: E402

GRANULES = os.path.join(os.environ["EOSWATH_SHARED"], "data", "swaths")
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok -", what)


def put(data, meta):
    with connection.cursor() as cur:
        cur.execute("SELECT wos_put(%s, %s::jsonb)::text", [psycopg2.Binary(data), json.dumps(meta)])
        return cur.fetchone()[0]


def sql(q, args=()):
    with connection.cursor() as cur:
        cur.execute(q, args)
        return cur.fetchall()


# netCDF and HDF5 granules: the ORM leaves shape and overpass out (None);
# the database computes them from the granule
for name, source, orbit in [
        ("S6A_P4_2__HR_RED__NR_014_192_20210403T005056_20210403T010056_F00.nc", "Sentinel-6", 14),
        ("GPM_2ADPR_V07A_20210220_039665_l2ss_subset.HDF5", "GPM", 39665)]:
    with open(os.path.join(GRANULES, name), "rb") as f:
        oid = put(f.read(), {"filename": name})
    with transaction.atomic():
        row = Swaths.objects.create(filename=name, filepath="podaac", fileext=name.rsplit(".", 1)[1],
                                    source=source, version="1", orbit=orbit, oid=oid,
                                    shape=None, overpass=None)
    row = Swaths.objects.get(pk=row.pk)
    check(row.shape is not None and row.shape.geom_type in ("Polygon", "MultiPolygon"),
          f"{source}: footprint computed by the database ({row.shape.geom_type})")
    check(row.overpass is not None, f"{source}: overpass read from the granule ({row.overpass})")
    check(len(oid) == 13 and row.oid == oid, f"{source}: the object id fits CharField(max_length=40)")

# an opaque object: a gzip'd ENVISAT MERIS Level-1 product (not netCDF)
mph = (b'PRODUCT="MER_RR__1PNPDE20030602_094231_000000982016_00394_06656_0001.N1"\n'
       b'PROC_STAGE=N\nREF_DOC="PO-RS-MDA-GS-2009_4/C"\n' + os.urandom(200000))
n1 = put(gzip.compress(mph), {"filename": "MER_RR__1PNPDE20030602_094231_000000982016_00394_06656_0001.N1.gz"})
box = Polygon(((10, 40), (25, 40), (25, 55), (10, 55), (10, 40)), srid=4326)
when = datetime.datetime(2003, 6, 2, 9, 42, 31, tzinfo=datetime.timezone.utc)
with transaction.atomic():
    row = Swaths.objects.create(filename="MER_RR__1PNPDE20030602_094231_000000982016_00394_06656_0001.N1.gz",
                                filepath="envisat/2003", fileext="gz", source="MERIS", version="1P",
                                orbit=6656, oid=n1, shape=box, overpass=when)
row = Swaths.objects.get(pk=row.pk)
check(row.shape.equals_exact(box, 1e-9) and row.overpass == when,
      "MERIS .N1.gz: shape and overpass kept as given (no file opened)")
((end, size),) = sql("SELECT overpass_end, size FROM swaths WHERE id = %s", [row.pk])
((osize,),) = sql("SELECT size FROM wos_stat(%s)", [n1])
check(end is None and size == osize, f"MERIS .N1.gz: overpass_end stays NULL, size from the object ({size})")

# missing fields on an opaque object: 23502 naming what to give
n1b = put(gzip.compress(mph[:1000]), {})
for missing, fields in [("shape", dict(shape=None, overpass=when)), ("overpass", dict(shape=box, overpass=None))]:
    try:
        with transaction.atomic():
            Swaths.objects.create(filename="x.N1.gz", filepath="", fileext="gz", source="MERIS",
                                  version="", orbit=1, oid=n1b, **fields)
        check(False, f"an opaque object without {missing} must be refused")
    except IntegrityError as e:
        diag = e.__cause__.diag
        check(e.__cause__.pgcode == "23502" and diag.column_name == missing and "Give" in diag.message_hint,
              f"no {missing} for an opaque object: 23502 on column {diag.column_name}, hint: {diag.message_hint}")

# registering an object twice keeps one row (swaths.oid is unique)
with open(os.path.join(GRANULES, "SS_VIIRS_NPP-NAVO-L2P-v3.0.nc"), "rb") as f:
    viirs = put(f.read(), {})
((a,),) = sql("SELECT id FROM swath_register(%s, 'SS_VIIRS_NPP-NAVO-L2P-v3.0.nc', 'VIIRS')", [viirs])
((b, src),) = sql("SELECT id, source FROM swath_register(%s, 'SS_VIIRS_NPP-NAVO-L2P-v3.0.nc', 'VIIRS-NAVO', '3.0')", [viirs])
check(a == b and src == "VIIRS-NAVO" and Swaths.objects.filter(oid=viirs).count() == 1,
      "swath_register twice: one row, its names updated")
try:
    with transaction.atomic():
        Swaths.objects.create(filename="dup.nc", filepath="", fileext="nc", source="VIIRS",
                              version="", orbit=1, oid=viirs, shape=None, overpass=None)
    check(False, "a second row for one object must be refused")
except IntegrityError as e:
    check(e.__cause__.pgcode == "23505", "a second ORM row for one object: 23505")

# queries through the unchanged model
arctic = Polygon.from_bbox((-175, 60, -135, 76))
arctic.srid = 4326
hits = sorted(Swaths.objects.filter(shape__intersects=arctic).values_list("source", flat=True))
check(hits == ["VIIRS-NAVO"], f"shape__intersects over the Bering/Chukchi box: {hits}")
europe = Polygon.from_bbox((15, 45, 16, 46))
europe.srid = 4326
check(list(Swaths.objects.filter(shape__intersects=europe).values_list("source", flat=True)) == ["MERIS"],
      "shape__intersects finds the MERIS row by its given shape")
rows = list(Swaths.objects.annotate(area=Area("shape")).order_by("overpass"))
check([r.source for r in rows] == ["MERIS", "VIIRS-NAVO", "GPM", "Sentinel-6"],
      f"ordered by overpass: {[r.source for r in rows]}")
check(all(1e3 < r.area.sq_km < 5e7 for r in rows), "areas are plausible")

print(f"{checks} passed, 0 failed")
