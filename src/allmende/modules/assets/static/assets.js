// Progressive enhancement for the forms of the assets module (the forms work without it):
// a map to pick a location into the latitude/longitude fields, and category-specific fields
// shown only for the chosen category.
(function () {
  "use strict";

  function setupPicker(element) {
    if (!window.L) { return; }
    var lat = document.getElementById(element.dataset.lat);
    var lon = document.getElementById(element.dataset.lon);
    if (!lat || !lon) { return; }
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    element.parentNode.insertBefore(status, element.nextSibling);
    element.hidden = false;
    var map = L.map(element, { scrollWheelZoom: false });
    window.AllmendeBasemap.add(map, element);
    var marker = null;
    function place(latlng, announce) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng, { keyboard: false }).addTo(map); }
      if (announce) {
        lat.value = latlng.lat.toFixed(6);
        lon.value = latlng.lng.toFixed(6);
        status.textContent = lat.value + ", " + lon.value;
      }
    }
    var y = parseFloat((lat.value || "").replace(",", "."));
    var x = parseFloat((lon.value || "").replace(",", "."));
    var box = (element.dataset.bbox || "").split(",").map(parseFloat);
    if (isFinite(y) && isFinite(x)) {
      map.setView([y, x], 17);
      place(L.latLng(y, x), false);
    } else if (box.length === 4 && box.every(isFinite)) {
      map.fitBounds([[box[1], box[0]], [box[3], box[2]]]);
    } else {
      map.setView([51.1, 10.4], 6);
    }
    map.on("click", function (event) { place(event.latlng, true); });
    element.allmendePlace = function (y, x) {
      var latlng = L.latLng(y, x);
      map.setView(latlng, 18);
      place(latlng, true);
    };
    element.dispatchEvent(new CustomEvent("allmende:map-ready", { detail: { map: map } }));
  }

  // "Use my location": the device's position into the picker (shown only where it can work).
  function setupLocate(button) {
    var picker = document.getElementById(button.dataset.locate);
    if (!picker || !navigator.geolocation) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        var y = position.coords.latitude, x = position.coords.longitude;
        if (picker.allmendePlace) { picker.allmendePlace(y, x); return; }
        document.getElementById(picker.dataset.lat).value = y.toFixed(6);
        document.getElementById(picker.dataset.lon).value = x.toFixed(6);
      }, function () {
        button.disabled = true;
      }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }

  function setupCategories(select) {
    var groups = document.querySelectorAll("[data-category]");
    function update() {
      groups.forEach(function (group) {
        group.hidden = group.dataset.category !== select.value;
        group.disabled = group.hidden;
      });
    }
    document.querySelectorAll("[data-category-show]").forEach(function (button) { button.hidden = true; });
    select.addEventListener("change", update);
    update();
  }

  document.querySelectorAll("[data-picker]").forEach(setupPicker);
  document.querySelectorAll("[data-category-select]").forEach(setupCategories);
  document.querySelectorAll("[data-locate]").forEach(setupLocate);
})();
