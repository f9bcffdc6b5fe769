# The group's GeoDjango model of the swath catalog, as the old site had it
# (test/django/seedsite/models.py, unchanged), plus the two columns of
# eoswath's table the site shows (overpass_end, size), and managed = False:
# the extension owns the table (CREATE EXTENSION eoswath makes it), so
# Django's migrations leave it alone.
#
# shape stays the seed's PolygonField, which cannot hold the MultiPolygon
# footprints eoswath computes for long, antimeridian and polar passes (GEOS
# refuses them as polygons).  The site never reads it through the field: it
# asks PostGIS for the footprint as GeoJSON (views.py) and leaves shape out
# of its queries (defer).  A site that needs GEOS objects declares shape a
# GeometryField (test/django/swathsite/models.py).
from django.contrib.gis.db import models


class Swaths(models.Model):
    filename = models.CharField('base file name', max_length=100, db_index=True)
    filepath = models.CharField('file path', max_length=100)
    fileext = models.CharField('file extension', max_length=20)
    shape = models.PolygonField('Border', spatial_index=True, srid=4326, geography=True)
    source = models.CharField(max_length=100)
    version = models.CharField(max_length=20)
    overpass = models.DateTimeField(db_index=True)
    oid = models.CharField('WOS ObjectId', max_length=40, db_index=True)
    orbit = models.IntegerField(db_index=True)
    # what the site needs besides
    overpass_end = models.DateTimeField(null=True)
    size = models.BigIntegerField(null=True)

    class Meta:
        db_table = 'swaths'
        managed = False
