"""Energy pages in headless Chromium on the demo region: the portfolio, a building's page for
anyone and for staff (the plan beside the schedule, the demand event), the printable report;
axe on every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from allmende.demo.region import DEMO_PASSWORD
from allmende.sdk import utcnow
from tests.e2e.conftest import screenshot
from tests.e2e.support import axe_violations

pytestmark = pytest.mark.e2e

STAFF = "staff@lindenbach.demo.allmende.example"


def test_portfolio_building_and_report(page) -> None:  # type: ignore[no-untyped-def]
    year = utcnow().year - 1
    page.goto(f"/energy?municipality=lindenbach&year={year}")
    expect(page.get_by_role("heading", name="Energieverbrauch kommunaler Gebäude")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Grundschule Lindenbach").click()
    page.wait_for_url(re.compile(r"/energy/buildings/\d+"))
    expect(page.get_by_role("heading", name="Grundschule Lindenbach")).to_be_visible()
    assert axe_violations(page) == []
    page.goto(f"/energy/report/lindenbach/{year}")
    expect(page.get_by_role("cell", name="Schulen")).to_be_visible()
    assert axe_violations(page) == []


def test_staff_see_the_plan_and_the_demand_event(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("E-Mail").fill(STAFF)
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/")
    page.goto("/energy?municipality=lindenbach")
    page.get_by_role("link", name="Grundschule Lindenbach").click()
    page.wait_for_url(re.compile(r"/energy/buildings/\d+"))
    expect(page.get_by_role("heading", name=re.compile("Zone Gesamtgebäude"))).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("nächste 24 Stunden"))).to_be_visible()
    expect(page.get_by_role("rowheader", name="Netzengpass Mittag")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "energy-building.png")


def test_staff_forms_without_script_and_accessible(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("E-Mail").fill(STAFF)
    page.get_by_label("Passwort").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/")
    page.goto("/energy?municipality=lindenbach")
    page.get_by_role("link", name="Grundschule Lindenbach").click()
    page.wait_for_url(re.compile(r"/energy/buildings/\d+"))
    expect(page.get_by_role("rowheader", name="Leitwert der Hülle")).to_be_visible()  # calibrated
    page.get_by_role("link", name=re.compile("Regelung einstellen")).click()
    expect(page.get_by_role("heading", name="Regelung der Zone Gesamtgebäude")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Komfortband von").fill("viel")
    page.get_by_role("button", name="Regelung speichern").click()
    field = page.get_by_label("Komfortband von")
    assert field.get_attribute("aria-invalid") == "true"
    assert page.locator("#f-comfort-low-error").inner_text() == "muss eine Zahl sein"
    assert axe_violations(page) == []
    page.goto("/energy/tariffs?municipality=lindenbach")
    expect(page.get_by_role("heading", name="Tarife von Lindenbach")).to_be_visible()
    assert axe_violations(page) == []
    page.goto("/energy/buildings/new")
    assert axe_violations(page) == []
