# Minimal GeoDjango settings for eoswath's client test: the database is the
# throwaway cluster the test harness started (libpq environment variables).
import os

SECRET_KEY = "eoswath-test-only"
INSTALLED_APPS = ["django.contrib.gis", "swathsite", "seedsite"]
DATABASES = {
    "default": {
        "ENGINE": "django.contrib.gis.db.backends.postgis",
        "NAME": os.environ.get("PGDATABASE", "postgres"),
        "USER": os.environ.get("EOSWATH_DJANGO_USER", os.environ.get("PGUSER", "")),
        "HOST": os.environ.get("PGHOST", ""),
        "PORT": os.environ.get("PGPORT", ""),
    }
}
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
