// The example site's page: a map of the archive, a search, a swath's
// metadata, downloads and quicklook, and the new swaths as they arrive.
//
// The map is plate carree (Leaflet's EPSG:4326), the projection of the
// quicklooks, with no tiles: its background is Natural Earth's land
// polygons (a file make vendor fetches) and a graticule drawn here.
(function () {
  "use strict";

  const form = document.getElementById("search");
  const statusLine = document.getElementById("status");
  const resultList = document.getElementById("results");
  const liveList = document.getElementById("live");

  const map = L.map("map", {
    crs: L.CRS.EPSG4326, center: [0, 0], zoom: 1, minZoom: 0, maxZoom: 9,
    attributionControl: false, zoomSnap: 0.25,
  });
  map.fitBounds([[-90, -180], [90, 180]]);

  // ---- land (Natural Earth, vendored at build time) under everything ----
  map.createPane("land").style.zIndex = 350;
  fetch(document.getElementById("map").dataset.land)
    .then((r) => { if (!r.ok) throw new Error(`${r.status}`); return r.json(); })
    .then((land) => {
      L.geoJSON(land, {
        pane: "land", interactive: false,
        style: { color: "#a39a84", weight: 0.6, fillColor: "#f2eee3", fillOpacity: 1 },
      }).addTo(map);
      map.getContainer().dataset.land = "shown";
    })
    .catch((err) => { console.warn(`no coastline: ${err.message}`); });

  // ---- graticule: every 10 degrees, labelled every 30 ----
  const graticule = L.layerGroup().addTo(map);
  for (let lon = -180; lon <= 180; lon += 10) {
    L.polyline([[-90, lon], [90, lon]], {
      color: "#8aa", weight: lon % 30 ? 0.4 : 0.9, interactive: false,
    }).addTo(graticule);
  }
  for (let lat = -90; lat <= 90; lat += 10) {
    L.polyline([[lat, -180], [lat, 180]], {
      color: lat ? "#8aa" : "#577", weight: lat % 30 ? 0.4 : 0.9, interactive: false,
    }).addTo(graticule);
  }
  const label = (latlng, text, anchor) => L.marker(latlng, {
    interactive: false, keyboard: false,
    icon: L.divIcon({ className: "graticule-label", html: text, iconSize: null, iconAnchor: anchor }),
  }).addTo(graticule);
  for (let lon = -180; lon <= 180; lon += 30) label([-90, lon], `${lon}\u00b0`, [-2, 14]);
  for (let lat = -60; lat <= 90; lat += 30) label([lat, -180], `${lat}\u00b0`, [28, 6]);

  const footprints = L.featureGroup().addTo(map);
  let region = null;          // the box, an L.rectangle
  let quicklook = null;       // the overlay shown, an L.imageOverlay
  let selected = null;        // the Feature in the details panel
  let lastSearch = null;      // URLSearchParams of the search shown
  const layers = new Map();   // swath id -> its footprint layer

  // ---- the region: typed, or drawn by dragging on the map ----
  function boxFromInputs() {
    const v = (name) => parseFloat(form.elements[name].value);
    const box = { west: v("west"), south: v("south"), east: v("east"), north: v("north") };
    return Object.values(box).every(Number.isFinite) ? box : null;
  }

  function showRegion(box) {
    // west > east: the box crosses the antimeridian; draw it east of +180
    const east = box.east < box.west ? box.east + 360 : box.east;
    const bounds = [[box.south, box.west], [box.north, east]];
    if (region) region.setBounds(bounds);
    else region = L.rectangle(bounds, { color: "#e76f51", weight: 2, fill: false, interactive: false }).addTo(map);
  }

  const round = (x) => Math.round(x * 100) / 100;
  // a longitude into -180..180 (180 stays 180: the east edge of the world)
  const wrap = (lon) => {
    const x = ((((lon + 180) % 360) + 360) % 360) - 180;
    return round(x === -180 && lon > 0 ? 180 : x);
  };

  let drawing = false;
  let corner = null;
  document.getElementById("draw").addEventListener("click", () => {
    drawing = true;
    map.dragging.disable();
    map.getContainer().classList.add("drawing");
    statusLine.textContent = "Drag a box on the map.";
  });
  map.on("mousedown", (e) => {
    if (!drawing) return;
    corner = e.latlng;
    showRegion({ west: corner.lng, east: corner.lng + 1e-9, south: corner.lat, north: corner.lat + 1e-9 });
  });
  map.on("mousemove", (e) => {
    if (!corner) return;
    region.setBounds([corner, e.latlng]);
  });
  map.on("mouseup", (e) => {
    if (!corner) return;
    const a = corner, b = e.latlng;
    corner = null;
    drawing = false;
    map.dragging.enable();
    map.getContainer().classList.remove("drawing");
    const clampLat = (x) => round(Math.max(-90, Math.min(90, x)));
    const round360 = Math.abs(a.lng - b.lng) >= 360;
    const box = {
      west: round360 ? -180 : wrap(Math.min(a.lng, b.lng)), east: round360 ? 180 : wrap(Math.max(a.lng, b.lng)),
      south: clampLat(Math.min(a.lat, b.lat)), north: clampLat(Math.max(a.lat, b.lat)),
    };
    if (box.west === box.east || box.south === box.north) {
      region.remove();
      region = null;
      setStatus("idle", "The box is empty: press Draw a box and drag on the map.");
      return;
    }
    for (const k of Object.keys(box)) form.elements[k].value = box[k];
    showRegion(box);
    search();
  });
  for (const name of ["west", "south", "east", "north"]) {
    form.elements[name].addEventListener("change", () => {
      const box = boxFromInputs();
      if (box) showRegion(box);
    });
  }

  // ---- search ----
  function searchParams() {
    const box = boxFromInputs();
    if (!box) return null;
    const p = new URLSearchParams({ bbox: [box.west, box.south, box.east, box.north].join(",") });
    for (const name of ["from", "to", "source"]) {
      if (form.elements[name].value) p.set(name, form.elements[name].value);
    }
    return p;
  }

  function setStatus(state, text) {
    statusLine.dataset.state = state;
    statusLine.textContent = text;
  }

  async function getJSON(url) {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`${r.status} ${(await r.text()).trim()}`);
    return r.json();
  }

  async function search() {
    const params = searchParams();
    if (!params) {
      setStatus("error", "Give the box: west, east, south and north.");
      return;
    }
    showRegion(boxFromInputs());
    setStatus("busy", "Searching\u2026");
    try {
      const fc = await getJSON("api/search?" + params);
      lastSearch = params;
      footprints.clearLayers();
      layers.clear();
      resultList.replaceChildren();
      clearDetails();
      for (const f of fc.features) addResult(f);
      const n = fc.features.length;
      setStatus("done", `${n} swath${n === 1 ? "" : "s"}${fc.truncated ? " (the first ones only)" : ""}.`);
    } catch (err) {
      setStatus("error", `Search failed: ${err.message}`);
    }
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); search(); });

  function listItem(f) {
    const li = document.createElement("li");
    li.dataset.id = f.id;
    li.dataset.filename = f.properties.filename;
    li.textContent = f.properties.filename;
    li.title = f.properties.filename;
    const src = document.createElement("span");
    src.className = "src";
    src.textContent = `${f.properties.source} ${f.properties.overpass.slice(0, 16).replace("T", " ")}`;
    li.append(src);
    li.addEventListener("click", () => select(f));
    return li;
  }

  function addResult(f, fresh) {
    if (f.geometry) {
      const layer = L.geoJSON(f, {
        style: { color: fresh ? "#2a9d8f" : "#264653", weight: 1.2, fillOpacity: 0.12 },
      }).on("click", () => select(f)).addTo(footprints);
      layers.set(f.id, layer);
    }
    resultList.append(listItem(f));
  }

  // ---- one swath: metadata, links, quicklook ----
  function clearDetails() {
    selected = null;
    document.getElementById("details").hidden = true;
    showQuicklook(null);
  }

  function select(f) {
    selected = f;
    const p = f.properties;
    for (const li of resultList.children) li.classList.toggle("selected", li.dataset.id == f.id);
    for (const [id, layer] of layers) layer.setStyle({ weight: id === f.id ? 3 : 1.2 });
    document.getElementById("d-title").textContent = p.filename;
    const table = document.getElementById("d-meta");
    table.replaceChildren();
    const rows = [["source", p.source], ["version", p.version], ["orbit", p.orbit],
                  ["overpass", p.overpass], ["until", p.overpass_end], ["size", p.size == null ? "" : `${p.size} bytes`],
                  ["object", p.oid], ["path", p.filepath]];
    for (const [k, v] of rows) {
      const tr = table.insertRow();
      const th = document.createElement("th");
      th.textContent = k;
      tr.append(th);
      tr.insertCell().textContent = v == null ? "" : String(v);
    }
    document.getElementById("d-granule").href = p.granule_url;
    const sub = document.getElementById("d-subset");
    sub.hidden = !p.subset_url;
    if (p.subset_url) sub.href = p.subset_url;
    const ql = document.getElementById("d-quicklook");
    ql.disabled = !p.quicklook_url;
    ql.parentElement.title = p.quicklook_url ? `${p.quicklook_variable}` : "no quicklook variable for this source";
    document.getElementById("details").hidden = false;
    showQuicklook(ql.checked && p.quicklook_url ? f : null);
  }

  document.getElementById("d-quicklook").addEventListener("change", (e) => {
    showQuicklook(e.target.checked && selected && selected.properties.quicklook_url ? selected : null);
  });

  // The PNG's text chunks as an object: tEXt (keyword, NUL, Latin-1 text)
  // and uncompressed iTXt (keyword, NUL, flag, method, language, NUL,
  // translated keyword, NUL, UTF-8 text), as swath_quicklook writes them.
  function pngText(buf) {
    const bytes = new Uint8Array(buf);
    const view = new DataView(buf);
    const sig = [137, 80, 78, 71, 13, 10, 26, 10];
    if (bytes.length < 8 || sig.some((b, i) => bytes[i] !== b)) throw new Error("not a PNG");
    const out = {};
    const latin1 = new TextDecoder("latin1");
    const utf8 = new TextDecoder("utf-8");
    for (let at = 8; at + 12 <= bytes.length;) {
      const len = view.getUint32(at);
      const type = latin1.decode(bytes.subarray(at + 4, at + 8));
      const data = bytes.subarray(at + 8, at + 8 + len);
      const nul = data.indexOf(0);
      if (type === "tEXt" && nul > 0) {
        out[latin1.decode(data.subarray(0, nul))] = latin1.decode(data.subarray(nul + 1));
      } else if (type === "iTXt" && nul > 0 && data[nul + 1] === 0) {
        const lang = data.indexOf(0, nul + 3);
        const tkey = data.indexOf(0, lang + 1);
        if (lang > 0 && tkey > 0) out[latin1.decode(data.subarray(0, nul))] = utf8.decode(data.subarray(tkey + 1));
      }
      if (type === "IEND") break;
      at += 12 + len;
    }
    return out;
  }

  const legend = document.getElementById("d-legend");
  let quicklookRequest = 0;
  async function showQuicklook(f) {
    const mine = ++quicklookRequest;
    const info = document.getElementById("d-quicklook-info");
    if (quicklook) {
      URL.revokeObjectURL(quicklook.getElement() ? quicklook.getElement().src : "");
      quicklook.remove();
      quicklook = null;
    }
    info.textContent = "";
    info.dataset.state = "";
    legend.hidden = true;
    legend.removeAttribute("src");
    if (!f) return;
    info.textContent = "Rendering the quicklook\u2026";
    try {
      const r = await fetch(f.properties.quicklook_url);
      if (!r.ok) throw new Error(`${r.status} ${(await r.text()).trim()}`);
      const buf = await r.arrayBuffer();
      if (mine !== quicklookRequest) return;
      const text = pngText(buf);
      // bbox: "west,south,east,north" in degrees; west > east across 180
      const [w, s, e, n] = (text.bbox || "").split(/[ ,]+/).map(Number);
      if (![w, s, e, n].every(Number.isFinite)) throw new Error("the PNG has no bbox");
      const url = URL.createObjectURL(new Blob([buf], { type: "image/png" }));
      quicklook = L.imageOverlay(url, [[s, w], [n, e < w ? e + 360 : e]], {
        className: "quicklook", opacity: 0.9, interactive: false,
      }).addTo(map);
      quicklook.bringToFront();
      info.dataset.state = "shown";
      info.dataset.bbox = [w, s, e, n].join(",");
      const range = (text.value_range || "").split(",").map(Number);
      const fmt = (x) => Number(x.toPrecision(4));
      info.textContent = `${text.long_name || text.variable || f.properties.quicklook_variable}` +
        `${text.units ? " (" + text.units + ")" : ""}` +
        `${range.length === 2 ? ": " + fmt(range[0]) + " to " + fmt(range[1]) : ""}`;
      if (range.length === 2 && range.every(Number.isFinite)) {
        legend.src = "legend.png?" + new URLSearchParams({
          colormap: text.colormap || "viridis", range: range.join(","), units: text.units || "",
        });
        legend.hidden = false;
      }
      map.fitBounds(quicklook.getBounds(), { padding: [30, 30], maxZoom: 6 });
    } catch (err) {
      if (mine !== quicklookRequest) return;
      info.dataset.state = "error";
      info.textContent = `No quicklook: ${err.message}`;
    }
  }

  // ---- live: new swaths, announced by the database (NOTIFY) ----
  const events = new EventSource("api/events");
  events.addEventListener("swath", async (ev) => {
    const note = JSON.parse(ev.data);
    try {
      const q = lastSearch ? "?" + lastSearch : "";
      const f = await getJSON(`api/swath/${note.id}${q}`);
      const none = liveList.querySelector(".none");
      if (none) none.remove();
      liveList.prepend(listItem(f));
      if (f.properties.in_search) {
        addResult(f, true);
        const n = resultList.children.length;
        setStatus("done", `${n} swath${n === 1 ? "" : "s"} (${note.filename} is new).`);
      }
    } catch (err) {
      setStatus("error", `A new swath could not be shown: ${err.message}`);
    }
  });

  // for the tests and the curious
  window.eosite = { map, search, footprints, events };
})();
