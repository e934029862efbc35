"""The web shell in headless Chromium: sign in with the demo login and see the region."""

from __future__ import annotations

import pytest

from allmende.demo.region import DEMO_PASSWORD
from tests.e2e.conftest import screenshot_dir
from tests.e2e.support import axe_violations

pytestmark = pytest.mark.e2e


def test_demo_login_shows_the_region(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_role("link", name="Anmelden").click()
    page.get_by_label("E-Mail").fill("admin@demo.allmende.example")
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/")
    assert page.get_by_role("heading", level=1).inner_text() == "Region Auenland (Demo)"
    assert page.get_by_role("link", name="Alex Admin").is_visible()
    page.get_by_role("link", name="Auenstadt").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Auenstadt"
    assert page.get_by_text("Innenstadt").is_visible()
    page.screenshot(path=str(screenshot_dir() / "municipality.png"), full_page=True)


def test_wrong_password_is_announced(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("E-Mail").fill("admin@demo.allmende.example")
    page.get_by_label("Passwort").fill("falsch")
    page.get_by_role("button", name="Anmelden").click()
    assert "falsch" in page.get_by_role("alert").inner_text()


def test_the_map_draws_the_boundaries(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.wait_for_selector(".leaflet-interactive")
    assert page.locator("path.leaflet-interactive").count() >= 3 + 10  # municipalities+districts
    page.screenshot(path=str(screenshot_dir() / "start.png"), full_page=True)


def test_keyboard_reaches_the_skip_link_first(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Zum Inhalt springen"


def test_language_switch(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", name="Municipalities").is_visible()
    assert page.evaluate("document.documentElement.lang") == "en"


@pytest.mark.parametrize("path", ["/", "/login", "/m/auenstadt", "/accessibility", "/notices"])
def test_pages_pass_axe(page, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(path)
    assert axe_violations(page) == []
