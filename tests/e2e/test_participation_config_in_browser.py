"""Staff configure the demo's market-square process in Chromium on a 390 px phone, in German:
a survey with two questions, opened; a plan image uploaded and placed by clicking its corners
on the map, then shown over the process map. Every new page passes axe-core in de and en."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer, screenshot
from tests.e2e.pages import signed_in
from tests.e2e.support import axe_violations
from tests.e2e.test_participation_in_browser import MODERATOR

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


def _plan_png() -> bytes:
    image = Image.new("RGB", (240, 160), (240, 230, 200))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _click_at(page: Any, selector: str, x: float, y: float) -> None:
    """Click a map at a share of its width and height."""
    box = page.locator(selector).bounding_box()
    page.locator(selector).click(position={"x": box["width"] * x, "y": box["height"] * y})


def test_staff_build_a_survey_and_place_a_plan_on_a_phone(
    browser: Any, live_server: LiveServer
) -> None:
    context = browser.new_context(base_url=live_server.url, locale="de-DE", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    found: dict[str, Any] = {}

    def check(name: str) -> None:
        violations = axe_violations(page)
        if violations:
            found[f"{name} ({page.locator('html').get_attribute('lang')})"] = violations

    try:
        signed_in(page, live_server.url, MODERATOR)
        page.goto("/participation/1/cockpit")
        page.get_by_role("link", name="Neue Umfrage").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Neue Umfrage")
        check("new survey")
        page.get_by_label("Titel").fill("Spielgeräte am Markt")
        page.get_by_role("button", name="Umfrage anlegen").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Spielgeräte am Markt")
        check("survey editor")

        page.locator("#f-kind").select_option("single")
        page.locator("#f-prompt").fill("Welches Spielgerät wünschen Sie sich?")
        page.locator("#f-options").fill("Rutsche\nSchaukel\nKletterturm")
        page.get_by_role("button", name="Frage hinzufügen").click()
        expect(page.locator(".question-list > li")).to_have_count(1)
        page.locator("#f-kind").select_option("scale")
        page.locator("#f-prompt").fill("Wie wichtig ist Ihnen Schatten?")
        page.locator("#f-scale_min_label").fill("unwichtig")
        page.locator("#f-scale_max_label").fill("sehr wichtig")
        page.get_by_role("button", name="Frage hinzufügen").click()
        expect(page.locator(".question-list > li")).to_have_count(2)
        page.locator(".question-list a[href$='/edit']").first.click()
        expect(page.locator("#f-options")).to_have_value("Rutsche\nSchaukel\nKletterturm")
        check("question editor")
        page.get_by_role("link", name="Zurück zur Umfrage").click()
        page.get_by_role("button", name="Umfrage öffnen").click()
        expect(page.locator("#survey-state")).to_contain_text("Die Umfrage ist offen")
        survey_editor = page.url.split("?")[0].split("#")[0]
        page.get_by_role("link", name="Die öffentliche Seite der Umfrage").click()
        expect(page.get_by_label("Kletterturm")).to_be_attached()
        screenshot(page, "participation-survey-built.png", full_page=False)

        page.goto("/participation/1/cockpit")
        page.get_by_role("link", name=re.compile("Planbilder hochladen")).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Pläne und Entwürfe")
        check("plans")
        page.get_by_label("Titel").first.fill("Spielplatz, Lageplan")
        page.locator("#f-file").set_input_files(
            {"name": "lageplan.png", "mimeType": "image/png", "buffer": _plan_png()}
        )
        picker = ".corner-picker .picker__map"
        page.locator(f"{picker} path").first.wait_for(state="attached")  # the process area
        _click_at(page, picker, 0.3, 0.3)
        expect(page.locator("[data-corner-status]")).to_contain_text("Linke obere Ecke gesetzt")
        _click_at(page, picker, 0.7, 0.7)
        expect(page.locator("[data-corner-status]")).to_have_text("Beide Ecken sind gesetzt.")
        decimal_comma = re.compile(r"^-?\d+,\d+$")
        for field in ("#f-nw_lat", "#f-nw_lon", "#f-se_lat", "#f-se_lon"):
            expect(page.locator(field)).to_have_value(decimal_comma)
        page.get_by_role("button", name="Plan hochladen").click()
        expect(page.get_by_role("status").first).to_contain_text("Gespeichert")
        expect(page.locator(".plan-list")).to_contain_text("Spielplatz, Lageplan")
        expect(page.locator("#plans-map img.leaflet-image-layer")).to_have_count(1)
        page.locator("a[href^='/participation/drafts/'][href$='/edit']").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Entwurf ändern")
        check("draft editor")

        page.goto("/participation/1")
        expect(page.locator("#process-map img.leaflet-image-layer")).to_have_count(1)
        screenshot(page, "participation-plan-placed.png", full_page=False)

        context.add_cookies([{"name": "allmende_lang", "value": "en", "url": live_server.url}])
        for name, path in (
            ("new survey", "/participation/1/surveys/new"),
            ("survey editor", survey_editor),
            ("plans", "/participation/1/plans"),
        ):
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("lang", "en")
            check(name)
        page.goto(survey_editor)
        page.locator(".question-list a[href$='/edit']").first.click()
        check("question editor")
        page.goto("/participation/1/plans")
        page.locator("a[href^='/participation/drafts/'][href$='/edit']").first.click()
        check("draft editor")
        assert found == {}
    finally:
        context.close()
