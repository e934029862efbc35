"""The HTML pages of OGC API - Features (``allmende.standards.ogcapi_features``) in headless
Chromium: accessible (axe), navigable without JavaScript, and with JavaScript a Leaflet map of
the features on the page. Served by the adapters' live server with the test provider module."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.support import axe_violations
from tests.standards.conftest import LiveServer
from tests.standards.conftest import live_servers as live_servers  # fixtures of the adapters'
from tests.standards.conftest import standards_server as standards_server  # live server

pytestmark = pytest.mark.e2e


@pytest.fixture
def page(browser, standards_server: LiveServer):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=standards_server.url, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "path",
    [
        "/ogcapi?f=html",
        "/ogcapi/conformance?f=html",
        "/ogcapi/api?f=html",
        "/ogcapi/collections?f=html",
        "/ogcapi/collections/trees?f=html",
        "/ogcapi/collections/trees/items?f=html",
        "/ogcapi/collections/trees/items/1?f=html",
    ],
)
def test_pages_pass_axe(page, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(path)
    assert axe_violations(page) == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_from_the_landing_page_to_a_tree(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/ogcapi")  # a browser asks for HTML
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Testregion"))
    page.get_by_role("link", name="Sammlungen").first.click()
    page.get_by_role("link", name=re.compile(r"^Karte und Tabelle\s*: Bäume$")).click()
    page.wait_for_selector(".leaflet-marker-icon")
    expect(page.locator(".leaflet-marker-icon")).to_have_count(10)  # the features of this page
    expect(page.get_by_role("status")).to_have_text("Objekte 1 bis 10 von 13")
    screenshot(page, "ogcapi-items.png")
    page.get_by_role("link", name="Nächste Seite").click()
    expect(page.get_by_role("status")).to_have_text("Objekte 11 bis 13 von 13")
    page.get_by_role("link", name="Linde 11").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Linde 11")
    page.wait_for_selector(".leaflet-marker-icon")
    expect(page.get_by_role("row", name="species Tilia cordata")).to_be_visible()
