"""Heat in headless Chromium on the demo region: the heat page with the map overlay and the UTCI
legend, stations, districts and warnings, a warning with advice, a station's UTCI chart, the
staff page with the action plan's switches; axe on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from allmende.demo.region import DEMO_PASSWORD
from tests.e2e.conftest import screenshot
from tests.e2e.support import axe_violations

pytestmark = pytest.mark.e2e

STAFF = "staff@auenstadt.demo.allmende.example"


def test_the_heat_page_and_a_warning(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/heat")
    expect(page.get_by_role("heading", name="Hitze – Auenstadt")).to_be_visible()
    assert "nicht die „Gefühlte Temperatur“" in page.locator(".heat-note").first.inner_text()
    page.locator(".map img.leaflet-image-layer").wait_for()  # the UTCI overlay
    page.locator(".map .leaflet-interactive").first.wait_for()  # districts and markers
    assert page.locator(".heat-legend__list li").count() == 10
    expect(page.get_by_role("heading", name=re.compile("^Hitzekarte von"))).to_be_visible()
    assert "Innenstadt" in page.locator("table").first.inner_text()
    stations = page.get_by_role("heading", name="Stationen", exact=True)
    expect(stations).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Klimastation 01"))).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "heat.png")

    page.get_by_role("link", name=re.compile("^Innenstadt")).first.click()
    page.wait_for_url(re.compile(r"/heat/warnings/\d+$"))
    expect(page.get_by_role("heading", name="Was zu tun ist")).to_be_visible()
    assert "Trinken Sie regelmäßig Wasser" in page.locator(".heat-advice").inner_text() or (
        "Bleiben Sie von 11 bis 18 Uhr" in page.locator(".heat-advice").inner_text()
    )
    expect(page.get_by_role("link", name="Diese Warnung als CAP 1.2")).to_be_visible()
    assert axe_violations(page) == []

    page.goto("/heat")
    page.get_by_role("link", name=re.compile("^Klimastation 01")).click()
    page.wait_for_url(re.compile(r"/heat/stations/\d+"))
    page.get_by_role("link", name="30 Tage").click()
    assert page.locator("svg.heat-chart path").count() == 1
    assert axe_violations(page) == []


def test_the_staff_page_shows_the_switched_misting_system(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("E-Mail").fill(STAFF)
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/")
    page.goto("/heat/staff")
    expect(page.get_by_role("heading", name="Hitzeplan – Auenstadt")).to_be_visible()
    switches = page.locator("tr.heat-switch")
    assert switches.count() >= 2
    assert "Sprühnebelanlage Marktplatz" in switches.first.inner_text()
    assert axe_violations(page) == []
    screenshot(page, "heat-staff.png")
