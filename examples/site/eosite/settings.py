# The example site's settings.  The database is a PostgreSQL database with
# the eoswath extension, named by the libpq environment variables (PGHOST,
# PGPORT, PGDATABASE, PGUSER; a password from ~/.pgpass), as psql finds it.
#
# This is an example to run on your own machine (runserver, DEBUG on, which
# also serves the static files): for a public site, set EOSITE_DEBUG=0,
# EOSITE_SECRET_KEY and EOSITE_HOSTS, and serve the static files and the
# WSGI application (eosite.wsgi) with a real web server.
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("EOSITE_SECRET_KEY", "eoswath-example-site-not-secret")
DEBUG = os.environ.get("EOSITE_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("EOSITE_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "archive",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "eosite.urls"
WSGI_APPLICATION = "eosite.wsgi.application"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
}]

DATABASES = {
    "default": {
        "ENGINE": "django.contrib.gis.db.backends.postgis",
        "NAME": os.environ.get("PGDATABASE", ""),
        "USER": os.environ.get("PGUSER", ""),
        "HOST": os.environ.get("PGHOST", ""),
        "PORT": os.environ.get("PGPORT", ""),
    }
}

USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "/static/"

# The variable each source's quicklook shows (swath_quicklook), and the
# value range of its colours (None: the variable's valid_min/valid_max, or
# robust percentiles); a source not named here has no quicklook.
# EOSITE_QUICKLOOK_VARIABLES adds or replaces entries:
# "source=variable;source=variable:low,high".
QUICKLOOK_VARIABLES = {
    "VIIRS": ("sea_surface_temperature", (271.0, 285.0)),
    "ASCAT": ("wind_speed", (0.0, 20.0)),
    "TROPOMI": ("PRODUCT/methane_mixing_ratio", None),
    "Sentinel-6": ("data_01/ku/swh_ocean", None),
    "Jason-1": ("swh_ku", None),
}
for item in filter(None, os.environ.get("EOSITE_QUICKLOOK_VARIABLES", "").split(";")):
    source, _, spec = item.partition("=")
    variable, _, bounds = spec.partition(":")
    QUICKLOOK_VARIABLES[source.strip()] = (
        variable.strip(), tuple(float(v) for v in bounds.split(",")) if bounds else None)

# Bytes per chunk of a download (wos_stream_get's chunk_size)
DOWNLOAD_CHUNK = 256 * 1024

# The width in pixels of a quicklook
QUICKLOOK_WIDTH = int(os.environ.get("EOSITE_QUICKLOOK_WIDTH", "1024"))

# The replication policy of the object a subset download is made in (it is
# removed when the download ends: a policy of one copy is cheapest); None:
# the default policy.
SUBSET_POLICY = os.environ.get("EOSITE_SUBSET_POLICY") or None
