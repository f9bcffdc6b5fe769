# The group's old GeoDjango model, exactly as the site had it before eoswath
# (issue 14): a PolygonField, the WOS id as a 40-character string, no
# overpass_end.  Only the table name points at the extension's catalog.
# test/django/seed_test.py checks that it works unchanged.
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

    class Meta:
        db_table = 'swaths'
