// The background map of every map of the product, from the data attributes that the macro
// basemap_attrs() writes (the settings map_preset, map_tile_url …). When its tiles cannot be
// loaded (no network, a blocked or failing tile server), a visible note says so; the map's own
// layers are drawn either way.
(function () {
  "use strict";
  function note(element) {
    var found = element.parentNode && element.parentNode.querySelector(".map-note[data-for='" + element.id + "']");
    if (found) { return found; }
    var box = document.createElement("p");
    box.className = "map-note";
    box.setAttribute("role", "status");
    box.dataset.for = element.id;
    box.hidden = true;
    box.textContent = element.dataset.tilesFailed || "The background map could not be loaded.";
    element.parentNode.insertBefore(box, element.nextSibling);
    return box;
  }
  function add(map, element) {
    var url = element.dataset.tiles;
    var maxZoom = parseInt(element.dataset.maxZoom || "19", 10);
    map.setMaxZoom(maxZoom);
    if (!url) { return null; }
    if (!element.id) { element.id = "map-" + Math.random().toString(36).slice(2); }
    var options = {
      maxZoom: maxZoom,
      attribution: element.dataset.attribution || "",
      subdomains: element.dataset.subdomains || "abc"
    };
    var layer = element.dataset.tilesKind === "wms"
      ? L.tileLayer.wms(url, Object.assign(options, {
          layers: element.dataset.wmsLayers || "", format: "image/png", transparent: false
        }))
      : L.tileLayer(url, options);
    var loaded = 0;
    var shown = note(element);
    layer.on("tileload", function () {
      loaded += 1;
      shown.hidden = true;
      element.classList.remove("map--no-tiles");
    });
    layer.on("tileerror", function () {
      if (loaded === 0) {
        shown.hidden = false;
        element.classList.add("map--no-tiles");
      }
    });
    layer.addTo(map);
    return layer;
  }
  window.AllmendeBasemap = { add: add };
})();
