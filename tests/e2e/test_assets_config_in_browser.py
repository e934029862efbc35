"""Staff configure their municipality in Chromium on a 390 px phone, in German: a report
category, an object type with attributes and an inspection plan, each through its page; every
new page passes axe in German and English (its empty form, with errors and filled in)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer
from tests.e2e.pages import signed_in
from tests.e2e.support import axe_script, axe_violations

pytestmark = pytest.mark.e2e

STAFF = "staff@auenstadt.demo.allmende.example"
PHONE = {"width": 390, "height": 844}


def _phone(browser: Any, live_server: LiveServer, language: str) -> Any:
    context = browser.new_context(base_url=live_server.url, locale=language, viewport=PHONE)
    # axe with each page: cheaper than evaluating its source in each page it checks (most)
    context.add_init_script(axe_script())
    page = context.new_page()
    page.set_default_timeout(10_000)
    signed_in(page, live_server.url, STAFF)  # the sign-in form is not the subject here
    return _language(page, live_server, language)


def _language(page: Any, live_server: LiveServer, language: str) -> Any:
    """``page`` in ``language`` from its next page on (the site's language cookie)."""
    cookie = {"name": "allmende_lang", "value": language, "url": live_server.url}
    page.context.add_cookies([cookie])
    return page


def _checked(page: Any, found: dict[str, Any]) -> None:
    """axe finds nothing serious, and the page does not scroll sideways on the phone."""
    path = page.url.split("//", 1)[1].split("/", 1)[1]
    if violations := axe_violations(page):
        found[path] = violations
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        found[path] = f"{width} px wide"


def test_staff_configure_categories_types_and_plans_on_a_phone(
    browser: Any, live_server: LiveServer
) -> None:
    page = _phone(browser, live_server, "de")
    found: dict[str, Any] = {}
    try:
        # a report category with a question
        page.goto("/maintenance")
        page.get_by_role("link", name="Meldekategorien").click()
        _checked(page, found)
        page.get_by_role("link", name="Kategorie hinzufügen").click()
        _checked(page, found)
        page.get_by_role("button", name="Kategorie speichern").click()
        expect(page.get_by_role("alert")).to_contain_text("Kürzel")
        expect(page.locator("#f-name-error")).to_have_text("ist erforderlich")
        _checked(page, found)
        page.get_by_label("Kürzel").fill("trinkbrunnen-defekt")
        page.get_by_label("Name", exact=False).first.fill("Trinkbrunnen defekt")
        page.get_by_label("Gruppe").fill("Grün und Spiel")
        page.get_by_label("Suchbegriffe").fill("Brunnen, Wasser")
        page.locator("#f-attributes-0-description").fill("Was ist los?")
        page.locator("#f-attributes-0-datatype").select_option("singlevaluelist")
        page.locator("#f-attributes-0-values").fill("Kein Wasser, Verschmutzt")
        page.get_by_role("button", name="Kategorie speichern").click()
        page.wait_for_url(re.compile(r"/maintenance/categories\?msg=category"))
        expect(page.get_by_text("Die Kategorie wurde hinzugefügt.")).to_be_visible()
        category = page.get_by_role("link", name="Trinkbrunnen defekt")
        expect(category).to_be_visible()
        category_url = category.get_attribute("href")

        # an object type with two attributes
        page.get_by_role("link", name="Objekttypen").first.click()
        _checked(page, found)
        page.get_by_role("link", name="Objekttyp hinzufügen").click()
        _checked(page, found)
        page.get_by_label("Kennung").fill("trinkbrunnen")
        page.locator("#f-name").fill("Trinkbrunnen")
        page.locator("#f-attributes-0-name").fill("baujahr")
        page.locator("#f-attributes-0-title").fill("Baujahr")
        page.locator("#f-attributes-0-type").select_option("integer")
        page.locator("#f-attributes-0-minimum").fill("1900")
        page.locator("#f-attributes-1-name").fill("wasser")
        page.locator("#f-attributes-1-title").fill("Wasser")
        page.locator("#f-attributes-1-allowed").fill("Trinkwasser, Brauchwasser")
        page.get_by_role("button", name="Objekttyp speichern").click()
        page.wait_for_url(re.compile(r"/maintenance/types\?msg=type"))
        kind = page.get_by_role("link", name="Trinkbrunnen", exact=True)
        expect(kind).to_be_visible()
        type_url = kind.get_attribute("href")

        # an inspection plan for the new type
        page.get_by_role("link", name="Kontrollpläne").first.click()
        _checked(page, found)
        page.get_by_role("link", name="Kontrollplan hinzufügen").click()
        _checked(page, found)
        page.get_by_label("Objekttyp").select_option(label="Trinkbrunnen")
        page.get_by_label("Art der Kontrolle").select_option("visual")
        page.locator("#f-name").fill("Wöchentliche Sichtkontrolle")
        page.get_by_label("Alle wie viele Tage").fill("7")
        page.get_by_label("Prüfpunkt 1").fill("Wasser läuft klar")
        page.get_by_label("Prüfpunkt 2").fill("Becken sauber")
        page.get_by_role("button", name="Kontrollplan speichern").click()
        page.wait_for_url(re.compile(r"/maintenance/plans\?msg=plan"))
        expect(page.get_by_role("heading", name=re.compile("Trinkbrunnen"))).to_be_visible()
        plan = page.get_by_role("link", name="Wöchentliche Sichtkontrolle")
        expect(plan).to_be_visible()
        plan_url = plan.get_attribute("href")
        _checked(page, found)
        for url in (category_url, type_url, plan_url):
            page.goto(str(url))
            expect(page.locator("h1")).to_have_count(1)
            _checked(page, found)

        # the same pages in English, on the same phone (its cache keeps the scripts and styles)
        english = _language(page, live_server, "en")
        for path in (
            "/maintenance/categories",
            "/maintenance/categories/new",
            str(category_url),
            "/maintenance/types",
            "/maintenance/types/new",
            str(type_url),
            "/maintenance/plans",
            "/maintenance/plans/new",
            str(plan_url),
        ):
            english.goto(path)
            expect(english.locator("html")).to_have_attribute("lang", "en")
            _checked(english, found)
        english.goto("/maintenance/plans/new")
        english.get_by_role("button", name="Save inspection plan").click()
        expect(english.get_by_role("alert")).to_contain_text("is required")
        _checked(english, found)
    finally:
        page.context.close()
    assert found == {}
