"""Every HTML page of the demo in Chromium, as a visitor, a citizen, staff and an admin, in German
and English: no serious or critical axe-core finding (WCAG 2.1 A/AA); and every page staff see
reflows on a 390 px phone without sideways scrolling.

The pages are found from the app's routes (tests/e2e/pages.py), so new pages are checked without
listing them here. Every page is checked in both languages: each page of the visitor and of the
admin, and of citizens and staff their own pages plus a few shared ones (the same templates, their
header differs). One browser context per role and language; axe is injected into each page by
an init script and runs once the page's maps have drawn their data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.pages import session_cookies
from tests.e2e.support import (
    AXE_OPTIONS,
    AXE_RUN,
    INKLESS_BUTTONS,
    MAP_READY_SCRIPT,
    SPLIT_WORDS,
    axe_script,
    maps_drawn,
)

pytestmark = pytest.mark.e2e

ROLES = (None, "citizen", "staff", "admin")
PHONE = {"width": 390, "height": 844}

#: Pages a role shares with the visitor or the admin look alike but for the header, so these
#: roles are checked on their own pages and on this many shared ones (the header's variants).
SHARED_SAMPLE = 5
#: The page's language attribute, read by the page's own script: a locator would have Playwright
#: inject its selector engine into each of the few hundred pages (0.05 to 0.1 s of CPU a page).
HTML_LANG = 'document.documentElement.getAttribute("lang")'


@pytest.fixture(scope="module")
def pages_by_role(
    german_pages: Callable[[str | None], dict[str, str]],
) -> dict[str | None, list[str]]:
    """The paths of every page each role reaches (the same links in either language)."""
    return {who: list(german_pages(who)) for who in ROLES}


def _to_check(pages_by_role: dict[str | None, list[str]], who: str | None) -> list[str]:
    """Every page of the visitor and of the admin; of citizens and staff, the pages that
    neither of those two reach, and a sample of the shared ones."""
    if who in (None, "admin"):
        return pages_by_role[who]
    seen = set(pages_by_role[None]) | set(pages_by_role["admin"])
    own = [p for p in pages_by_role[who] if p not in seen]
    shared = [p for p in pages_by_role[who] if p in seen][:SHARED_SAMPLE]
    return shared + own


def _context(
    browser: Any, live_server: LiveServer, language: str, who: str | None, **options: Any
) -> Any:
    context = browser.new_context(base_url=live_server.url, locale=language, **options)
    context.add_cookies(session_cookies(live_server.url, language, who))
    return context


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("language", ["de", "en"])
def test_no_serious_finding_on_any_page(
    browser: Any,
    live_server: LiveServer,
    pages_by_role: dict[str | None, list[str]],
    language: str,
    who: str | None,
) -> None:
    assert len(pages_by_role[who]) > 30
    paths = _to_check(pages_by_role, who)
    context = _context(browser, live_server, language, who)
    context.add_init_script(axe_script())
    context.add_init_script(MAP_READY_SCRIPT)
    page = context.new_page()
    found = {}
    try:
        for path in paths:
            page.goto(path)
            maps_drawn(page)  # axe checks the maps with their data, not half-drawn
            assert page.evaluate(HTML_LANG) == language, path
            violations = page.evaluate(AXE_RUN, AXE_OPTIONS)
            inkless = page.evaluate(INKLESS_BUTTONS)
            if inkless:
                violations.append({"id": "inkless-button", "impact": "serious", "nodes": inkless})
            if violations:
                found[path] = violations
    finally:
        context.close()
    assert found == {}, "\n".join(
        f"{path}: {v['id']} ({v['impact']}) at {v['nodes']}"
        for path, vs in found.items()
        for v in vs
    )


def test_staff_pages_reflow_on_a_phone(
    browser: Any, live_server: LiveServer, pages_by_role: dict[str | None, list[str]]
) -> None:
    """No page scrolls sideways, and no table squeezes its words over two lines (a table of
    many columns is a labelled block per row on a phone, ``table.blocks``)."""
    context = _context(browser, live_server, "de", "staff", viewport=PHONE)
    page = context.new_page()
    wide = {}
    split = {}
    try:
        for path in pages_by_role["staff"]:
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                wide[path] = width
            words = page.evaluate(SPLIT_WORDS, "main table :is(th, td)")
            if words:
                split[path] = words[:5]
    finally:
        context.close()
    assert wide == {}
    assert split == {}
