#!/usr/bin/python3
"""The example site (examples/site) end to end in headless Chromium.

    browser_test.py BASE_URL ARTIFACTS GRANULES DOWNLOADS

test/suites/site.sh starts the site on a database holding five of the real
granules (the sixth, Jason-1, is registered here while the page is open).
Checks, each of which fails the run:

  - the page loads with its map and graticule, and the browser's console
    has no error at any point (a missing favicon or script is one);
  - a box drawn with the mouse, and typed boxes with a date range, a source
    and one across the antimeridian, list exactly the swaths SQL
    swath_search() finds for the same box, in the same order;
  - a swath's metadata is shown; its granule downloads through the browser
    byte for byte; the subset of the drawn box downloads as a netCDF file
    whose valid pixels all lie in the box (python3-netcdf4), fewer than the
    granule's; and the download leaves no new object behind;
  - a quicklook overlay loads: a non-empty PNG, pixels not all transparent,
    placed on the swath's footprint (the bbox of its text chunks), and its
    legend;
  - a swath registered in the database appears on the open page (NOTIFY ->
    server-sent events) and, inside the search, in its results.

Screenshots and the console are written to ARTIFACTS.  No assertion
depends on time: waits end when the page is ready, or fail after WAIT.
"""
import fnmatch
import json
import os
import sys
import urllib.error
import urllib.request

import netCDF4
import numpy as np
import psycopg2
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE, ART, GRANULES, DOWNLOADS = sys.argv[1:5]
WAIT = 180  # the longest a step may take on a loaded machine
JASON = "JA1_GPN_2PeP001_002_20020115_060706_20020115_070316.nc"

checks = 0
console = []


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        print("FAIL:", what)
        finish(1)
    print("ok -", what)


def finish(rc):
    try:
        shot("last")
        read_console()
        with open(os.path.join(ART, "console.json"), "w") as f:
            json.dump(console, f, indent=1)
        driver.quit()
    except Exception as e:  # the browser may be what failed
        print("(could not save the last screenshot:", e, ")")
    if rc == 0:
        print(f"{checks} passed, 0 failed")
    sys.exit(rc)


db = psycopg2.connect(options="-c TimeZone=UTC")  # days are UTC days, as the site's
db.autocommit = True


def sql(q, args=()):
    with db.cursor() as cur:
        cur.execute(q, args)
        return cur.fetchall()


# ---------------------------------------------------------------------------
# the browser
# ---------------------------------------------------------------------------
opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for arg in ("--headless=new", "--window-size=1400,900", "--disable-dev-shm-usage",
            "--disable-gpu", "--no-first-run", "--lang=en-US"):
    opts.add_argument(arg)
if os.geteuid() == 0:
    opts.add_argument("--no-sandbox")  # Chromium's sandbox refuses to run as root
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
opts.add_experimental_option("prefs", {
    "download.default_directory": DOWNLOADS, "download.prompt_for_download": False})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": DOWNLOADS})
wait = WebDriverWait(driver, WAIT, poll_frequency=0.2)


def shot(name):
    path = os.path.join(ART, f"{name}.png")
    driver.save_screenshot(path)
    return path


def read_console():
    console.extend(driver.get_log("browser"))
    return [e for e in console if e["level"] == "SEVERE"]


def js(script, *args):
    return driver.execute_script(script, *args)


def until(cond, what):
    try:
        return wait.until(lambda d: cond())
    except TimeoutException:
        check(False, f"{what} (waited {WAIT} s)")


def results():
    return [int(li.get_attribute("data-id"))
            for li in driver.find_elements(By.CSS_SELECTOR, "#results li")]


def searched():
    """Wait for the search the page started, and return the ids it lists."""
    until(lambda: js("return document.getElementById('status').dataset.state") in ("done", "error"),
          "the search ends")
    state, text = js("const s = document.getElementById('status'); return [s.dataset.state, s.textContent]")
    check(state == "done", f"the search succeeds: {text}")
    return results()


def expected(w, s, e, n, start=None, end=None, source=None):
    """The ids swath_search() finds for the box (the days start..end included)."""
    if w < e:
        region = "ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326)"
    else:  # across the antimeridian
        region = ("ST_Collect(ST_MakeEnvelope(%(w)s, %(s)s, 180, %(n)s, 4326), "
                  "ST_MakeEnvelope(-180, %(s)s, %(e)s, %(n)s, 4326))")
    rows = sql(f"""SELECT id FROM swath_search(ST_Segmentize({region}, 1)::geography,
                                               %(start)s::date, %(end)s::date + 1, %(source)s)
                   ORDER BY overpass, id""",
               dict(w=w, s=s, e=e, n=n, start=start, end=end, source=source))
    return [r[0] for r in rows]


def page_box():
    return [float(driver.find_element(By.NAME, k).get_attribute("value"))
            for k in ("west", "south", "east", "north")]


def type_search(w, s, e, n, start="", end="", source=""):
    for name, value in zip(("west", "south", "east", "north"), (w, s, e, n)):
        el = driver.find_element(By.NAME, name)
        el.clear()
        el.send_keys(str(value))
    # a date input takes typed digits in the locale's order: set it instead
    js("arguments[0].value = arguments[1]; arguments[2].value = arguments[3];",
       driver.find_element(By.NAME, "from"), start, driver.find_element(By.NAME, "to"), end)
    sel = Select(driver.find_element(By.NAME, "source"))
    if source:
        sel.select_by_visible_text(source)
    else:
        sel.select_by_value("")
    js("document.getElementById('status').dataset.state = 'typing'")
    driver.find_element(By.ID, "go").click()
    return searched()


def draw_box(w, s, e, n):
    """Drag a box on the map with the mouse, from its north-west corner."""
    driver.find_element(By.ID, "draw").click()
    js("document.getElementById('status').dataset.state = 'drawing'")
    m = driver.find_element(By.ID, "map")
    cx, cy = m.size["width"] / 2, m.size["height"] / 2
    pts = [js("const p = eosite.map.latLngToContainerPoint([arguments[0], arguments[1]]); return [p.x, p.y];",
              lat, lon) for lat, lon in ((n, w), (s, e))]
    (x0, y0), (x1, y1) = pts
    chain = ActionChains(driver).move_to_element_with_offset(m, int(x0 - cx), int(y0 - cy)).click_and_hold()
    for i in range(1, 5):  # a few moves, as a hand makes them
        chain.move_to_element_with_offset(m, int(x0 + (x1 - x0) * i / 4 - cx), int(y0 + (y1 - y0) * i / 4 - cy))
    chain.release().perform()
    return searched()


def download(link_id, pattern):
    """Click a download link; wait for the finished file."""
    before = set(os.listdir(DOWNLOADS))
    driver.find_element(By.ID, link_id).click()

    def done():
        new = [f for f in set(os.listdir(DOWNLOADS)) - before if fnmatch.fnmatch(f, pattern)]
        partial = [f for f in os.listdir(DOWNLOADS) if f.endswith(".crdownload")]
        return new[0] if new and not partial else None
    name = until(done, f"the download of {pattern} finishes")
    return os.path.join(DOWNLOADS, name)


def http_status(path):
    try:
        with urllib.request.urlopen(BASE + path, timeout=WAIT) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


# ---------------------------------------------------------------------------
# 1. the page
# ---------------------------------------------------------------------------
driver.get(BASE)
until(lambda: js("return !!(window.eosite && document.querySelector('.leaflet-overlay-pane svg'))"),
      "the map is drawn")
check(driver.title == "Swath archive", f"title: {driver.title}")
lines = js("return document.querySelectorAll('.leaflet-overlay-pane path').length")
check(lines >= 37 + 19, f"the graticule is drawn ({lines} lines; no tiles from the internet)")
until(lambda: js("return document.getElementById('map').dataset.land") == "shown",
      "the land (Natural Earth, vendored by make vendor) is drawn")
check(js("return document.querySelectorAll('.leaflet-land-pane path').length") > 0, "land polygons on the map")
until(lambda: js("return performance.getEntriesByType('resource').some(r => r.name.includes('favicon'))"),
      "the favicon is fetched")
check(not read_console(), f"no console errors after the page loaded: {read_console()}")
all_ids = [r[0] for r in sql("SELECT id FROM swaths")]
check(len(all_ids) == 5, "five swaths registered")

# ---------------------------------------------------------------------------
# 2. searches, each against swath_search()
# ---------------------------------------------------------------------------
# a box drawn with the mouse across part of the VIIRS granule (Chukchi Sea)
got = draw_box(-165, 64, -150, 70)
box = page_box()
check(all(abs(a - b) < 1.5 for a, b in zip(box, (-165, 64, -150, 70))),
      f"the drawn box is the box asked for, to a pixel: {box}")
want = expected(*box)
check(got == want, f"drawn box: the page lists what swath_search finds: {got} == {want}")
viirs = sql("SELECT id FROM swaths WHERE source = 'VIIRS'")[0][0]
check(viirs in want and 0 < len(want) < len(all_ids), "the box finds VIIRS and not every swath")
drawn = js("return eosite.footprints.getLayers().length")
check(drawn == len(want), f"one footprint on the map per swath found ({drawn})")
shot("search-drawn")

# typed: the Southern Ocean; then the same box on the day of the GPM pass; a source
sbox = (-70, -66, -20, -52)
got = type_search(*sbox)
want = expected(*sbox)
check(got == want and len(want) >= 2, f"typed box: {got} == {want}")
got = type_search(*sbox, start="2021-02-20", end="2021-02-20")
want_day = expected(*sbox, "2021-02-20", "2021-02-20")
check(got == want_day, f"typed box and dates: {got} == {want_day}")
check(0 < len(want_day) < len(want), "the dates narrow the search")
got = type_search(*sbox, source="ASCAT")
want_src = expected(*sbox, source="ASCAT")
check(got == want_src and len(want_src) == 1, f"typed box and source: {got} == {want_src}")
# across the antimeridian (west > east)
got = type_search(170, -30, -170, 30)
want = expected(170, -30, -170, 30)
check(got == want and len(want) >= 1, f"box across the antimeridian: {got} == {want}")
check(http_status("api/search?bbox=1,2,3") == 400, "a malformed box is refused with 400")
check(http_status("api/search?bbox=0,0,10,10&from=2021-02-21&to=2021-02-20") == 400,
      "dates in the wrong order are refused with 400")

# ---------------------------------------------------------------------------
# 3. metadata and downloads of the VIIRS swath, subset to the drawn box
# ---------------------------------------------------------------------------
box = (-165, 64, -150, 70)
type_search(*box)
driver.find_element(By.CSS_SELECTOR, f'#results li[data-id="{viirs}"]').click()
until(lambda: driver.find_element(By.ID, "details").is_displayed(), "the details are shown")
meta = {tr.find_element(By.TAG_NAME, "th").text: tr.find_element(By.TAG_NAME, "td").text
        for tr in driver.find_elements(By.CSS_SELECTOR, "#d-meta tr")}
row = sql("SELECT oid::text, source, size FROM swaths WHERE id = %s", [viirs])[0]
check(meta.get("object") == row[0] and meta.get("source") == row[1] and meta.get("size") == f"{row[2]} bytes",
      f"the metadata of the swath: {meta}")

path = download("d-granule", "SS_VIIRS_NPP-NAVO-L2P-v3.0.nc")
with open(path, "rb") as a, open(os.path.join(GRANULES, "SS_VIIRS_NPP-NAVO-L2P-v3.0.nc"), "rb") as b:
    check(a.read() == b.read(), "the granule downloads byte for byte")

def site_files():
    """The files on the directory sites (the server runs as this user)."""
    data = sql("SHOW data_directory")[0][0]
    return sorted(os.path.join(d, f) for (loc,) in sql("SELECT location FROM wos_sites WHERE kind = 'dir'")
                  for d, _, fs in os.walk(os.path.join(data, loc)) for f in fs)


objects, files = sql("SELECT count(*) FROM eoswath.objects")[0][0], site_files()
check(len(files) >= 6, f"the granules' files are on the sites ({len(files)} files)")
path = download("d-subset", "SS_VIIRS_NPP-NAVO-L2P-v3.0_subset_*.nc")
check(sql("SELECT count(*) FROM eoswath.objects")[0][0] == objects and site_files() == files,
      f"the subset download leaves no object behind ({objects} objects, {len(files)} files on the sites)")
# quality_level is set for every pixel of the granule, sea_surface_temperature
# for the clear sea only; outside the box, the subset has fill
with netCDF4.Dataset(path) as nc:
    check(nc.data_model == "NETCDF4", f"the subset is netCDF-4 ({nc.data_model})")
    lat, lon = np.asarray(nc["lat"][:]), np.asarray(nc["lon"][:])
    cut = {v: ~np.ma.getmaskarray(nc[v][:][0]) for v in ("quality_level", "sea_surface_temperature")}
with netCDF4.Dataset(os.path.join(GRANULES, "SS_VIIRS_NPP-NAVO-L2P-v3.0.nc")) as nc:
    whole = {v: int(np.ma.count(nc[v][:])) for v in cut}
w, s, e, n = box
for v, valid in cut.items():
    got = int(valid.sum())
    check(0 < got < whole[v], f"the subset keeps some {v} pixels, fewer than the granule: {got} of {whole[v]}")
    la, lo = lat[valid], lon[valid]
    check(bool(np.all((la >= s) & (la <= n) & (lo >= w) & (lo <= e))),
          f"every {v} pixel of the subset lies in the box: lat {la.min():.3f}..{la.max():.3f}, "
          f"lon {lo.min():.3f}..{lo.max():.3f}")
check(http_status(f"swath/{viirs}/subset?bbox=0,0,10,10") == 404, "a subset outside the swath is 404")
check(sql("SELECT count(*) FROM eoswath.objects")[0][0] == objects and site_files() == files,
      "and leaves no object behind either")

# ---------------------------------------------------------------------------
# 4. the quicklook overlay
# ---------------------------------------------------------------------------
if True:
    driver.find_element(By.ID, "d-quicklook").click()
    until(lambda: js("return document.getElementById('d-quicklook-info').dataset.state") in ("shown", "error"),
          "the quicklook is loaded")
    info = driver.find_element(By.ID, "d-quicklook-info")
    check(info.get_attribute("data-state") == "shown", f"the quicklook is shown: {info.text}")
    until(lambda: js("const i = document.querySelector('img.quicklook'); return i && i.complete"),
          "the overlay image is decoded")
    size, opaque = js("""
        const img = document.querySelector('img.quicklook');
        const c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight;
        const g = c.getContext('2d');
        g.drawImage(img, 0, 0);
        const px = g.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
        return [[img.naturalWidth, img.naturalHeight], n];""")
    check(size[0] > 0 and size[1] > 0 and opaque > 0,
          f"the quicklook is a non-empty picture: {size[0]}x{size[1]}, {opaque} pixels not transparent")
    qw, qs, qe, qn = (float(v) for v in info.get_attribute("data-bbox").split(","))
    fx = sql("""SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g)
                  FROM (SELECT shape::geometry g FROM swaths WHERE id = %s) x""", [viirs])[0]
    check(qw < fx[2] and qe > fx[0] and qs < fx[3] and qn > fx[1]
          and abs((qe - qw) - (fx[2] - fx[0])) < 5 and abs((qn - qs) - (fx[3] - fx[1])) < 5,
          f"the overlay lies on the footprint: bbox {qw, qs, qe, qn}, footprint {fx}")
    until(lambda: js("const l = document.getElementById('d-legend'); return !l.hidden && l.complete && l.naturalWidth > 0"),
          "the quicklook's legend (swath_quicklook_legend) is shown")
    check(http_status("legend.png?colormap=viridis&range=1") == 400, "a legend without a range is 400")
    check(http_status("legend.png?colormap=nosuch&range=0,1") == 400, "a legend of an unknown colormap is 400")
    shot("quicklook")

    def overlay():
        until(lambda: js("return document.getElementById('d-quicklook-info').dataset.state") in ("shown", "error")
              and js("const i = document.querySelector('img.quicklook'); return !!(i && i.complete)"),
              "the quicklook is loaded")
        return js("""
            const img = document.querySelector('img.quicklook');
            if (!img || !img.complete) return [0, null];
            const c = document.createElement('canvas');
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            const g = c.getContext('2d');
            g.drawImage(img, 0, 0);
            const px = g.getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
            return [n, document.getElementById('d-quicklook-info').dataset.bbox];""")

    # a full orbit across the antimeridian and both poles: the whole world
    type_search(-100, -60, 20, 60, source="ASCAT")
    ascat = sql("SELECT id FROM swaths WHERE source = 'ASCAT'")[0][0]
    driver.find_element(By.CSS_SELECTOR, f'#results li[data-id="{ascat}"]').click()
    n, qbox = overlay()
    check(n > 10000 and qbox is not None and qbox.split(",")[0::2] == ["-180", "180"],
          f"ASCAT's full orbit: a world-wide quicklook ({n} pixels not transparent, bbox {qbox})")
    shot("overview")

# ---------------------------------------------------------------------------
# 5. live: a swath registered now appears on the open page
# ---------------------------------------------------------------------------
type_search(-180, -60, 0, 60)
before = results()
until(lambda: js("return eosite.events.readyState") == 1, "the page listens for new swaths")
sql("""SELECT swath_register(wos_put(pg_read_binary_file(%s)), %s, 'Jason-1', '1', 2)""",
    [os.path.join(GRANULES, JASON), JASON])
jid = sql("SELECT id FROM swaths WHERE filename = %s", [JASON])[0][0]
until(lambda: driver.find_elements(By.CSS_SELECTOR, f'#live li[data-id="{jid}"]'),
      "the new swath appears in the live list")
want = expected(-180, -60, 0, 60)
check(jid in want, "the new swath is inside the search")
until(lambda: jid in results(), "the new swath joins the results")
check(sorted(results()) == sorted(want) and sorted(before + [jid]) == sorted(want),
      f"the results are swath_search's again: {sorted(results())} == {sorted(want)}")
shot("live")

check(not read_console(), f"no console errors at all: {[e['message'] for e in read_console()]}")
finish(0)
