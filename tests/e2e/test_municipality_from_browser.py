"""A new municipality set up, staffed and run from the browser alone, in headless Chromium,
with every mail read at a real SMTP server on loopback (issue 16's "Done when").

An administrator adds Neudorf (name, boundary, jurisdiction id) and invites its staff member,
who chooses a password by the invitation's link, sets up Neudorf's report categories and puts
the bench by the pond into the register. A citizen signs up on a 390 px phone in German,
confirms the address by mail and reports the broken bench by searching its address, never
asked for the Gemeinde. Neudorf's staff see the report on its map and forward it to A-Stadt,
whose staff turn it into a work order, close it and export the month's reports for Excel;
the citizen hears of each step by mail.

The server runs the test region (A-Stadt, B-Dorf and their accounts) with its jobs, so mails go
out through the real mail job. Nothing is written to the database but through the pages.
"""

from __future__ import annotations

import datetime
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from allmende.app import create_app
from allmende.core.registry import Registry, discover
from allmende.core.settings import Mode, Settings
from allmende.modules.assets.catalogue import LOCAL_ZONE
from allmende.storage.database import Database
from tests.conftest import SECRET, Templates
from tests.e2e.conftest import region_copy
from tests.e2e.pages import signed_in
from tests.support.live import bound_socket, serve
from tests.support.region import PASSWORD
from tests.support.smtp import SmtpServer, links_in, path_of, text_of

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
ADMIN = "admin@example.org"
STAFF_A = "staff-a@example.org"
STAFF_NEW = "nora@neudorf.example"
CITIZEN = "lena@example.org"
#: Neudorf lies east of B-Dorf (the test region's A-Stadt and B-Dorf span 8.60–8.80° E).
NEUDORF = {
    "type": "Polygon",
    "coordinates": [[[8.80, 49.40], [8.90, 49.40], [8.90, 49.50], [8.80, 49.50], [8.80, 49.40]]],
}
BENCH = {"lat": "49,4512", "lon": "8,8523"}  # typed as a German would


@dataclass
class Site:
    url: str
    smtp: SmtpServer


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, sqlite_templates: Templates) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("municipality")
    smtp = SmtpServer(folder).start()
    url = region_copy(sqlite_templates, folder / "site.sqlite3")
    registry = Registry.build(discover())
    database = Database(url)
    sock = bound_socket()
    port = sock.getsockname()[1]
    settings = Settings(
        mode=Mode.DEV,
        database_url=url,
        secret_key=SECRET,
        region_name="Testregion",
        base_url=f"http://127.0.0.1:{port}",
        map_tile_url="",
        data_dir=folder / "data",
        mqtt_mode="off",
        login_attempts_per_address=10_000,
        **smtp.settings(),
    )
    running = serve(create_app(settings, database=database, registry=registry), sock)
    yield Site(running.url, smtp)
    running.stop()
    database.close()
    smtp.stop()


class Browsers:
    """One browser context per person, German, opened on demand."""

    def __init__(self, browser: Any, site: Site) -> None:
        self.browser, self.site = browser, site
        self.contexts: list[Any] = []

    def open(self, viewport: dict[str, int] | None = None) -> Any:
        context = self.browser.new_context(
            base_url=self.site.url, locale="de-DE", viewport=viewport, accept_downloads=True
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def people(browser: Any, site: Site) -> Iterator[Browsers]:
    found = Browsers(browser, site)
    yield found
    found.close()


def mail(site: Site, address: str, subject: str) -> EmailMessage:
    """The first mail to ``address`` whose subject matches ``subject``, once it has arrived."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for message in site.smtp.to(address):
            if re.fullmatch(subject, str(message["Subject"])):
                return message
        site.smtp.wait_for(len(site.smtp.messages) + 1, timeout=1)
    raise AssertionError(
        f"no mail '{subject}' to {address}: {[str(m['Subject']) for m in site.smtp.to(address)]}"
    )


def link_in(message: EmailMessage, path: str) -> str:
    return next(path_of(link) for link in links_in(message) if path in link)


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("button", name="Abmelden")).to_be_attached()


def add_bench_category(page: Any) -> None:
    """The region's category for broken benches, with a question, as its staff define it in
    each municipality (a report keeps its category when forwarded)."""
    page.goto("/maintenance/categories")
    page.get_by_role("link", name="Kategorie hinzufügen").click()
    page.get_by_label("Kürzel").fill("sitzbank")
    page.locator("#f-name").fill("Sitzbank beschädigt")
    page.get_by_label("Gruppe").fill("Grün und Spiel")
    page.get_by_role("checkbox", name="Bank", exact=True).check()
    page.locator("#f-attributes-0-description").fill("Was ist beschädigt?")
    page.locator("#f-attributes-0-datatype").select_option("singlevaluelist")
    page.locator("#f-attributes-0-values").fill("Sitzfläche, Lehne, Gestell")
    page.get_by_role("button", name="Kategorie speichern").click()
    expect(page.get_by_text("Die Kategorie wurde hinzugefügt.")).to_be_visible()
    expect(page.get_by_role("link", name="Sitzbank beschädigt")).to_be_visible()


def fits_the_phone(page: Any) -> None:
    """German, and nothing wider than the 390 px window."""
    assert page.evaluate("document.documentElement.lang") == "de"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def test_a_new_municipality_is_set_up_staffed_and_run_from_the_browser(
    people: Browsers, site: Site, tmp_path: Path
) -> None:
    # 1. the administrator adds Neudorf with its boundary and jurisdiction id ...
    admin = people.open()
    signed_in(admin, site.url, ADMIN, PASSWORD)  # the accounts that the region has: by cookie
    admin.goto("/")
    admin.get_by_role("link", name="Verwaltung").click()
    admin.get_by_role("navigation", name="Verwaltung").get_by_role("link", name="Kommunen").click()
    admin.get_by_role("link", name="Kommune hinzufügen").click()
    admin.get_by_label("Kürzel (Pflichtfeld)").fill("neudorf")
    admin.get_by_label("Name (Pflichtfeld)").fill("Neudorf")
    admin.get_by_label("Amtlicher Gemeindeschlüssel (AGS)").fill("08999104")
    admin.get_by_label("Open311-Zuständigkeitskennung (jurisdiction_id)").fill("neudorf.example")
    admin.get_by_label("…oder GeoJSON einfügen oder in der Karte zeichnen").fill(
        json.dumps(NEUDORF)
    )
    admin.get_by_role("button", name="Kommune anlegen").click()
    expect(admin.get_by_text("Die Kommune ist angelegt.")).to_be_visible()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Neudorf")

    # ... and invites its staff member, who chooses a password by the invitation's link
    admin.get_by_role("link", name="Mitarbeiterin oder Mitarbeiter einladen").click()
    admin.get_by_label("Name (Pflichtfeld)").fill("Nora Neumann")
    admin.get_by_label("E-Mail (Pflichtfeld)").fill(STAFF_NEW)
    expect(admin.get_by_role("radio", name="Verwaltung")).to_be_checked()
    expect(admin.get_by_label("Kommune")).to_have_value("neudorf")
    admin.get_by_role("button", name="Einladung senden").click()
    expect(admin.get_by_text("Das Konto ist angelegt und die Einladung unterwegs.")).to_be_visible()
    invitation = mail(site, STAFF_NEW, "Ihr Konto bei Testregion")
    staff = people.open()
    staff.goto(link_in(invitation, "/password/reset"))
    staff.get_by_label("Neues Passwort (Pflichtfeld)").fill("Noras Passwort 1")
    staff.get_by_role("button", name="Passwort speichern").click()
    expect(staff.get_by_text("Ihr neues Passwort ist gesetzt.")).to_be_visible()
    sign_in(staff, STAFF_NEW, "Noras Passwort 1")

    # 2. Neudorf's staff set up its report categories: the standard ones and one for benches
    staff.goto("/maintenance/categories")
    expect(staff.get_by_label("Kommune")).to_have_value("neudorf")
    staff.get_by_role("button", name="Standardkategorien hinzufügen").click()
    categories = staff.get_by_role("table")
    expect(categories.get_by_role("row", name=re.compile("Sonstiges sonstiges"))).to_be_visible()
    expect(categories).not_to_contain_text("A-Stadt")
    add_bench_category(staff)

    # ... start a process about the pond with a survey phase, and a survey in it
    staff.goto("/participation/new")
    staff.get_by_label("Titel").first.fill("Neugestaltung am Dorfteich")
    staff.get_by_label("Zusammenfassung in einfacher Sprache").fill("Der Dorfteich wird schöner.")
    staff.get_by_label("Veröffentlicht: alle können das Verfahren sehen").check()
    today = datetime.datetime.now(LOCAL_ZONE).date()
    staff.locator('[id="f-phases.0.title"]').fill("Umfrage")
    staff.locator('[id="f-phases.0.starts_at"]').fill(today.isoformat())
    staff.locator('[id="f-phases.0.ends_at"]').fill((today + datetime.timedelta(28)).isoformat())
    staff.locator('[id="f-phases.0-survey"]').check()
    staff.get_by_role("button", name="Verfahren speichern").click()
    expect(staff).to_have_url(re.compile(r"/participation/\d+/cockpit"))
    staff.get_by_role("link", name="Neue Umfrage").click()
    staff.get_by_label("Titel").fill("Bänke am Dorfteich")
    staff.get_by_role("button", name="Umfrage anlegen").click()
    staff.locator("#f-kind").select_option("single")
    staff.locator("#f-prompt").fill("Wie viele Bänke wünschen Sie sich am Teich?")
    staff.locator("#f-options").fill("zwei\nvier\nsechs")
    staff.get_by_role("button", name="Frage hinzufügen").click()
    expect(staff.locator(".question-list > li")).to_have_count(1)
    staff.get_by_role("button", name="Umfrage öffnen").click()
    expect(staff.locator("#survey-state")).to_contain_text("Die Umfrage ist offen")
    staff.get_by_role("link", name="Die öffentliche Seite der Umfrage").click()
    survey = staff.url.split("?")[0]
    expect(staff.get_by_label("vier")).to_be_attached()

    # ... and put the bench by the pond into the register: the address search finds it
    staff.goto("/assets/new/object")
    staff.get_by_label("Typ").select_option(label="Bank")
    staff.get_by_role("button", name="Weiter").click()
    staff.get_by_label("Name (Pflichtfeld)").fill("Bank am Dorfteich")
    staff.get_by_label("Adresse").fill("Teichweg 3, Neudorf")
    staff.get_by_label("Breitengrad (Pflichtfeld)").fill(BENCH["lat"])
    staff.get_by_label("Längengrad (Pflichtfeld)").fill(BENCH["lon"])
    staff.get_by_label("Öffentlich zeigen").check()
    staff.get_by_role("button", name="Speichern").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Bank am Dorfteich")

    # 3. a citizen signs up on a phone and confirms the address by the mail's link ...
    citizen = people.open(viewport=PHONE)
    citizen.goto("/login")
    citizen.get_by_role("link", name="Konto anlegen").click()
    fits_the_phone(citizen)
    citizen.get_by_label("Ihr Name (Pflichtfeld)").fill("Lena Lang")
    citizen.get_by_label("E-Mail (Pflichtfeld)").fill(CITIZEN)
    citizen.get_by_label("Passwort (Pflichtfeld)").fill("Lenas Passwort 1")
    citizen.get_by_label("Ich habe gelesen, wie meine Daten verwendet werden.").check()
    citizen.get_by_role("button", name="Konto anlegen").click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text(
        "Bitte sehen Sie in Ihr E-Mail-Postfach"
    )
    confirmation = mail(site, CITIZEN, "Bestätigen Sie Ihre E-Mail-Adresse für Testregion")
    citizen.goto(link_in(confirmation, "/signup/confirm"))
    citizen.get_by_role("button", name="Meine Adresse bestätigen").click()
    expect(citizen.get_by_text("Ihre E-Mail-Adresse ist bestätigt.")).to_be_visible()
    sign_in(citizen, CITIZEN, "Lenas Passwort 1")

    # ... answers the survey ...
    citizen.goto(survey)
    citizen.get_by_label("vier").check()
    citizen.get_by_role("button", name="Antworten absenden").click()
    expect(citizen.get_by_text("Sie haben an dieser Umfrage teilgenommen. Danke!")).to_be_visible()

    # ... and reports the broken bench by its address, never asked for the Gemeinde: the
    # bench found, its category follows
    citizen.goto("/reports/new")
    citizen.get_by_label("Was ist das Problem?").fill("Die Bank am Teich ist gebrochen.")
    citizen.get_by_label("Adresse oder Ort suchen").fill("Teichweg")
    citizen.get_by_role("button", name="Suche", exact=True).click()
    citizen.get_by_role("button", name="Bank am Dorfteich, Teichweg 3, Neudorf").click()
    expect(citizen.get_by_label("Breitengrad")).to_have_value(re.compile(r"^49[.,]4512"))
    category = citizen.get_by_label("Kategorie (Pflichtfeld)", exact=True)
    expect(category.locator("option:checked")).to_have_text("Sitzbank beschädigt")
    citizen.get_by_label("Was ist beschädigt?").select_option(label="Lehne")
    fits_the_phone(citizen)
    citizen.get_by_role("button", name="Meldung absenden").click()
    expect(citizen).to_have_url(re.compile(r"/reports/\d+"))
    report_id = int(citizen.url.split("?")[0].rsplit("/", 1)[1])
    expect(
        citizen.get_by_text("Wir haben Ihnen eine Bestätigung per E-Mail geschickt")
    ).to_be_visible()
    expect(citizen.get_by_role("link", name="Bank am Dorfteich")).to_be_visible()
    fits_the_phone(citizen)

    # 4. the citizen hears it arrived; Neudorf's staff see it on its map ...
    received = mail(site, CITIZEN, rf"Ihre Meldung #{report_id} ist eingegangen")
    assert received["Content-Language"] == "de"
    assert "Teichweg 3, Neudorf" in text_of(received)
    staff.goto("/maintenance/reports")
    staff.get_by_role("link", name=f"#{report_id}", exact=True).click()
    expect(staff.get_by_role("heading", level=1)).to_have_text(
        f"Meldung Nr. {report_id}: Sitzbank beschädigt"
    )
    facts = staff.locator(".facts").first
    expect(facts).to_contain_text("Was ist beschädigt?")
    expect(facts.locator("dd", has_text="Lehne")).to_have_count(1)
    report_map = staff.locator("[data-geojson-url].leaflet-container")
    expect(report_map.locator(".leaflet-interactive, .leaflet-marker-icon").first).to_be_visible()
    expect(staff.get_by_role("link", name="Bank am Dorfteich").first).to_be_visible()

    # ... and forward it to A-Stadt with a note, whose staff see it with the note
    staff.get_by_label("Kommune", exact=True).select_option(label="A-Stadt")
    staff.get_by_label("Warum sie dorthin geht (interne Notiz)").fill(
        "Der Teichweg gehört A-Stadt."
    )
    staff.get_by_role("button", name="Weiterleiten").click()
    expect(staff.locator("#f-municipality-error")).to_have_text(
        "Diese Kommune bietet die Kategorie der Meldung nicht an. "
        "Ihre Beschäftigten können die Kategorie anlegen."
    )
    staff_a = people.open()
    signed_in(staff_a, site.url, STAFF_A, PASSWORD)
    add_bench_category(staff_a)  # A-Stadt takes such reports from now on
    staff.get_by_role("button", name="Weiterleiten").click()
    expect(
        staff.get_by_text("Die Meldung wurde an die andere Gemeinde weitergeleitet.")
    ).to_be_visible()
    staff_a.goto("/maintenance/reports")
    staff_a.get_by_role("link", name=f"#{report_id}", exact=True).click()
    expect(staff_a.get_by_text("Weitergeleitet von Neudorf an A-Stadt")).to_be_visible()
    expect(staff_a.get_by_text("Der Teichweg gehört A-Stadt.")).to_be_visible()

    # A-Stadt's staff confirm it with a public note ...
    staff_a.get_by_label("Bearbeitungsstand").select_option(label="bestätigt")
    staff_a.get_by_label("Statusnotiz").fill("Wir kümmern uns darum.")
    staff_a.get_by_label("Öffentliche Notiz").check()
    staff_a.get_by_role("button", name="Speichern").click()
    expect(staff_a.locator("#report-state")).to_contain_text("bestätigt")
    confirmed = mail(site, CITIZEN, rf"Ihre Meldung #{report_id}: bestätigt")
    assert "Wir kümmern uns darum." in text_of(confirmed)

    # ... turn it into a work order, which shows the place on its map ...
    staff_a.get_by_label("Kolonne oder Firma").fill("Bauhof A-Stadt")
    staff_a.get_by_role("button", name="Arbeitsauftrag anlegen").click()
    expect(staff_a).to_have_url(re.compile(r"/maintenance/work-orders/\d+"))
    order_map = staff_a.locator("[data-geojson-url].leaflet-container")
    expect(order_map.locator(".leaflet-interactive, .leaflet-marker-icon").first).to_be_visible()
    mail(site, CITIZEN, rf"Ihre Meldung #{report_id}: in Bearbeitung")

    # ... and the crew marks it done, which closes the report
    staff_a.get_by_label("Status", exact=True).select_option(label="erledigt")
    staff_a.get_by_label("Was wurde getan").fill("Die Latte ist ersetzt.")
    staff_a.get_by_role("button", name="Speichern").click()
    expect(staff_a.get_by_text("Ihre Änderungen wurden gespeichert.")).to_be_visible()
    staff_a.goto(f"/maintenance/reports/{report_id}")
    expect(staff_a.locator("#report-state")).to_contain_text("erledigt")
    done = mail(site, CITIZEN, rf"Ihre Meldung #{report_id} ist abgeschlossen: erledigt")
    assert "Die Latte ist ersetzt." in text_of(done)

    # 5. A-Stadt's staff export the month's reports for Excel
    staff_a.goto("/maintenance/reports")
    staff_a.get_by_text("Meldungen exportieren").click()
    expect(staff_a.get_by_label("Eingegangen vom")).to_have_value(re.compile(r"^\d{4}-\d{2}-01$"))
    with staff_a.expect_download() as download:
        staff_a.get_by_role("button", name="CSV für Excel herunterladen").click()
    path = tmp_path / "meldungen.csv"
    download.value.save_as(path)
    content = path.read_bytes()
    assert content.startswith("\ufeff".encode())
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("id;municipality;category_code;")
    row = next(line for line in lines[1:] if line.startswith(f"{report_id};"))
    assert row.startswith(f"{report_id};a-stadt;sitzbank;")
    assert "Teichweg 3, Neudorf" in row
