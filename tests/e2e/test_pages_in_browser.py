"""The main pages in Chromium: no sideways scrolling on a 390 px phone, breadcrumbs as a trail
(not a numbered list), and the report form without JavaScript. (axe on every page:
test_every_page_accessible.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def _first_link(page: Any, prefix: str) -> str:
    href = page.locator(f"main a[href^='{prefix}']").first.get_attribute("href")
    assert href, prefix
    return str(href)


def test_pages_reflow_on_a_phone(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(base_url=live_server.url, locale="de-DE", viewport=PHONE)
    page = context.new_page()
    try:
        wide = {}
        for path in ("/assets", "/reports", "/sensors", "/heat", "/water", "/maintenance"):
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                wide[path] = width
        assert wide == {}
    finally:
        context.close()


def test_breadcrumbs_are_a_trail(page: Any) -> None:
    page.goto("/sensors")
    page.goto(_first_link(page, "/sensors/"))
    trail = page.locator("nav[aria-label] ol.breadcrumb")
    assert trail.evaluate("e => getComputedStyle(e).listStyleType") == "none"
    assert trail.evaluate("e => getComputedStyle(e).display") == "flex"


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
