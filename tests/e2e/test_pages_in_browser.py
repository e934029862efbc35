"""The main pages in Chromium: no sideways scrolling on a 390 px phone or at 320 px,
breadcrumbs as a trail (not a numbered list) whose links keep their words whole, and the report
form without JavaScript. (axe on every page: test_every_page_accessible.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.support import SPLIT_WORDS, axe_violations

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def _first_link(page: Any, prefix: str) -> str:
    href = page.locator(f"main a[href^='{prefix}']").first.get_attribute("href")
    assert href, prefix
    return str(href)


def test_pages_reflow_on_a_phone(browser: Any, live_server: LiveServer) -> None:
    """390 px, a common phone, and 320 px, the width of WCAG 1.4.10 (reflow)."""
    wide = {}
    for width in (PHONE["width"], 320):
        context = browser.new_context(
            base_url=live_server.url, locale="de-DE", viewport={**PHONE, "width": width}
        )
        page = context.new_page()
        try:
            page.goto("/assets")
            thing = _first_link(page, "/assets/")
            page.goto("/sensors")
            station = _first_link(page, "/sensors/")
            paths = ("/assets", thing, "/reports", "/sensors", station, "/heat", "/water")
            for path in (*paths, "/maintenance"):
                page.goto(path)
                scrolled = page.evaluate("document.documentElement.scrollWidth")
                if scrolled > width:
                    wide[f"{path} at {width} px"] = scrolled
        finally:
            context.close()
    assert wide == {}


FIGURES_FIT = """[...document.querySelectorAll("main .table-scroll")]
  .every((region) => region.scrollWidth <= region.clientWidth)"""


def test_table_cells_keep_their_words_whole_on_a_phone(
    browser: Any, live_server: LiveServer
) -> None:
    """A station's tables of values at 320 px showed "Mitte" and "lwert" on two lines, and
    "30.11.20" and "26": a cell that may break anywhere is squeezed before its table
    scrolls. Now the words stay whole (the headers break only at a compound's seam,
    "Mittel-wert") and the tables fit the phone; a wider one would scroll inside its own
    region, which the keyboard reaches (axe: scrollable-region-focusable)."""
    context = browser.new_context(
        base_url=live_server.url, locale="de-DE", viewport={**PHONE, "width": 320}
    )
    page = context.new_page()
    split = {}
    try:
        page.goto("/sensors")
        station = _first_link(page, "/sensors/")
        for path in (station, f"{station}?period=30d"):
            page.goto(path)
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            assert page.locator("main table.figures").count() > 0, path
            split[path] = page.evaluate(SPLIT_WORDS, "main table.figures :is(th, td)")
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, path
            assert page.evaluate(FIGURES_FIT), path  # no sideways scrolling within either
            assert axe_violations(page) == [], path
    finally:
        context.close()
    assert split == {path: [] for path in split}


def test_breadcrumbs_are_a_trail(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(
        base_url=live_server.url, locale="de-DE", viewport={**PHONE, "width": 320}
    )
    page = context.new_page()
    try:
        page.goto("/sensors")
        page.goto(_first_link(page, "/sensors/"))
        trail = page.locator("nav[aria-label] ol.breadcrumb")
        assert trail.evaluate("e => getComputedStyle(e).listStyleType") == "none"
        assert trail.evaluate("e => getComputedStyle(e).display") == "flex"
        # The way back keeps its word whole ("Sensoren", not "Sensore" and "n" on two lines).
        assert trail.locator("a").first.evaluate("e => e.getClientRects().length") == 1
    finally:
        context.close()


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/sensors", "Art"),
        ("/assets", "Typ"),
        ("/water", "Adresse"),
        ("/heat", "UTCI auf dem heißesten Viertel"),
        ("/energy", "Fläche m² (NGF)"),
        ("/water/meters", "Nutzung"),
        ("/reports", "Eingegangen"),
        ("/ogcapi/collections/assets-tree/items?f=html", "identifier"),
    ],
)
def test_lists_on_a_phone_are_a_block_per_row(
    browser: Any, live_server: LiveServer, path: str, label: str
) -> None:
    """Five or six columns in 390 px broke every word; on a phone each row is a block whose
    small cells say what they are ("Art: Wetterstation"), and nothing scrolls sideways."""
    context = browser.new_context(base_url=live_server.url, locale="de-DE", viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(path)
        table = page.locator("main table.blocks").first
        assert table.evaluate("e => e.scrollWidth <= e.clientWidth")
        cell = table.locator("tbody tr").first.locator("td").nth(1)
        assert cell.evaluate("e => getComputedStyle(e).display") == "block"
        assert cell.evaluate("e => getComputedStyle(e, '::before').content") == f'"{label}: "'
        assert axe_violations(page) == []
    finally:
        context.close()


def test_report_form_without_javascript(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(
        base_url=live_server.url, locale="de-DE", java_script_enabled=False, viewport=PHONE
    )
    page = context.new_page()
    try:
        page.goto("/reports/new")
        assert page.locator("fieldset.category-fields:visible").count() == 0
        assert page.locator(".map.picker:visible").count() == 0
        choice = page.locator("fieldset.category-fields").first.get_attribute("data-category")
        assert choice
        page.locator("#f-service").select_option(choice)
        page.get_by_role("button", name="Fragen dieser Kategorie zeigen").click()
        page.wait_for_url(f"**service={choice}**")
        visible = page.locator("fieldset.category-fields:visible")
        assert visible.count() == 1
        assert visible.get_attribute("data-category") == choice
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
