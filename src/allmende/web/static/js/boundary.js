// Progressive enhancement of a boundary field: draw the polygon on a map instead of typing
// GeoJSON. Each click adds a corner; the textarea always holds the polygon as GeoJSON, so the
// form sends the same thing with or without this script.
(function () {
  "use strict";
  if (!window.L) { return; }
  function button(label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "button button--quiet";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }
  function init(editor) {
    var area = editor.querySelector("textarea");
    if (!area) { return; }
    var box = document.createElement("div");
    box.className = "map map--small";
    box.setAttribute("role", "application");
    box.setAttribute("aria-label", editor.dataset.labelMap || "");
    var tools = document.createElement("p");
    tools.className = "map-tools";
    var hint = document.createElement("p");
    hint.className = "hint";
    hint.textContent = editor.dataset.labelMap || "";
    editor.insertBefore(hint, editor.firstChild);
    editor.insertBefore(box, hint.nextSibling);
    editor.insertBefore(tools, box.nextSibling);
    ["tiles", "tilesKind", "attribution", "maxZoom", "subdomains", "wmsLayers", "tilesFailed"].forEach(function (key) {
      if (editor.dataset[key] !== undefined) { box.dataset[key] = editor.dataset[key]; }
    });
    var map = L.map(box, { maxZoom: 19 });
    if (window.AllmendeBasemap) { window.AllmendeBasemap.add(map, box); }
    map.setView([51.1, 10.4], 6);
    var points = [];
    var shape = L.polygon([], { color: "#b00020", weight: 3 }).addTo(map);
    var corners = L.layerGroup().addTo(map);
    function write() {
      shape.setLatLngs(points);
      corners.clearLayers();
      points.forEach(function (p) { L.circleMarker(p, { radius: 4, color: "#b00020" }).addTo(corners); });
      if (points.length >= 3) {
        var ring = points.map(function (p) { return [Number(p.lng.toFixed(6)), Number(p.lat.toFixed(6))]; });
        ring.push(ring[0]);
        area.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
      } else {
        area.value = "";
      }
    }
    try {
      var start = area.value ? JSON.parse(area.value) : null;
      if (start && start.type === "Polygon") {
        points = start.coordinates[0].slice(0, -1).map(function (c) { return L.latLng(c[1], c[0]); });
        write();
      }
    } catch (e) { /* leave what was typed as it is */ }
    map.on("click", function (event) { points.push(event.latlng); write(); });
    tools.appendChild(button(editor.dataset.labelUndo || "Undo", function () { points.pop(); write(); }));
    tools.appendChild(button(editor.dataset.labelClear || "Clear", function () { points = []; write(); }));
    fetch(editor.dataset.contextUrl, { headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var context = L.geoJSON(data, { style: { color: "#4a5360", weight: 1, dashArray: "4 4", fillOpacity: 0.03 }, interactive: false }).addTo(map);
        var bounds = points.length ? shape.getBounds() : context.getBounds();
        if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); }
        box.dispatchEvent(new CustomEvent("allmende:map-ready", { detail: { map: map, layer: context } }));
      });
  }
  document.querySelectorAll("[data-boundary-editor]").forEach(init);
})();
