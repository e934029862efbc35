"""Reports routed by place on a 390 px phone, in German: a citizen reports a broken bench by
searching its address without choosing the Gemeinde; staff of the Gemeinde see it on a map and
forward it; staff of the other Gemeinde turn it into a work order and export the month's
reports as CSV for Excel. axe-core finds nothing serious on the pages on the way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from allmende.modules.assets.models import Report
from tests.e2e.conftest import LiveServer
from tests.e2e.pages import signed_in
from tests.e2e.support import axe_violations

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
AUENSTADT = "staff@auenstadt.demo.allmende.example"
LINDENBACH = "staff@lindenbach.demo.allmende.example"


def phone(browser, live_server: LiveServer):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, locale="de-DE", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def test_a_bench_reported_by_address_is_forwarded_ordered_and_exported(  # type: ignore[no-untyped-def]
    browser, live_server: LiveServer, tmp_path: Path
) -> None:
    # a citizen: the category of the region, the place by its address, no Gemeinde asked
    context, page = phone(browser, live_server)
    page.goto("/reports/new")
    page.get_by_label("Kategorie (Pflichtfeld)", exact=True).select_option(label="Sonstiges")
    page.get_by_label("Was ist das Problem?").fill("Die Sitzbank ist gebrochen, eine Latte fehlt.")
    page.get_by_label("Adresse oder Ort suchen").fill("Bank")
    page.get_by_role("button", name="Suche", exact=True).click()
    hit = page.get_by_role("button", name=re.compile(r"^Bank .*, Auenstadt$")).first
    expect(hit).to_be_visible()
    assert axe_violations(page) == []
    hit.click()
    expect(page.get_by_label("Breitengrad")).not_to_have_value("")
    page.get_by_role("button", name="Meldung absenden").click()
    same = page.get_by_role("button", name="Es ist ein anderes Problem: Meldung senden")
    page.wait_for_load_state()
    if same.count():
        same.click()
    page.wait_for_url(re.compile(r"/reports/\d+"))
    report_id = int(page.url.split("?")[0].rsplit("/", 1)[1])
    with live_server.database.session() as session:
        report = session.get(Report, report_id)
        assert report is not None and report.address is not None
        assert report.address.endswith("Auenstadt")

    # Auenstadt's staff: the report on a map, forwarded to Lindenbach with a note (the same
    # phone, its cookies gone: its cache keeps the style sheets and scripts)
    context.clear_cookies()
    signed_in(page, live_server.url, AUENSTADT)
    page.goto(f"/maintenance/reports/{report_id}")
    expect(page.locator("[data-geojson-url].leaflet-container")).to_be_visible()
    expect(page.get_by_label("Öffentliche Notiz")).not_to_be_checked()
    assert axe_violations(page) == []
    page.get_by_label("Kommune", exact=True).select_option(label="Lindenbach")
    page.get_by_label("Warum sie dorthin geht (interne Notiz)").fill(
        "Die Bank steht auf Lindenbacher Grund."
    )
    page.get_by_role("button", name="Weiterleiten").click()
    expect(
        page.get_by_text("Die Meldung wurde an die andere Gemeinde weitergeleitet.")
    ).to_be_visible()

    # Lindenbach's staff: a work order from the report, and the month's reports for Excel
    context.clear_cookies()
    signed_in(page, live_server.url, LINDENBACH)
    page.goto(f"/maintenance/reports/{report_id}")
    expect(page.get_by_text("Weitergeleitet von Auenstadt an Lindenbach")).to_be_visible()
    page.get_by_label("Kolonne oder Firma").fill("Bauhof Lindenbach")
    page.get_by_role("button", name="Arbeitsauftrag anlegen").click()
    page.wait_for_url(re.compile(r"/maintenance/work-orders/\d+"))
    expect(page.locator("[data-geojson-url].leaflet-container")).to_be_visible()
    assert axe_violations(page) == []
    page.goto("/maintenance/reports")
    report_map = page.locator("[data-geojson-url].leaflet-container")
    expect(report_map.locator(".leaflet-marker-icon, .marker-cluster").first).to_be_visible()
    page.get_by_text("Meldungen exportieren").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="CSV für Excel herunterladen").click()
    path = tmp_path / "meldungen.csv"
    download.value.save_as(path)
    content = path.read_bytes()
    assert content.startswith("\ufeff".encode())
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id;municipality;category_code;")
    assert any(line.startswith(f"{report_id};lindenbach;sonstiges;") for line in lines[1:])
    assert axe_violations(page) == []
    context.close()


def test_use_my_location_fills_the_place(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server.url,
        locale="de-DE",
        viewport=PHONE,
        geolocation={"latitude": 49.4712, "longitude": 8.7231},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto("/reports/new")
    page.get_by_role("button", name="Meinen Standort verwenden").click()
    expect(page.locator("#f-lat")).to_have_value("49.471200")
    expect(page.locator("#f-lon")).to_have_value("8.723100")
    context.close()
