"""The web shell in headless Chromium: sign in with the demo login and see the region."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from allmende.demo.region import DEMO_PASSWORD
from tests.e2e.conftest import screenshot
from tests.e2e.support import axe_violations

pytestmark = pytest.mark.e2e


def test_demo_login_shows_the_region(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_role("link", name="Anmelden").click()
    page.get_by_label("E-Mail").fill("admin@demo.allmende.example")
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Region Auenland (Demo)")
    expect(page.get_by_role("link", name="Alex Admin")).to_be_visible()
    page.get_by_role("link", name="Auenstadt").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Auenstadt")
    expect(page.get_by_text("Innenstadt")).to_be_visible()
    screenshot(page, "municipality.png")


def test_wrong_password_is_announced(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("E-Mail").fill("admin@demo.allmende.example")
    page.get_by_label("Passwort").fill("falsch")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("falsch")


def test_the_map_draws_the_boundaries(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.wait_for_selector(".leaflet-interactive")
    # at least the three municipalities and ten districts
    expect(page.locator("path.leaflet-interactive").nth(3 + 10 - 1)).to_be_attached()
    screenshot(page, "start.png")


def test_keyboard_reaches_the_skip_link_first(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Zum Inhalt springen")


def test_language_switch(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Municipalities")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.mark.parametrize("path", ["/", "/login", "/m/auenstadt", "/accessibility", "/notices"])
def test_pages_pass_axe(page, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(path)
    assert axe_violations(page) == []
