// Progressive enhancement of /water: a Leaflet map of the trees coloured by water supply.
// The server clusters by bounding box and zoom (a few hundred features at most), so the map
// stays fast with 100 000 trees. Without JavaScript the page shows the same trees as a list.
(function () {
  "use strict";
  var element = document.querySelector("[data-water-map]");
  if (!element || !window.L) { return; }
  var colours = { now: "#b3261e", soon: "#c77700", ok: "#2e7d32" };
  var labels = JSON.parse(element.dataset.labels || "{}");
  var map = L.map(element, { scrollWheelZoom: false, maxZoom: 19 });
  window.AllmendeBasemap.add(map, element);
  var layer = L.layerGroup().addTo(map);
  var url = element.dataset.waterMap;
  var request = 0;

  function popup(p) {
    var box = document.createElement("div");
    if (p.kind === "cluster") {
      var strong = document.createElement("strong");
      strong.textContent = p.count + " " + (labels.trees || "");
      box.appendChild(strong);
      ["now", "soon", "ok"].forEach(function (s) {
        var line = document.createElement("p");
        line.textContent = (labels[s] || s) + ": " + p[s];
        box.appendChild(line);
      });
      return box;
    }
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.name;
    box.appendChild(link);
    var text = document.createElement("p");
    text.textContent = labels[p.status] || "";
    box.appendChild(text);
    return box;
  }

  function draw(data) {
    layer.clearLayers();
    data.features.forEach(function (f) {
      var p = f.properties;
      var c = f.geometry.coordinates;
      var marker = L.circleMarker([c[1], c[0]], {
        radius: p.kind === "cluster" ? Math.min(8 + Math.sqrt(p.count), 30) : 6,
        color: "#222", weight: 1, fillColor: colours[p.status] || "#777", fillOpacity: 0.85
      });
      if (p.kind === "cluster") {
        marker.bindTooltip(String(p.count), { permanent: true, direction: "center", className: "water-count" });
        marker.on("dblclick", function () { map.setView([c[1], c[0]], map.getZoom() + 2); });
      }
      marker.bindPopup(popup(p));
      layer.addLayer(marker);
    });
  }

  function load(fit) {
    var query = "zoom=" + map.getZoom();
    if (!fit) { query += "&bbox=" + map.getBounds().toBBoxString(); }
    var mine = ++request;
    fetch(url + "?" + query, { headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (mine !== request) { return; }
        draw(data);
        if (fit && data.features.length) {
          map.fitBounds(L.geoJSON(data).getBounds(), { padding: [10, 10] });
          map.on("moveend", function () { load(false); });
        }
        if (fit) {
          element.dispatchEvent(new CustomEvent("allmende:map-ready", { detail: { map: map, layer: layer } }));
        }
      });
  }

  map.setView([51.1, 10.4], 6);
  load(true);
})();
