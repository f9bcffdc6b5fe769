#!/usr/bin/python3
"""eoswath from a real GeoDjango app (Debian's Django, psycopg2, GDAL, GEOS).

Puts real granules through the connection (the object API), creates swath
rows through the ORM (footprint and overpass filled by the database), filters
with shape__intersects and shape__dwithin, annotates area, orders by overpass,
and receives the NOTIFY of a new swath.  Exits non-zero on the first failure.
"""
import json
import os
import select
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "swathsite.settings")

import django  # noqa: E402

django.setup()

from django.contrib.gis.db.models.functions import Area  # noqa: E402
from django.contrib.gis.geos import GEOSGeometry, Point, Polygon  # noqa: E402
from django.contrib.gis.measure import D  # noqa: E402
from django.db import connection, transaction  # noqa: E402
import psycopg2  # noqa: E402

from swathsite.models import Swaths  # noqa: E402

SHARED = os.environ["EOSWATH_SHARED"]
GRANULES = os.path.join(SHARED, "data", "swaths")
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok -", what)


def put(path, meta):
    with open(path, "rb") as f:
        data = f.read()
    with connection.cursor() as cur:
        cur.execute("SELECT wos_put(%s, %s::jsonb, 'default')::text",
                    [psycopg2.Binary(data), json.dumps(meta)])
        return cur.fetchone()[0]


# a listener on its own connection, like the web site's worker
listener = psycopg2.connect("")
listener.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
listener.cursor().execute("LISTEN eoswath_swaths")

granules = {
    "S6A_P4_2__HR_RED__NR_014_192_20210403T005056_20210403T010056_F00.nc": ("Sentinel-6", "F00", 14),
    "SS_VIIRS_NPP-NAVO-L2P-v3.0.nc": ("VIIRS", "3.0", None),
    "GPM_2ADPR_V07A_20210220_039665_l2ss_subset.HDF5": ("GPM", "V07A", 39665),
}
ids = {}
for name, (source, version, orbit) in granules.items():
    oid = put(os.path.join(GRANULES, name), {"filename": name})
    with transaction.atomic():
        row = Swaths.objects.create(filename=name, filepath="podaac", fileext=name.rsplit(".", 1)[1],
                                    source=source, version=version, orbit=orbit, oid=oid,
                                    shape=None, overpass=None)
    ids[name] = row.pk
    row.refresh_from_db()
    check(row.shape is not None and row.shape.geom_type in ("Polygon", "MultiPolygon"),
          f"{source}: footprint filled by the database ({row.shape.geom_type if row.shape else None})")
    check(row.overpass is not None, f"{source}: overpass filled from the granule ({row.overpass})")

# notifications: one per new row, with the documented JSON payload
got = []
deadline = 50
while len(got) < 3 and deadline > 0:
    if select.select([listener], [], [], 0.1)[0]:
        listener.poll()
        while listener.notifies:
            got.append(json.loads(listener.notifies.pop(0).payload))
    deadline -= 1
check(len(got) == 3, "three NOTIFYs on channel eoswath_swaths")
check({g["id"] for g in got} == set(ids.values()), "NOTIFY payloads name the new rows")
check(all(g["op"] == "insert" and g["oid"] and g["source"] for g in got), "payload has op, oid, source")

# spatial filters
arctic = Polygon.from_bbox((-175, 60, -135, 76))
arctic.srid = 4326
hits = list(Swaths.objects.filter(shape__intersects=arctic).values_list("source", flat=True))
check(hits == ["VIIRS"], f"shape__intersects over the Bering/Chukchi box finds VIIRS only: {hits}")

drake = Point(-45, -60, srid=4326)
near = list(Swaths.objects.filter(shape__dwithin=(drake, D(km=500))).values_list("source", flat=True))
check(near == ["GPM"], f"shape__dwithin 500 km of (-45, -60) finds GPM only: {near}")
far = Swaths.objects.filter(shape__dwithin=(Point(0, 0, srid=4326), D(km=500))).count()
check(far == 0, "nothing within 500 km of (0, 0)")

# area annotation (square metres on the spheroid) and ordering by overpass
rows = list(Swaths.objects.annotate(area=Area("shape")).order_by("overpass"))
check([r.source for r in rows] == ["VIIRS", "GPM", "Sentinel-6"], f"ordered by overpass: {[r.source for r in rows]}")
for r in rows:
    km2 = r.area.sq_km
    check(1e3 < km2 < 5e7, f"{r.source}: area {km2:.0f} km2 is plausible")

# the object API through the ORM's connection: the granule comes back whole
with connection.cursor() as cur:
    oid = Swaths.objects.get(source="GPM").oid
    cur.execute("SELECT wos_get(%s)", [oid])
    data = bytes(cur.fetchone()[0])
with open(os.path.join(GRANULES, "GPM_2ADPR_V07A_20210220_039665_l2ss_subset.HDF5"), "rb") as f:
    check(data == f.read(), "wos_get returns the granule bit for bit")

# deleting the object of a catalogued swath is refused; the row stays
try:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT wos_delete(%s)", [oid])
    check(False, "wos_delete of a catalogued granule must fail")
except django.db.utils.IntegrityError as e:
    check("swaths" in str(e), "wos_delete of a catalogued granule refused (foreign key)")
check(Swaths.objects.filter(oid=oid).count() == 1, "the swath row is still there")

# swath_search through raw SQL, as the site's search page does
with connection.cursor() as cur:
    cur.execute("SELECT source FROM swath_search(ST_GeogFromText(%s), %s, %s)",
                [arctic.wkt, "2000-01-01", "2100-01-01"])
    check([r[0] for r in cur.fetchall()] == ["VIIRS"], "swath_search finds VIIRS")

print(f"{checks} passed, 0 failed")
