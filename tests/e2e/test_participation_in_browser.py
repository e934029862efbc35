"""Participation in headless Chromium, on the demo's market square of Auenstadt.

A citizen reads the process, places a contribution on the Leaflet map and answers the survey;
a moderator gives official feedback; the citizen then sees it. The contribution form works with
the keyboard alone, and every citizen page passes axe-core.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import OPERATOR_EMAIL, LiveServer, screenshot
from tests.e2e.pages import signed_in
from tests.e2e.support import MAP_READY_SCRIPT, SPLIT_WORDS, axe_violations, maps_drawn

pytestmark = pytest.mark.e2e
PROCESS = "Neugestaltung des Marktplatzes"
CITIZEN = "buerger@demo.allmende.example"
MODERATOR = "staff@auenstadt.demo.allmende.example"


def click_map_centre(page: Any, selector: str) -> None:
    """Click the middle of a Leaflet map once it shows the process area."""
    map_element = page.locator(selector)
    map_element.locator("path").first.wait_for(state="attached")
    box = map_element.bounding_box()
    map_element.click(position={"x": box["width"] / 2, "y": box["height"] / 2})


def test_a_citizen_takes_part_and_sees_the_official_answer(
    page: Any, browser: Any, live_server: LiveServer
) -> None:
    signed_in(page, live_server.url, CITIZEN)
    page.goto("/participation")
    page.get_by_role("link", name=PROCESS).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PROCESS)
    expect(page.get_by_role("heading", name="Was geplant ist")).to_be_visible()
    expect(page.get_by_text("Ideensammlung").first).to_be_visible()
    page.locator("#process-map .leaflet-interactive").first.wait_for()  # plans and contributions
    screenshot(page, "participation-process.png")

    page.get_by_role("link", name="Beitrag schreiben").first.click()
    page.locator("#f-title").fill("Schattige Sitzecke am Brunnen")
    page.locator("#f-text").fill("Bänke unter Bäumen am alten Brunnen, mit Rückenlehnen.")
    page.get_by_label("Aufenthalt und Spiel").check()
    click_map_centre(page, ".picker__map")
    expect(page.locator("#f-geometry-value")).to_have_value(re.compile('"Point"'))
    expect(page.locator("#picker-status")).to_contain_text("Punkt gesetzt")
    page.get_by_role("button", name="Beitrag veröffentlichen").click()
    page.wait_for_url(re.compile(r".*/participation/contributions/\d+.*"))
    contribution_url = page.url.split("?")[0]
    expect(page.get_by_role("status").first).to_contain_text(
        "Danke! Ihr Beitrag ist veröffentlicht."
    )
    expect(page.locator("#contribution-map")).to_be_visible()

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
    expect(page.get_by_role("status").first).to_contain_text("Danke für Ihre Teilnahme")
    page.get_by_role("link", name="Ergebnisse ansehen").click()
    expect(page.locator("svg.chart__svg").nth(2)).to_be_attached()  # 3+ charts, with tables

    moderator_context = browser.new_context(base_url=live_server.url, locale="de-DE")
    moderator = moderator_context.new_page()
    moderator.set_default_timeout(10_000)
    signed_in(moderator, live_server.url, MODERATOR)
    moderator.goto(contribution_url)
    moderator.get_by_label("Stand").select_option("accepted")
    moderator.get_by_label("Offizielle öffentliche Antwort").fill(
        "Danke! Die Sitzecke am Brunnen geben wir allen Planungsbüros als Vorgabe mit."
    )
    moderator.get_by_role("button", name="Stand und Antwort veröffentlichen").click()
    expect(moderator.get_by_role("status").first).to_contain_text(
        "Die offizielle Antwort ist veröffentlicht"
    )
    moderator_context.close()

    page.goto("/participation/me")
    notification = page.get_by_role("link", name=re.compile("Die Kommune hat Ihren Beitrag"))
    expect(notification.first).to_contain_text("Schattige Sitzecke am Brunnen")
    notification.first.click()
    answer = page.locator("#answer")
    expect(answer).to_contain_text("Sitzecke am Brunnen geben wir allen Planungsbüros")
    expect(answer).to_contain_text("Aufgenommen")
    screenshot(page, "participation-answer.png")


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
    expect(summary).to_contain_text("Es gibt ein Problem")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#f-title")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-title")).to_have_attribute(
        "aria-describedby", re.compile(r"\bf-title-error\b")
    )

    tab_to(page, "#f-title")
    page.keyboard.type("Fahrradbügel an der Kirchgasse")
    page.keyboard.press("Tab")
    page.keyboard.type("Überdachte Bügel, damit Räder nicht nass werden.")
    tab_to(page, "input[name=category]")
    page.keyboard.press("ArrowDown")  # the second category: Verkehr und Parken
    expect(page.locator("input[name=category]:checked")).to_have_value("Verkehr und Parken")
    tab_to(page, "[data-picker-centre]")
    page.locator(".picker__map path").first.wait_for(state="attached")
    page.keyboard.press("Enter")
    expect(page.locator("#f-geometry-value")).to_have_value(re.compile('"Point"'))
    tab_to(page, "#f-place")
    page.keyboard.type("Kirchgasse, gegenüber der Bäckerei")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/participation/contributions/\d+.*"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Fahrradbügel an der Kirchgasse")
    expect(page.locator("article")).to_contain_text("Kirchgasse, gegenüber der Bäckerei")


def test_outside_the_area_the_form_says_why(page: Any) -> None:
    page.goto("/participation/1/contribute")
    page.locator("#f-title").fill("Weit weg")
    page.locator("#f-text").fill("Am Bahnhof")
    page.get_by_label("Grün und Klima").check()
    page.locator("#f-geometry-value").evaluate(
        "(el) => el.value = JSON.stringify({type: 'Point', coordinates: [8.70, 49.46]})"
    )
    page.get_by_role("button", name="Beitrag veröffentlichen").click()
    expect(page.get_by_role("alert")).to_contain_text("außerhalb des Gebiets")
    expect(page.locator("#f-geometry-error")).to_contain_text("außerhalb des Gebiets")


def test_the_accessibility_statement_names_a_contact(page: Any) -> None:
    page.goto("/participation/1")
    page.get_by_role("link", name="Erklärung zur Barrierefreiheit").first.click()
    expect(page.locator("main")).to_contain_text(OPERATOR_EMAIL)


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
    maps_drawn(page)


@pytest.mark.parametrize("path", CITIZEN_PAGES)
def test_citizen_pages_pass_axe(page: Any, path: str) -> None:
    page.goto(path)
    _settle(page)
    assert axe_violations(page) == []


def test_citizen_pages_pass_axe_on_a_phone(browser: Any, live_server: LiveServer) -> None:
    """At 390 px wide tables scroll: the drafts' comparison scrolled as a table inside its
    focusable region, which no key reached (axe: scrollable-region-focusable)."""
    context = browser.new_context(
        base_url=live_server.url, locale="de-DE", viewport={"width": 390, "height": 844}
    )
    context.add_init_script(MAP_READY_SCRIPT)
    page = context.new_page()
    try:
        for path in CITIZEN_PAGES:
            page.goto(path)
            _settle(page)
            assert axe_violations(page) == [], path
    finally:
        context.close()


def test_pages_with_errors_and_for_accounts_pass_axe(page: Any, live_server: LiveServer) -> None:
    page.goto("/participation/1/contribute")
    page.get_by_role("button", name="Beitrag veröffentlichen").click()
    page.get_by_role("alert").wait_for()
    _settle(page)
    assert axe_violations(page) == []
    signed_in(page, live_server.url, CITIZEN)
    page.goto("/participation/me")
    assert axe_violations(page) == []
    page.goto("/participation/1")
    _settle(page)
    assert axe_violations(page) == []  # with the follow button


def test_staff_pages_pass_axe(page: Any, live_server: LiveServer) -> None:
    signed_in(page, live_server.url, MODERATOR)
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


def test_survey_results_are_readable_on_a_phone(browser: Any, live_server: LiveServer) -> None:
    """The charts drew their labels beside the bars, 640 units wide, shrunk to 8 px on a
    phone; the answers' column split "Veranstaltungen". Now each label sits above its bar in
    a drawing 360 units wide and the answers get most of the table."""
    context = browser.new_context(
        base_url=live_server.url, locale="de-DE", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    try:
        page.goto("/participation/surveys/1/results")
        label = page.locator("svg.chart__svg text.chart__label").first
        assert label.evaluate("e => e.getBoundingClientRect().height") >= 12  # px on the screen
        assert page.evaluate(SPLIT_WORDS, "main table.chart__table :is(th, td)") == []
        assert axe_violations(page) == []
    finally:
        context.close()
