// Lays the UTCI overlay of the shown hour over the map (map.js draws districts, cool places
// and stations) and colours the markers; without JavaScript the page's tables say the same.
(function () {
  "use strict";
  if (!window.L) { return; }
  var colours = { cool_place: "#0b5c8a", drinking_fountain: "#1d7fbf", shade: "#2e7d32" };
  document.querySelectorAll(".heat-map [data-geojson-url]").forEach(function (element) {
    var box = element.closest(".heat-map");
    element.addEventListener("allmende:map-ready", function (event) {
      var map = event.detail.map;
      var bounds = JSON.parse(box.dataset.bounds || "null");
      if (box.dataset.overlay && bounds) {
        var overlay = L.imageOverlay(box.dataset.overlay, bounds, { opacity: 0.85, alt: box.dataset.overlayLabel || "" });
        overlay.addTo(map);
        overlay.bringToBack();
        map.fitBounds(bounds);
      }
      event.detail.layer.eachLayer(function (layer) {
        var p = (layer.feature || {}).properties || {};
        var colour = p.kind === "station" ? (p.colour || "#555") : colours[p.kind];
        if (colour && layer.setStyle) { layer.setStyle({ color: colour, fillColor: colour }); }
      });
    });
  });
  // Markers as circles so that they take a colour.
  var base = L.geoJSON;
  L.geoJSON = function (data, options) {
    options = options || {};
    if (!options.pointToLayer) {
      options.pointToLayer = function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 7, weight: 2, fillOpacity: 0.9, color: "#333", fillColor: "#fff" });
      };
    }
    return base.call(this, data, options);
  };
})();
