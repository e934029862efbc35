"""Public spaces in headless Chromium: a citizen's report goes from "received" through a work
order to "closed"; staff record a due inspection with a high-priority defect; every page of
the module passes axe."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from allmende.modules.assets.models import AssetObject, InspectionPlan, ObjectType, Report
from tests.e2e.conftest import LiveServer, screenshot
from tests.e2e.pages import session_cookies, signed_in
from tests.e2e.support import axe_violations

pytestmark = pytest.mark.e2e

STAFF = "staff@auenstadt.demo.allmende.example"


def test_report_received_work_order_done_request_closed(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    # a citizen reports without an account: the region's category, the place by coordinates
    page.goto("/reports/new")
    page.get_by_label("Kategorie (Pflichtfeld)", exact=True).select_option(label="Straßenschaden")
    page.get_by_label("Was ist das Problem?").fill("Tiefes Schlagloch auf dem Radweg an der Brücke")
    page.get_by_text("Koordinaten (per Klick in die Karte gesetzt)").click()
    page.get_by_label("Breitengrad").fill("49.4712")
    page.get_by_label("Längengrad").fill("8.7231")
    page.get_by_label("Adresse oder Beschreibung des Ortes").fill("Neckarstraße, Höhe Brücke")
    page.get_by_role("button", name="Meldung absenden").click()
    page.wait_for_load_state()
    same = page.get_by_role("button", name="Es ist ein anderes Problem: Meldung senden")
    if same.count():
        same.click()
    page.wait_for_url(re.compile(r"/reports/\d+"))
    expect(page.get_by_text("Danke! Ihre Meldung ist eingegangen.")).to_be_visible()
    expect(page.locator("#report-status")).to_have_text("eingegangen")
    report_url = page.url.split("?")[0]
    report_id = report_url.rsplit("/", 1)[1]

    # staff see it as received, turn it into a work order and mark that done
    signed_in(page, live_server.url, STAFF)
    page.goto("/maintenance/reports")
    row = page.locator("tr", has=page.get_by_role("link", name=f"#{report_id}", exact=True))
    expect(row).to_contain_text("eingegangen")
    row.get_by_role("link", name=f"#{report_id}", exact=True).click()
    page.get_by_label("Kolonne oder Firma").fill("Bauhof, Kolonne Straße")
    page.get_by_role("button", name="Arbeitsauftrag anlegen").click()
    page.wait_for_url(re.compile(r"/maintenance/work-orders/\d+"))
    expect(page.get_by_text("Der Arbeitsauftrag wurde angelegt.")).to_be_visible()
    page.get_by_label("Status", exact=True).select_option("done")
    page.get_by_label("Was wurde getan").fill("Schlagloch verfüllt und markiert.")
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator("#work-order-status")).to_have_text("erledigt")

    # the request is closed, with the status notes for everyone
    page.goto(report_url)
    expect(page.locator("#report-status")).to_have_text("erledigt")
    expect(page.get_by_text("Schlagloch verfüllt und markiert.")).to_be_visible()
    page.goto(f"/maintenance/reports/{report_id}")
    expect(page.locator("#report-state")).to_contain_text("erledigt")
    screenshot(page, "report-closed.png")


def test_inspection_due_to_inspection_recorded(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    signed_in(page, live_server.url, STAFF)
    page.goto("/maintenance")
    expect(page.get_by_role("heading", name="Fällige und überfällige Kontrollen")).to_be_visible()
    row = (
        page.locator("tr", has_text="Visuelle Routine-Inspektion (DIN EN 1176-7)")
        .filter(has_text="überfällig")
        .first
    )
    device = row.locator("td").nth(1).get_by_role("link").inner_text()
    row.get_by_role("link", name=re.compile("^Kontrolle erfassen")).click()
    page.wait_for_url(re.compile(r"/assets/\d+/inspect\?plan=\d+"))
    first = page.locator("fieldset.check-item").first
    first.get_by_label("Mangel", exact=True).check()
    first.get_by_label("Festgestellter Mangel").fill("Glasscherben unter der Rutsche")
    first.get_by_label("Priorität des Mangels").select_option("high")
    page.get_by_role("button", name="Kontrolle speichern").click()
    page.wait_for_url(re.compile(r"/assets/\d+\?msg=inspection-order#inspections"))
    expect(
        page.get_by_text("Für den Mangel mit hoher Priorität wurde ein Arbeitsauftrag angelegt.")
    ).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(device)
    work_order = page.get_by_role("link", name=re.compile("Glasscherben unter der Rutsche")).first
    expect(work_order).to_be_visible()
    page.goto("/maintenance/work-orders")
    expect(
        page.get_by_role("link", name=re.compile("Glasscherben unter der Rutsche")).first
    ).to_be_visible()
    screenshot(page, "inspection-recorded.png")


def test_the_map_picker_fills_the_coordinates(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/reports/new")
    page.locator("[data-picker]").click()
    expect(page.locator("#f-lat")).not_to_have_value("")
    expect(page.locator("#f-lon")).not_to_have_value("")


@pytest.fixture(scope="module")
def ids(live_server: LiveServer) -> dict[str, int]:
    """The demo's first objects of each kind, a plan and a report, for the paths below."""
    with live_server.database.session() as session:

        def first(key: str) -> int:
            return int(
                session.scalar(
                    select(AssetObject.id)
                    .join(ObjectType, ObjectType.id == AssetObject.type_id)
                    .where(ObjectType.key == key)
                    .order_by(AssetObject.id)
                )
            )

        device = first("play_device")
        plan = session.scalar(
            select(InspectionPlan.id)
            .join(ObjectType, ObjectType.id == InspectionPlan.type_id)
            .where(ObjectType.key == "play_device")
        )
        return {
            "tree": first("tree"),
            "playground": first("playground"),
            "device": device,
            "space": first("public_space"),
            "plan": int(plan or 0),
            "report": int(session.scalar(select(Report.id).order_by(Report.id)) or 0),
        }


PUBLIC = [
    "/assets",
    "/assets?type=tree",
    "/assets/{tree}",
    "/assets/{space}",
    "/reports",
    "/reports/new",
    "/reports/{report}",
    "/spaces",
]
CITIZEN_PAGES = ["/my/adoptions", "/spaces/{space}/book", "/assets/{tree}"]
STAFF_PAGES = [
    "/maintenance",
    "/maintenance/reports",
    "/maintenance/reports/{report}",
    "/maintenance/work-orders",
    "/maintenance/work-orders/1",
    "/maintenance/work-orders/new",
    "/maintenance/bookings",
    "/maintenance/categories",
    "/assets/{playground}",
    "/assets/{device}/inspect?plan={plan}",
    "/assets/new/object",
    "/assets/new/object?municipality=auenstadt&type=tree",
    "/assets/new/object?municipality=auenstadt&type=playground",
    "/assets/{tree}/edit",
    "/assets/import/objects",
]


@pytest.fixture(scope="module")
def cookies_of(live_server: LiveServer) -> Callable[[str], list[dict[str, str]]]:
    """A session's cookies per role, signed in over HTTP once for all these pages (the
    sign-in form is the subject of the tests above, not of these)."""
    return cache(lambda who: session_cookies(live_server.url, "de", who))


@pytest.mark.parametrize(
    ("who", "path"),
    [(None, p) for p in PUBLIC]
    + [("citizen", p) for p in CITIZEN_PAGES]
    + [("staff", p) for p in STAFF_PAGES],
)
def test_module_pages_pass_axe(  # type: ignore[no-untyped-def]
    page, ids: dict[str, int], cookies_of: Callable[[str], Any], who: str | None, path: str
) -> None:
    if who:
        page.context.add_cookies(cookies_of(who))
    page.goto(path.format(**ids))
    expect(page.locator("h1")).to_have_count(1)
    assert axe_violations(page) == []


def test_forms_with_errors_pass_axe(page, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    page.goto("/reports/new")
    page.get_by_role("button", name="Meldung absenden").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert axe_violations(page) == []
    signed_in(page, live_server.url, STAFF)
    page.goto("/assets/new/object?municipality=auenstadt&type=tree")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert axe_violations(page) == []
