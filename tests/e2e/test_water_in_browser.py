"""Water in headless Chromium on the demo region: the needs-water map and list, a tree's page,
the crews' tours on the phone with a watering recorded, zones and a meter's leak; axe on every
page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from allmende.demo.region import DEMO_PASSWORD
from tests.e2e.conftest import screenshot
from tests.e2e.support import axe_violations

pytestmark = pytest.mark.e2e

ADMIN = "admin@demo.allmende.example"  # the leak is in Lindenbach, the tours in Auenstadt


def test_the_needs_water_map_and_a_tree(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/water")
    expect(page.get_by_role("heading", name="Welche Bäume brauchen Wasser?")).to_be_visible()
    page.locator("[data-water-map] path.leaflet-interactive").first.wait_for()  # markers
    assert page.locator("#tree-list tbody tr").count() >= 1
    assert axe_violations(page) == []
    screenshot(page, "water-map.png")
    page.locator("#tree-list tbody tr a").first.click()
    page.wait_for_url(re.compile(r"/water/trees/\d+$"))
    expect(page.get_by_role("img", name=re.compile("Saugspannung im Boden"))).to_be_visible()
    expect(page.get_by_role("link", name="Pate werden und gießen")).to_be_visible()
    assert axe_violations(page) == []


def test_crews_record_a_watering_on_the_phone(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server.url, locale="de-DE", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/login")
        page.get_by_label("E-Mail").fill(ADMIN)
        page.get_by_label("Passwort").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_url("**/")
        page.goto("/water/crews?municipality=auenstadt&view=mobile")
        expect(page.get_by_role("heading", name=re.compile("^Gießtouren"))).to_be_visible()
        card = page.locator(".water-card").first
        card.get_by_role("button", name="Gegossen").click()
        page.wait_for_url(re.compile(r"/water/crews\?.*msg=watered"))
        expect(page.get_by_role("status")).to_be_visible()
        assert axe_violations(page) == []
        screenshot(page, "water-crews-mobile.png")
        page.goto("/water/zones")
        expect(page.get_by_role("heading", name="Ventile, die nicht antworten")).to_be_visible()
        assert axe_violations(page) == []
        page.goto("/water/meters")
        page.get_by_role("link", name="Sporthalle Lindenbach").click()
        expect(page.get_by_role("heading", name=re.compile("^Leck-Verdacht"))).to_be_visible()
        expect(page.get_by_role("img", name="Durchfluss je Stunde vor dem Alarm")).to_be_visible()
        assert axe_violations(page) == []
    finally:
        context.close()
