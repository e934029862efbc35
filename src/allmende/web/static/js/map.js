// Progressive enhancement: every element with data-geojson-url becomes a Leaflet map.
// Pages show the same information as lists without JavaScript.
(function () {
  "use strict";
  if (!window.L) { return; }
  var styles = {
    municipality: { color: "#0b5c8a", weight: 3, fillOpacity: 0.05 },
    district: { color: "#4a5360", weight: 1, dashArray: "4 4", fillOpacity: 0.02 }
  };
  function popup(feature) {
    var p = feature.properties || {};
    var box = document.createElement("div");
    var title = document.createElement(p.url ? "a" : "strong");
    title.textContent = p.name || p.title || "";
    if (p.url) { title.href = p.url; }
    box.appendChild(title);
    if (p.description) {
      var text = document.createElement("p");
      text.textContent = p.description;
      box.appendChild(text);
    }
    return box;
  }
  function init(element) {
    element.hidden = false; // a box kept away without JavaScript (Leaflet needs its size)
    // maxZoom on the map itself: marker clustering needs it, also when no tile layer is set.
    var map = L.map(element, { scrollWheelZoom: false, maxZoom: 19 });
    window.AllmendeBasemap.add(map, element);
    map.setView([51.1, 10.4], 6);
    fetch(element.dataset.geojsonUrl, { headers: { Accept: "application/geo+json, application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          style: function (f) { return styles[(f.properties || {}).kind] || {}; },
          onEachFeature: function (f, l) { l.bindPopup(popup(f)); }
        });
        if (element.dataset.cluster && L.markerClusterGroup) {
          L.markerClusterGroup({ showCoverageOnHover: false }).addLayer(layer).addTo(map);
        } else {
          layer.addTo(map);
        }
        var bounds = layer.getBounds();
        if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); }
        element.dispatchEvent(new CustomEvent("allmende:map-ready", { detail: { map: map, layer: layer } }));
      });
    element.allmendeMap = map;
  }
  document.querySelectorAll("[data-geojson-url]").forEach(init);
})();
