# The group's GeoDjango model, pointed at the extension's table.
#
# One change from the old model: `shape` is a GeometryField.  eoswath's
# footprints are a Polygon or, for long granules and antimeridian or polar
# passes, a MultiPolygon of along-track segments; a PolygonField would
# misread the latter.
from django.contrib.gis.db import models


class Swaths(models.Model):
    filename = models.CharField('base file name', max_length=100, db_index=True)
    filepath = models.CharField('file path', max_length=100)
    fileext = models.CharField('file extension', max_length=20)
    shape = models.GeometryField('Border', spatial_index=True, srid=4326, geography=True, null=True)
    source = models.CharField(max_length=100)
    version = models.CharField(max_length=20)
    overpass = models.DateTimeField(db_index=True, null=True)
    oid = models.CharField('WOS ObjectId', max_length=40, db_index=True)
    orbit = models.IntegerField(db_index=True, null=True)

    class Meta:
        managed = False
        db_table = 'swaths'
