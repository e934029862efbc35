"""Sensors in headless Chromium on the demo region: the map and the list with the latest values,
a Thing's page with its charts for each period; German and English; axe on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer, screenshot
from tests.e2e.pages import signed_in
from tests.e2e.support import axe_violations

pytestmark = pytest.mark.e2e

STAFF = "staff@auenstadt.demo.allmende.example"


def list_pages(page):  # type: ignore[no-untyped-def]
    """Each page of the sensor list (25 a page), from the first: the next one by its link."""
    page.goto("/sensors")
    number = 1
    yield page
    while page.get_by_role("link", name="Nächste Seite").count():
        page.get_by_role("link", name="Nächste Seite").click()
        number += 1
        expect(page).to_have_url(re.compile(rf"page={number}$"))
        yield page


def to_the_list_page_with(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """The page of the sensor list that links to ``name``."""
    for _ in list_pages(page):
        if page.get_by_role("link", name=name, exact=True).count():
            return
    raise AssertionError(f"{name} is on no page of the list")


def test_map_list_and_a_chart_in_german(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/sensors")
    expect(page.get_by_role("heading", name="Sensoren", exact=True)).to_be_visible()
    # the map: clustered markers of the sensors (no tiles in the tests)
    page.locator(".map .marker-cluster, .map .leaflet-marker-icon").first.wait_for()
    assert axe_violations(page) == []
    # A cluster's count on an opaque disc: markercluster's translucent one took the colour of
    # whatever lay under it (axe found 12 px text below 4.5:1 over a district on the demo).
    discs = page.locator(".map .marker-cluster div")
    assert discs.count() > 0
    for colour in discs.evaluate_all("all => all.map(d => getComputedStyle(d).backgroundColor)"):
        assert colour.startswith("rgb("), colour
    screenshot(page, "sensors-list.png")
    station = page.get_by_role("link", name="Wetterstation Auenstadt")
    rows = 0
    for shown in list_pages(page):
        table = shown.locator("#sensor-list")
        expect(table).not_to_contain_text("Stromzähler Bauhof Auenstadt")  # internal
        row = table.locator("tr", has=station)
        if row.count():
            expect(row).to_contain_text("Lufttemperatur")
            expect(row).to_contain_text("°C")
            rows += 1
    assert rows == 1

    # filter by kind, without JavaScript's help: a plain GET form
    page.get_by_label("Messgröße").select_option("soil-moisture")
    page.get_by_role("button", name="Anzeigen").click()
    page.wait_for_url(re.compile(r"kind=soil-moisture"))
    expect(page.get_by_role("heading", name="8 Sensoren")).to_be_visible()

    to_the_list_page_with(page, "Wetterstation Auenstadt")
    page.get_by_role("link", name="Wetterstation Auenstadt").click()
    page.wait_for_url(re.compile(r"/sensors/\d+$"))
    expect(page.get_by_role("heading", name=re.compile("^Lufttemperatur"))).to_be_visible()
    # five measured kinds and the five heat-stress indices that the heat module derives from them
    expect(page.locator("svg.chart")).to_have_count(10)
    expect(
        page.get_by_role("img", name=re.compile(r"Lufttemperatur \(°C\), Letzte 24 Stunden"))
    ).to_be_visible()
    expect(page.get_by_role("link", name="Dieser Sensor in der SensorThings API")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Letzte 7 Tage").click()
    page.wait_for_url(re.compile(r"period=7d"))
    expect(page.get_by_role("link", name="Letzte 7 Tage")).to_have_attribute("aria-current", "page")
    expect(page.locator("svg.chart polygon.band").first).to_be_attached()
    page.locator("details summary").first.click()
    expect(page.locator("details table").first).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "sensors-thing-7d.png")


def test_english_pages(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/sensors")
        expect(page.get_by_role("heading", name="Sensors", exact=True)).to_be_visible()
        expect(page.locator("#sensor-list")).to_contain_text("Air temperature")
        assert axe_violations(page) == []
        page.get_by_role("link", name=re.compile("^Bodenfeuchte")).first.click()
        page.wait_for_url(re.compile(r"/sensors/\d+$"))
        expect(page.locator("svg.chart")).to_have_count(2)
        page.get_by_role("link", name="Last 30 days").click()
        page.wait_for_url(re.compile(r"period=30d"))
        expect(page.get_by_role("heading", name=re.compile("^Soil moisture")).first).to_be_visible()
        assert axe_violations(page) == []
    finally:
        context.close()


def test_staff_see_the_internal_meter(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    signed_in(page, live_server.url, STAFF)
    to_the_list_page_with(page, "Stromzähler Bauhof Auenstadt")
    page.get_by_role("link", name="Stromzähler Bauhof Auenstadt").click()
    page.wait_for_url(re.compile(r"/sensors/\d+$"))
    expect(page.locator("h1")).to_have_text(re.compile("^Stromzähler Bauhof Auenstadt"))
    expect(page.locator("svg.chart")).to_have_count(2)
    assert axe_violations(page) == []
