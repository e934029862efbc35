"""Participation in headless Chromium, on the demo's market square of Auenstadt.

A citizen reads the process, places a contribution on the Leaflet map and answers the survey;
a moderator gives official feedback; the citizen then sees it. The contribution form works with
the keyboard alone, and every citizen page passes axe-core.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from allmende.demo.region import DEMO_PASSWORD
from tests.e2e.conftest import OPERATOR_EMAIL, LiveServer, screenshot_dir
from tests.e2e.support import axe_violations

pytestmark = pytest.mark.e2e
PROCESS = "Neugestaltung des Marktplatzes"
CITIZEN = "buerger@demo.allmende.example"
MODERATOR = "staff@auenstadt.demo.allmende.example"


def sign_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/$"))


def click_map_centre(page: Any, selector: str) -> None:
    """Click the middle of a Leaflet map once it shows the process area."""
    map_element = page.locator(selector)
    map_element.locator("path").first.wait_for(state="attached")
    box = map_element.bounding_box()
    map_element.click(position={"x": box["width"] / 2, "y": box["height"] / 2})


def test_a_citizen_takes_part_and_sees_the_official_answer(
    page: Any, browser: Any, live_server: LiveServer
) -> None:
    sign_in(page, CITIZEN)
    page.goto("/participation")
    page.get_by_role("link", name=PROCESS).first.click()
    assert page.get_by_role("heading", level=1).inner_text() == PROCESS
    assert page.get_by_role("heading", name="Was geplant ist").is_visible()
    assert page.get_by_text("Ideensammlung").first.is_visible()
    page.locator("#process-map .leaflet-interactive").first.wait_for()  # plans and contributions
    page.screenshot(path=str(screenshot_dir() / "participation-process.png"), full_page=True)

    page.get_by_role("link", name="Beitrag schreiben").first.click()
    page.locator("#f-title").fill("Schattige Sitzecke am Brunnen")
    page.locator("#f-text").fill("Bänke unter Bäumen am alten Brunnen, mit Rückenlehnen.")
    page.get_by_label("Aufenthalt und Spiel").check()
    click_map_centre(page, ".picker__map")
    assert '"Point"' in page.locator("#f-geometry-value").input_value()
    assert "Punkt gesetzt" in page.locator("#picker-status").inner_text()
    page.get_by_role("button", name="Beitrag veröffentlichen").click()
    page.wait_for_url(re.compile(r".*/participation/contributions/\d+.*"))
    contribution_url = page.url.split("?")[0]
    assert "Danke! Ihr Beitrag ist veröffentlicht." in page.get_by_role("status").first.inner_text()
    assert page.locator("#contribution-map").is_visible()

    page.goto("/participation")
    page.get_by_role("link", name=PROCESS).first.click()
    page.get_by_role("link", name=re.compile("^Umfrage:")).first.click()
    page.get_by_label("Mehrmals pro Woche").check()
    page.get_by_label("Schatten und Bäume").check()
    page.get_by_label("Trinkwasser").check()
    page.get_by_label(re.compile(r"^4$")).check()
    for option, rank in (
        ("Mehr Grün und Schatten", "1"),
        ("Den Wochenmarkt stärken", "2"),
        ("Parkplätze erhalten", "4"),
        ("Platz für Feste und Veranstaltungen", "3"),
    ):
        page.get_by_label(option).select_option(rank)
    click_map_centre(page, ".picker__map")
    page.get_by_label("Was möchten Sie uns noch mitgeben?").fill("Bitte Trinkbrunnen!")
    page.get_by_role("button", name="Antworten absenden").click()
    assert "Danke für Ihre Teilnahme" in page.get_by_role("status").first.inner_text()
    page.get_by_role("link", name="Ergebnisse ansehen").click()
    assert page.locator("svg.chart__svg").count() >= 3  # charts, with tables for reading

    moderator_context = browser.new_context(base_url=live_server.url, locale="de-DE")
    moderator = moderator_context.new_page()
    moderator.set_default_timeout(10_000)
    sign_in(moderator, MODERATOR)
    moderator.goto(contribution_url)
    moderator.get_by_label("Stand").select_option("accepted")
    moderator.get_by_label("Offizielle öffentliche Antwort").fill(
        "Danke! Die Sitzecke am Brunnen geben wir allen Planungsbüros als Vorgabe mit."
    )
    moderator.get_by_role("button", name="Stand und Antwort veröffentlichen").click()
    assert (
        "Die offizielle Antwort ist veröffentlicht"
        in moderator.get_by_role("status").first.inner_text()
    )
    moderator_context.close()

    page.goto("/participation/me")
    notification = page.get_by_role("link", name=re.compile("Die Kommune hat Ihren Beitrag"))
    assert "Schattige Sitzecke am Brunnen" in notification.first.inner_text()
    notification.first.click()
    answer = page.locator("#answer")
    assert "Sitzecke am Brunnen geben wir allen Planungsbüros" in answer.inner_text()
    assert "Aufgenommen" in answer.inner_text()
    page.screenshot(path=str(screenshot_dir() / "participation-answer.png"), full_page=True)


def tab_to(page: Any, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate(
            "(s) => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_the_contribution_form_works_with_the_keyboard_alone(page: Any) -> None:
    page.goto("/participation")
    tab_to(page, "main a[href='/participation/1']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/participation/\d+$"))
    tab_to(page, "a.button[href$='/contribute']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/contribute$"))

    # Sending it empty: the problems are announced and lead to the fields.
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    summary = page.get_by_role("alert")
    assert "Es gibt ein Problem" in summary.inner_text()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.locator("#f-title").get_attribute("aria-invalid") == "true"
    assert "f-title-error" in page.locator("#f-title").get_attribute("aria-describedby")

    tab_to(page, "#f-title")
    page.keyboard.type("Fahrradbügel an der Kirchgasse")
    page.keyboard.press("Tab")
    page.keyboard.type("Überdachte Bügel, damit Räder nicht nass werden.")
    tab_to(page, "input[name=category]")
    page.keyboard.press("ArrowDown")  # the second category: Verkehr und Parken
    assert (
        page.locator("input[name=category]:checked").get_attribute("value") == "Verkehr und Parken"
    )
    tab_to(page, "[data-picker-centre]")
    page.locator(".picker__map path").first.wait_for(state="attached")
    page.keyboard.press("Enter")
    assert '"Point"' in page.locator("#f-geometry-value").input_value()
    tab_to(page, "#f-place")
    page.keyboard.type("Kirchgasse, gegenüber der Bäckerei")
    page.wait_for_timeout(3200)  # people take a moment; the timing check refuses scripts
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/participation/contributions/\d+.*"))
    assert page.get_by_role("heading", level=1).inner_text() == "Fahrradbügel an der Kirchgasse"
    assert "Kirchgasse, gegenüber der Bäckerei" in page.locator("article").inner_text()


def test_outside_the_area_the_form_says_why(page: Any) -> None:
    page.goto("/participation/1/contribute")
    page.locator("#f-title").fill("Weit weg")
    page.locator("#f-text").fill("Am Bahnhof")
    page.get_by_label("Grün und Klima").check()
    page.locator("#f-geometry-value").evaluate(
        "(el) => el.value = JSON.stringify({type: 'Point', coordinates: [8.70, 49.46]})"
    )
    page.wait_for_timeout(3200)
    page.get_by_role("button", name="Beitrag veröffentlichen").click()
    assert "außerhalb des Gebiets" in page.get_by_role("alert").inner_text()
    assert "außerhalb des Gebiets" in page.locator("#f-geometry-error").inner_text()


def test_the_accessibility_statement_names_a_contact(page: Any) -> None:
    page.goto("/participation/1")
    page.get_by_role("link", name="Erklärung zur Barrierefreiheit").first.click()
    assert OPERATOR_EMAIL in page.locator("main").inner_text()


CITIZEN_PAGES = [
    "/participation",
    "/participation/1",
    "/participation/1/contribute",
    "/participation/1/contributions",
    "/participation/contributions/1",
    "/participation/1/drafts",
    "/participation/surveys/1",
    "/participation/surveys/1/results",
    "/participation/report?contribution=1",
    "/participation/2",
    "/accessibility",
]


def _settle(page: Any) -> None:
    """Let the maps draw (their controls are checked too)."""
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("path", CITIZEN_PAGES)
def test_citizen_pages_pass_axe(page: Any, path: str) -> None:
    page.goto(path)
    _settle(page)
    assert axe_violations(page) == []


def test_pages_with_errors_and_for_accounts_pass_axe(page: Any) -> None:
    page.goto("/participation/1/contribute")
    page.get_by_role("button", name="Beitrag veröffentlichen").click()
    page.get_by_role("alert").wait_for()
    _settle(page)
    assert axe_violations(page) == []
    sign_in(page, CITIZEN)
    page.goto("/participation/me")
    assert axe_violations(page) == []
    page.goto("/participation/1")
    _settle(page)
    assert axe_violations(page) == []  # with the follow button


def test_staff_pages_pass_axe(page: Any) -> None:
    sign_in(page, MODERATOR)
    for path in (
        "/participation/1/cockpit",
        "/participation/1/cockpit?view=categories",
        "/participation/1/cockpit?view=map",
        "/participation/contributions/1",
        "/participation/1/edit",
        "/participation/new",
    ):
        page.goto(path)
        _settle(page)
        assert axe_violations(page) == [], path
