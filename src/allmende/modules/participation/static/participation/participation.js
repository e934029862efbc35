// Participation maps, as progressive enhancement: every page lists the same content as text,
// and every form works without this script (the place is then described in words).
(function () {
  "use strict";
  // After a refused form, move the focus to the list of problems (it links to each field).
  var problems = document.getElementById("error-summary");
  if (problems) { problems.focus(); }
  if (!window.L) { return; }

  var STYLES = {
    process: { color: "#0b5c8a", weight: 3, dashArray: "8 6", fillOpacity: 0.06 },
    contribution: { radius: 8, color: "#ffffff", weight: 2, fillColor: "#b3541e", fillOpacity: 0.95 },
    hidden: { radius: 7, color: "#ffffff", weight: 2, fillColor: "#6b7280", fillOpacity: 0.9 },
    event: { radius: 9, color: "#ffffff", weight: 2, fillColor: "#1d6b32", fillOpacity: 0.95 },
    shape: { color: "#b3541e", weight: 4, fillOpacity: 0.2 },
    plan: { color: "#6b2fa0", weight: 3, fillOpacity: 0.25 },
    point: { radius: 7, color: "#ffffff", weight: 2, fillColor: "#0b5c8a", fillOpacity: 0.9 }
  };

  function baseMap(element) {
    // No renderer padding: vectors stay inside the map box (nothing overlaps the text around it).
    var map = L.map(element, { scrollWheelZoom: false, renderer: L.svg({ padding: 0 }) });
    window.AllmendeBasemap.add(map, element);
    map.setView([51.1, 10.4], 6);
    return map;
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/geo+json, application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; });
  }

  function popup(properties) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var title = document.createElement(properties.url ? "a" : "strong");
    title.textContent = properties.title || "";
    if (properties.url) { title.href = properties.url; }
    box.appendChild(title);
    var detail = properties.status_label || properties.place || properties.summary || "";
    if (detail) {
      var text = document.createElement("p");
      text.textContent = detail;
      box.appendChild(text);
    }
    return box;
  }

  function pointStyle(p) {
    return p.kind === "event" ? STYLES.event : (p.hidden ? STYLES.hidden : STYLES.contribution);
  }

  function featureLayer(data, interactive) {
    return L.geoJSON(data, {
      interactive: interactive !== false,
      style: function (feature) {
        var p = feature.properties || {};
        if (feature.geometry && feature.geometry.type === "Point") { return pointStyle(p); }
        return p.kind === "process" ? STYLES.process : STYLES.shape;
      },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, pointStyle(feature.properties || {}));
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties || {};
        if (p.title && interactive !== false) { layer.bindPopup(popup(p)); }
      }
    });
  }

  function planLayer(map, control, spec) {
    if (spec.kind === "image" && spec.image_url && spec.bounds) {
      var b = spec.bounds;
      var overlay = L.imageOverlay(spec.image_url, [[b[1], b[0]], [b[3], b[2]]], {
        opacity: spec.opacity, alt: spec.title
      }).addTo(map);
      control.addOverlay(overlay, spec.title);
    } else if (spec.data_url) {
      getJSON(spec.data_url).then(function (data) {
        if (!data) { return; }
        var layer = L.geoJSON(data, {
          style: function (f) { return f.geometry && f.geometry.type === "Point" ? STYLES.point : STYLES.plan; },
          pointToLayer: function (f, latlng) { return L.circleMarker(latlng, STYLES.point); },
          onEachFeature: function (f, l) {
            var p = f.properties || {};
            if (p.name || p.title) { l.bindPopup(popup({ title: p.name || p.title, summary: p.description })); }
          }
        }).addTo(map);
        control.addOverlay(layer, spec.title);
      });
    }
  }

  function initMap(element) {
    var map = baseMap(element);
    element.allmendeMap = map;
    var layers = element.dataset.layers ? JSON.parse(element.dataset.layers) : [];
    if (layers.length) {
      var control = L.control.layers(null, null, { collapsed: false }).addTo(map);
      layers.forEach(function (spec) { planLayer(map, control, spec); });
    }
    var shape = element.dataset.shape ? L.geoJSON(JSON.parse(element.dataset.shape), {
      style: function (f) { return f.geometry && f.geometry.type === "Point" ? STYLES.contribution : STYLES.shape; },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, STYLES.contribution); }
    }).addTo(map) : null;
    var points = element.dataset.points ? JSON.parse(element.dataset.points) : [];
    var pointLayer = L.featureGroup(points.map(function (p) {
      return L.circleMarker([p.lat, p.lon], STYLES.point);
    })).addTo(map);
    getJSON(element.dataset.feed).then(function (data) {
      var layer = data ? featureLayer(data).addTo(map) : null;
      var bounds = L.latLngBounds([]);
      [layer, shape, pointLayer].forEach(function (l) {
        if (l && l.getBounds && l.getBounds().isValid()) { bounds.extend(l.getBounds()); }
      });
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [16, 16], maxZoom: 18 }); }
      element.dispatchEvent(new CustomEvent("allmende:map-ready", { detail: { map: map } }));
    });
  }

  // --- the picker: a point, line or area inside the process area -------------------------

  function round(value) { return Math.round(value * 1e7) / 1e7; }

  function initPicker(element) {
    element.hidden = false;
    var target = document.getElementById(element.dataset.target);
    var status = document.getElementById(element.dataset.status);
    var messages = element.dataset;
    var allowed = (element.dataset.shapes || "Point,LineString,Polygon").split(",");
    var map = baseMap(element.querySelector(".picker__map"));
    element.allmendeMap = map;
    var vertices = [];
    var drawn = L.featureGroup().addTo(map);

    function shape() {
      var chosen = element.querySelector("input[name=shape]:checked");
      var value = chosen ? chosen.value : allowed[0];
      return allowed.indexOf(value) >= 0 ? value : allowed[0];
    }

    function geometry() {
      var coords = vertices.map(function (v) { return [round(v.lng), round(v.lat)]; });
      var kind = shape();
      if (kind === "Point" && coords.length) { return { type: "Point", coordinates: coords[coords.length - 1] }; }
      if (kind === "LineString" && coords.length >= 2) { return { type: "LineString", coordinates: coords }; }
      if (kind === "Polygon" && coords.length >= 3) { return { type: "Polygon", coordinates: [coords.concat([coords[0]])] }; }
      return null;
    }

    function say(text) { if (status) { status.textContent = text; } }

    function update() {
      if (shape() === "Point" && vertices.length > 1) { vertices = vertices.slice(-1); }
      drawn.clearLayers();
      var latlngs = vertices.map(function (v) { return [v.lat, v.lng]; });
      var kind = shape();
      if (kind === "LineString" && latlngs.length >= 2) { L.polyline(latlngs, STYLES.shape).addTo(drawn); }
      if (kind === "Polygon" && latlngs.length >= 3) { L.polygon(latlngs, STYLES.shape).addTo(drawn); }
      latlngs.forEach(function (ll) { L.circleMarker(ll, STYLES.contribution).addTo(drawn); });
      var geom = geometry();
      target.value = geom ? JSON.stringify(geom) : "";
      if (!vertices.length) { say(messages.msgNone || ""); }
      else if (!geom) { say((messages.msgIncomplete || "").replace("%(n)s", String(vertices.length))); }
      else if (geom.type === "Point") {
        say((messages.msgPoint || "").replace("%(lat)s", round(vertices[vertices.length - 1].lat)).replace("%(lon)s", round(vertices[vertices.length - 1].lng)));
      } else { say((messages.msgShape || "").replace("%(n)s", String(vertices.length))); }
    }

    function add(latlng) { vertices.push(latlng); update(); }

    if (target.value) {
      try {
        var given = JSON.parse(target.value);
        var ring = given.type === "Point" ? [given.coordinates] : given.type === "LineString" ? given.coordinates : given.coordinates[0].slice(0, -1);
        vertices = ring.map(function (c) { return L.latLng(c[1], c[0]); });
        var radio = element.querySelector("input[name=shape][value=" + given.type + "]");
        if (radio) { radio.checked = true; }
      } catch (e) { vertices = []; }
    }

    map.on("click", function (event) { add(event.latlng); });
    element.querySelectorAll("input[name=shape]").forEach(function (input) {
      input.addEventListener("change", update);
    });
    var centre = element.querySelector("[data-picker-centre]");
    if (centre) { centre.addEventListener("click", function () { add(map.getCenter()); }); }
    var undo = element.querySelector("[data-picker-undo]");
    if (undo) { undo.addEventListener("click", function () { vertices.pop(); update(); }); }
    var clear = element.querySelector("[data-picker-clear]");
    if (clear) { clear.addEventListener("click", function () { vertices = []; update(); }); }

    getJSON(element.dataset.feed).then(function (data) {
      var area = data ? featureLayer(data, false).addTo(map) : null;
      var bounds = area && area.getBounds().isValid() ? area.getBounds() : null;
      if (drawn.getLayers().length) {
        bounds = bounds ? bounds.extend(drawn.getBounds()) : drawn.getBounds();
      }
      if (bounds) { map.fitBounds(bounds, { padding: [16, 16], maxZoom: 18 }); }
      if (vertices.length) { update(); }
      element.dispatchEvent(new CustomEvent("allmende:map-ready", { detail: { map: map } }));
    });
  }

  // --- the corner picker: the upper-left and lower-right corners of a plan image -----------

  function initCornerPicker(element) {
    element.hidden = false;
    var form = element.closest("form");
    var fields = ["nw_lat", "nw_lon", "se_lat", "se_lon"].map(function (name) {
      return form.querySelector("[name='" + name + "']");
    });
    var status = element.querySelector("[data-corner-status]");
    var mapBox = element.querySelector(".picker__map");
    var map = baseMap(mapBox);
    element.allmendeMap = map;
    var german = (document.documentElement.lang || "").indexOf("de") === 0;
    var markers = [];
    var frame = null;

    function show(value) {
      var text = String(Math.round(value * 1e6) / 1e6);
      return german ? text.replace(".", ",") : text;
    }

    function read(input) {
      var value = parseFloat((input.value || "").replace(",", "."));
      return isFinite(value) ? value : null;
    }

    function write() {
      markers.forEach(function (marker, index) {
        var ll = marker.getLatLng();
        fields[index * 2].value = show(ll.lat);
        fields[index * 2 + 1].value = show(ll.lng);
      });
      if (frame) { map.removeLayer(frame); frame = null; }
      if (markers.length === 2) {
        frame = L.rectangle(L.latLngBounds(markers[0].getLatLng(), markers[1].getLatLng()), STYLES.plan).addTo(map);
      }
      status.textContent = markers.length === 2 ? status.dataset.msgBoth : markers.length === 1 ? status.dataset.msgFirst : "";
    }

    function place(latlng) {
      var marker = L.marker(latlng, { draggable: true, keyboard: true, title: markers.length ? element.dataset.labelSecond : element.dataset.labelFirst, alt: "" }).addTo(map);
      marker.on("dragend", write);
      markers.push(marker);
    }

    [0, 2].forEach(function (start) {
      var lat = read(fields[start]);
      var lon = read(fields[start + 1]);
      if (lat !== null && lon !== null && markers.length === start / 2) { place(L.latLng(lat, lon)); }
    });
    if (markers.length) { write(); }

    map.on("click", function (event) {
      if (markers.length === 2) {
        markers.forEach(function (m) { map.removeLayer(m); });
        markers = [];
      }
      place(event.latlng);
      write();
    });

    getJSON(mapBox.dataset.feed).then(function (data) {
      var area = data ? featureLayer(data, false).addTo(map) : null;
      var bounds = area && area.getBounds().isValid() ? area.getBounds() : null;
      if (markers.length) {
        var placed = L.latLngBounds(markers.map(function (m) { return m.getLatLng(); }));
        bounds = bounds ? bounds.extend(placed) : placed;
      }
      if (bounds) { map.fitBounds(bounds, { padding: [16, 16], maxZoom: 18 }); }
      element.dispatchEvent(new CustomEvent("allmende:map-ready", { detail: { map: map } }));
    });
  }

  document.querySelectorAll("[data-participation-map]").forEach(initMap);
  document.querySelectorAll("[data-picker]").forEach(initPicker);
  document.querySelectorAll("[data-corner-picker]").forEach(initCornerPicker);
})();
