"""The example site's views: the page, a search, one swath, downloads,
quicklooks and the server-sent events of new swaths.

Everything the archive does happens in SQL (swath_search, wos_stream_get,
swath_subset_store, swath_quicklook); the views only turn requests into
those calls and their results into HTTP.
"""
import datetime
import functools
import json
import math
import re
import select

import psycopg2
from django.conf import settings
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.core.exceptions import BadRequest
from django.db import DataError, connection, connections, transaction
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from .models import Swaths

# at most this many swaths in one answer (the page says when there are more)
MAX_RESULTS = 500


# ---------------------------------------------------------------------------
# Requests: the region (a lon/lat box), the dates and the source
# ---------------------------------------------------------------------------

def get_only(view):
    """GET only; a request the view cannot take (BadRequest) is a 400 whose
    text says why, which the page shows."""
    @require_GET
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except BadRequest as e:
            return HttpResponse(f"{e}\n", status=400, content_type="text/plain")
    return wrapped


class Query:
    """The search a request asks for: ?bbox=W,S,E,N&from=DATE&to=DATE&source=S.

    The box is drawn on the map; W > E is a box across the antimeridian.
    Dates are whole UTC days, both included.
    """

    def __init__(self, params, need_bbox=True):
        self.bbox = parse_bbox(params.get("bbox", ""), need_bbox)
        self.start = parse_date(params.get("from"), "from")
        end = parse_date(params.get("to"), "to")
        if self.start and end and self.start > end:
            raise BadRequest('"from" is after "to"')
        # swath_search's window is [from, to): the day after "to"
        self.end = end + datetime.timedelta(days=1) if end else None
        self.source = params.get("source") or None

    def east_unwrapped(self):
        """east, past +180 when the box crosses the antimeridian"""
        w, s, e, n = self.bbox
        return e if w < e else e + 360.0

    def subset_ewkt(self):
        """The box as a geometry (straight lon/lat edges), east edge past +180
        when it crosses the antimeridian, as swath_subset() takes it."""
        w, s, e, n = self.bbox
        return f"SRID=4326;{polygon(w, s, self.east_unwrapped(), n)}"

    def search_ewkt(self):
        """The box as the region of swath_search (a geography, whose polygons
        must each fit in a hemisphere): cut at +180 and into cells at most 90
        degrees wide, and at the equator when it is taller than 90 degrees."""
        w, s, e, n = self.bbox
        e = self.east_unwrapped()
        lons = []
        for a, b in ((w, min(e, 180.0)), (180.0, e)):
            if b > a:
                k = math.ceil((b - a) / 90.0)
                lons += [(a + (b - a) * i / k, a + (b - a) * (i + 1) / k) for i in range(k)]
        lats = [(s, 0.0), (0.0, n)] if s < 0 < n and n - s > 90 else [(s, n)]
        cells = [polygon(a - 360 * (a >= 180), c, b - 360 * (a >= 180), d)[7:]
                 for a, b in lons for c, d in lats]
        return f"SRID=4326;MULTIPOLYGON({','.join(cells)})"

    def search_args(self):
        return [self.search_ewkt(), self.start, self.end, self.source]

    def bbox_text(self):
        return ",".join(repr(v) for v in self.bbox)


# The region of a search as a geography: the box (in cells, see
# Query.search_ewkt) with its edges cut into pieces of at most one degree, so
# that the great-circle edges of a geography follow the box drawn on the
# (lon/lat) map.  test/site/browser_test.py
# checks the page against swath_search() with this region.
SEARCH_REGION = "ST_Segmentize(ST_GeomFromEWKT(%s), 1)::geography"
# (the footprint as GeoJSON: see models.py for why not through the field)
SEARCH_SQL = ("SELECT id, filename, filepath, fileext, ST_AsGeoJSON(shape, 5) AS geojson, source,"
              " version, overpass,"
              " oid::text AS oid, orbit, overpass_end, size"
              f" FROM swath_search({SEARCH_REGION}, %s, %s, %s)")


def polygon(w, s, e, n):
    return f"POLYGON(({w!r} {s!r},{e!r} {s!r},{e!r} {n!r},{w!r} {n!r},{w!r} {s!r}))"


def parse_bbox(text, required=True):
    if not text and not required:
        return None
    try:
        w, s, e, n = (float(v) for v in text.split(","))
    except ValueError:
        raise BadRequest("bbox must be four numbers: west,south,east,north")
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise BadRequest("bbox must be finite")
    # a box from +180 eastwards starts at -180; one to -180 ends at +180
    w = -180.0 if w == 180 else w
    e = 180.0 if e == -180 else e
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s < n <= 90 and w != e):
        raise BadRequest("bbox: longitudes in -180..180 (west > east crosses the antimeridian), "
                         "latitudes in -90..90 with south < north")
    return w, s, e, n


def parse_date(text, name):
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f'"{name}" must be a date (YYYY-MM-DD)')


# ---------------------------------------------------------------------------
# Swaths as GeoJSON Features
# ---------------------------------------------------------------------------

def with_geojson():
    """The swaths, their footprint as GeoJSON (geojson) instead of shape."""
    return Swaths.objects.defer("shape").annotate(geojson=AsGeoJSON("shape", precision=5))


def feature(s, query=None):
    """A swath as a GeoJSON Feature: footprint, metadata and the site's links."""
    props = {
        "id": s.pk, "filename": s.filename, "filepath": s.filepath, "source": s.source,
        "version": s.version, "orbit": s.orbit, "oid": s.oid, "size": s.size,
        "overpass": s.overpass.isoformat() if s.overpass else None,
        "overpass_end": s.overpass_end.isoformat() if s.overpass_end else None,
        "granule_url": reverse("granule", args=[s.pk]),
        "quicklook_url": None,
        "quicklook_variable": settings.QUICKLOOK_VARIABLES.get(s.source, (None,))[0],
    }
    if props["quicklook_variable"]:
        props["quicklook_url"] = reverse("quicklook", args=[s.pk])
    if query and query.bbox:
        props["subset_url"] = reverse("subset", args=[s.pk]) + "?bbox=" + query.bbox_text()
    return {"type": "Feature", "id": s.pk,
            "geometry": json.loads(s.geojson) if s.geojson else None,
            "properties": props}


@get_only
def index(request):
    sources = Swaths.objects.order_by("source").values_list("source", flat=True).distinct()
    return render(request, "archive/index.html", {"sources": list(sources)})


@get_only
def search(request):
    """The swaths of a search, as a GeoJSON FeatureCollection (swath_search)."""
    query = Query(request.GET)
    rows = list(Swaths.objects.raw(SEARCH_SQL + " ORDER BY overpass, id LIMIT %s",
                                   query.search_args() + [MAX_RESULTS + 1]))
    return JsonResponse({
        "type": "FeatureCollection",
        "features": [feature(s, query) for s in rows[:MAX_RESULTS]],
        "truncated": len(rows) > MAX_RESULTS,
    })


@get_only
def swath(request, pk):
    """One swath as a Feature; with a search's parameters, also whether the
    search finds it (in_search), for the swaths the live updates announce."""
    s = get_object_or_404(with_geojson(), pk=pk)
    query = Query(request.GET, need_bbox=False)
    out = feature(s, query)
    if query.bbox:
        with connection.cursor() as cur:
            cur.execute(f"SELECT EXISTS (SELECT 1 FROM ({SEARCH_SQL}) x WHERE x.id = %s)",
                        query.search_args() + [pk])
            out["properties"]["in_search"] = cur.fetchone()[0]
    return JsonResponse(out)


# ---------------------------------------------------------------------------
# Downloads: streamed with wos_stream_get through a server-side cursor
# ---------------------------------------------------------------------------

def own_connection():
    """A psycopg2 connection of the site's own for one streaming response
    (Django's connection belongs to the request, which ends before the
    streaming does)."""
    return psycopg2.connect(**connections["default"].get_connection_params())


def stream_object(conn, oid, size, filename):
    """The object's bytes, chunk by chunk, as they come from the database.

    The cursor is a server-side one (DECLARE ... CURSOR): wos_stream_get
    yields one chunk per row and the site fetches a few rows at a time, so
    neither the database nor the site holds the object.  At the end (or when
    the client goes away) the transaction is rolled back: that is what
    removes a subset made for this download (see subset()).
    """
    cur = conn.cursor(name="eosite_download")
    cur.itersize = 4
    cur.execute("SELECT wos_stream_get(%s::wosoid, %s)", [oid, settings.DOWNLOAD_CHUNK])

    def chunks():
        try:
            for (chunk,) in cur:
                yield bytes(chunk)
        finally:
            conn.rollback()
            conn.close()

    ext = filename.rsplit(".", 1)[-1].lower()
    kind = {"nc": "application/x-netcdf", "nc4": "application/x-netcdf",
            "hdf5": "application/x-hdf5", "h5": "application/x-hdf5"}.get(ext, "application/octet-stream")
    resp = StreamingHttpResponse(chunks(), content_type=kind)
    resp["Content-Length"] = str(size)
    resp["Content-Disposition"] = f'attachment; filename="{safe_name(filename)}"'
    return resp


def safe_name(name):
    return re.sub(r"[^A-Za-z0-9._+-]", "_", name.rsplit("/", 1)[-1]) or "download"


@get_only
def granule(request, pk):
    """The whole granule, as stored."""
    s = get_object_or_404(Swaths.objects.defer("shape"), pk=pk)
    conn = own_connection()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT size FROM wos_stat(%s::wosoid)", [s.oid])
            size = cur.fetchone()[0]
        return stream_object(conn, s.oid, size, s.filename)
    except BaseException:
        conn.close()
        raise


@get_only
def subset(request, pk):
    """The part of the granule inside the drawn box, as netCDF-4.

    swath_subset() would return the subset as one bytea (whole, in the
    backend's memory and the site's), so the subset is made with
    swath_subset_store(), which streams it into an object, in a transaction
    that is never committed: wos_stream_get streams that object to the
    client, and the rollback at the end removes it again.  No download leaves
    an object behind, and memory stays bounded for subsets of any size.  The
    cost is writing the subset once to the store (with the copies of
    EOSITE_SUBSET_POLICY's policy, default: the default policy).  The box
    has straight lon/lat edges (a geometry), exactly the box on the map.
    """
    s = get_object_or_404(Swaths.objects.defer("shape"), pk=pk)
    query = Query(request.GET)
    conn = own_connection()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT o::text, (wos_stat(o)).size FROM "
                        "swath_subset_store(%s::wosoid, ST_GeomFromEWKT(%s), %s) o",
                        [s.oid, query.subset_ewkt(), settings.SUBSET_POLICY])
            oid, size = cur.fetchone()
        if oid is None:
            conn.close()
            return HttpResponse("No pixel of this swath lies inside the region.\n",
                                status=404, content_type="text/plain")
        stem = s.filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        name = f"{stem}_subset_{query.bbox_text().replace(',', '_')}.nc"
        return stream_object(conn, oid, size, name)
    except BaseException:
        conn.close()
        raise


# ---------------------------------------------------------------------------
# Quicklooks
# ---------------------------------------------------------------------------

@get_only
def quicklook(request, pk):
    """A PNG of the source's quicklook variable (settings.QUICKLOOK_VARIABLES);
    its bbox is in its text chunks, which the page reads."""
    s = get_object_or_404(Swaths.objects.defer("shape"), pk=pk)
    if s.source not in settings.QUICKLOOK_VARIABLES:
        return HttpResponse(f"No quicklook variable for source {s.source}.\n",
                            status=404, content_type="text/plain")
    variable, value_range = settings.QUICKLOOK_VARIABLES[s.source]
    with connection.cursor() as cur:
        # plate carree, the map's projection, also for polar swaths
        cur.execute("SELECT swath_quicklook(%s::wosoid, %s, width => %s, value_range => %s::float8[],"
                    " projection => 'equirectangular')",
                    [s.oid, variable, settings.QUICKLOOK_WIDTH, list(value_range) if value_range else None])
        png = cur.fetchone()[0]
    if png is None:
        return HttpResponse("No pixel to show.\n", status=404, content_type="text/plain")
    resp = HttpResponse(bytes(png), content_type="image/png")
    # an object's bytes never change, nor does its picture
    resp["Cache-Control"] = "max-age=86400"
    return resp


@get_only
def legend(request):
    """The colour bar of a quicklook: ?colormap=NAME&range=LO,HI&units=TEXT,
    as the quicklook's text chunks give them (swath_quicklook_legend)."""
    try:
        lo, hi = (float(v) for v in request.GET.get("range", "").split(","))
    except ValueError:
        raise BadRequest("range must be two numbers: low,high")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise BadRequest("range must be finite")
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT swath_quicklook_legend(%s, ARRAY[%s, %s]::float8[], %s, 256)",
                        [request.GET.get("colormap", "viridis"), lo, hi, request.GET.get("units") or None])
            png = cur.fetchone()[0]
    except DataError as e:  # an unknown colormap, say
        raise BadRequest(str(e).splitlines()[0])
    resp = HttpResponse(bytes(png), content_type="image/png")
    resp["Cache-Control"] = "max-age=86400"
    return resp


# ---------------------------------------------------------------------------
# Live updates: the NOTIFYs of new swaths as server-sent events
# ---------------------------------------------------------------------------

@get_only
def events(request):
    """text/event-stream: an event "swath" for every new row of the catalog.

    The table's trigger swaths_notify sends NOTIFY eoswath_swaths with a JSON
    payload (id, oid, filename, source, ...); this view LISTENs on its own
    connection and passes each payload on.  A comment line every 15 seconds
    keeps proxies from closing the stream and finds clients that went away.
    """
    conn = own_connection()
    conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
    conn.cursor().execute("LISTEN eoswath_swaths")

    def stream():
        try:
            # the browser reconnects after 3 s if the stream breaks
            yield "retry: 3000\n: listening\n\n"
            while True:
                if not select.select([conn], [], [], 15)[0]:
                    yield ": keep-alive\n\n"
                    continue
                conn.poll()
                while conn.notifies:
                    n = conn.notifies.pop(0)
                    yield f"event: swath\ndata: {n.payload}\n\n"
        finally:
            conn.close()

    resp = StreamingHttpResponse(stream(), content_type="text/event-stream")
    resp["Cache-Control"] = "no-cache"
    resp["X-Accel-Buffering"] = "no"
    return resp
