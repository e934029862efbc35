"""Administration and accounts in headless Chromium, with mail at a real SMTP server on
loopback: an administrator adds a municipality (drawing its boundary) and invites its staff;
a citizen signs up, confirms by the link in the mail and resets the password. The pages pass
axe in German and English and fit a 390 px phone.

The server runs the test region (not the demo) with its jobs, so mails go out through the
real mail job, woken when they are queued.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from allmende.app import create_app
from allmende.core.registry import Registry, discover
from allmende.core.settings import Mode, Settings
from allmende.identity.models import Municipality
from allmende.identity.principal import Principal
from allmende.modules.assets.reports import service as reports
from allmende.modules.assets.schemas import ReportUpdate
from allmende.storage.database import Database
from tests.conftest import SECRET, Templates
from tests.e2e.conftest import region_copy, screenshot
from tests.e2e.pages import signed_in
from tests.e2e.support import MAP_READY_SCRIPT, axe_script, axe_violations, maps_drawn
from tests.support.live import bound_socket, serve
from tests.support.region import PASSWORD
from tests.support.smtp import SmtpServer, links_in, path_of

pytestmark = pytest.mark.e2e
ADMIN = "admin@example.org"
PHONE = {"width": 390, "height": 844}


@dataclass
class Site:
    url: str
    database: Database
    smtp: SmtpServer


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, sqlite_templates: Templates) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("accounts")
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
        **smtp.settings(),
    )
    running = serve(create_app(settings, database=database, registry=registry), sock)
    yield Site(running.url, database, smtp)
    running.stop()
    database.close()
    smtp.stop()


@pytest.fixture
def browse(browser: Any, site: Site) -> Iterator[Any]:
    """A fresh German browser context on the site (a function: open another with it)."""
    contexts: list[Any] = []

    def open_page(
        locale: str = "de-DE", viewport: dict[str, int] | None = None, axe: bool = False
    ) -> Any:
        context = browser.new_context(base_url=site.url, locale=locale, viewport=viewport)
        context.add_init_script(MAP_READY_SCRIPT)
        if axe:  # with each page: cheaper than evaluating its source in each page it checks
            context.add_init_script(axe_script())
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def mail_to(site: Site, address: str, subject: str) -> Any:
    """The newest mail to ``address`` with ``subject``, waiting for it to arrive."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [m for m in site.smtp.to(address) if m["Subject"] == subject]
        if found:
            return found[-1]
        site.smtp.wait_for(len(site.smtp.messages) + 1, timeout=1)
    raise AssertionError(
        f"no mail '{subject}' to {address}: {[m['Subject'] for m in site.smtp.messages]}"
    )


def link_in(message: Any, path: str) -> str:
    return next(path_of(link) for link in links_in(message) if path in link)


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.locator("#f-email").fill(email)
    page.locator("#f-password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/($|\?)"))


def check(page: Any) -> None:
    """No serious accessibility fault, and nothing wider than the window."""
    assert axe_violations(page) == [], page.url
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


def test_an_admin_adds_a_municipality_and_its_staff(browse: Any, site: Site) -> None:
    page = browse()
    signed_in(page, site.url, ADMIN, PASSWORD)
    page.goto("/")
    page.get_by_role("link", name="Verwaltung").click()
    check(page)
    page.get_by_role("navigation", name="Verwaltung").get_by_role("link", name="Kommunen").click()
    page.get_by_role("link", name="Kommune hinzufügen").click()
    check(page)
    page.get_by_label("Kürzel (Pflichtfeld)").fill("c-hausen")
    page.get_by_label("Name (Pflichtfeld)").fill("C-Hausen")
    page.get_by_label("Amtlicher Gemeindeschlüssel (AGS)").fill("08999103")
    page.get_by_label("Open311-Zuständigkeitskennung (jurisdiction_id)").fill("c-hausen.example")
    # draw the boundary: four corners clicked on the map, east of the other municipalities
    drawing = page.locator("[data-boundary-editor] .map")
    drawing.scroll_into_view_if_needed()
    maps_drawn(page)  # the context layer has set the view
    box = drawing.bounding_box()
    assert box is not None
    for fx, fy in ((0.80, 0.30), (0.95, 0.30), (0.95, 0.70), (0.80, 0.70)):
        position = {"x": box["width"] * fx, "y": box["height"] * fy}
        # each a single click (Playwright sends its click count), so no two make a double click
        drawing.click(position=position)
    drawn = page.locator("#f-boundary").input_value()
    assert drawn.startswith('{"type":"Polygon"')
    assert len(json.loads(drawn)["coordinates"][0]) == 5  # four corners, the ring closed
    screenshot(page, "admin-municipality-new.png")
    page.get_by_role("button", name="Kommune anlegen").click()
    page.wait_for_url("**/admin/municipalities/c-hausen?done=created")
    expect(page.get_by_text("Die Kommune ist angelegt.")).to_be_visible()
    with site.database.session() as session:
        made = session.scalar(select(Municipality).where(Municipality.key == "c-hausen"))
        assert made is not None and made.geom is not None and made.geom.geom_type == "Polygon"
    check(page)

    page.get_by_role("link", name="Mitarbeiterin oder Mitarbeiter einladen").click()
    page.get_by_label("Name (Pflichtfeld)").fill("Carla Clausen")
    page.get_by_label("E-Mail (Pflichtfeld)").fill("carla@c-hausen.example")
    assert page.get_by_label("Kommune").input_value() == "c-hausen"
    check(page)
    page.get_by_role("button", name="Einladung senden").click()
    expect(page.get_by_text("Das Konto ist angelegt und die Einladung unterwegs.")).to_be_visible()
    check(page)

    invitation = mail_to(site, "carla@c-hausen.example", "Ihr Konto bei Testregion")
    staff = browse()
    staff.goto(link_in(invitation, "/password/reset"))
    check(staff)
    staff.get_by_label("Neues Passwort (Pflichtfeld)").fill("Carlas Passwort 1")
    staff.get_by_role("button", name="Passwort speichern").click()
    expect(staff.get_by_text("Ihr neues Passwort ist gesetzt.")).to_be_visible()
    sign_in(staff, "carla@c-hausen.example", "Carlas Passwort 1")
    staff.goto("/account")
    expect(staff.locator(".facts")).to_contain_text("C-Hausen")


def test_a_citizen_signs_up_confirms_and_resets_the_password(browse: Any, site: Site) -> None:
    page = browse()
    page.goto("/login")
    page.get_by_role("link", name="Konto anlegen").click()
    check(page)
    page.get_by_role("button", name="Konto anlegen").click()  # nothing filled in
    summary = page.get_by_role("alert")
    assert "Das Formular hat 4 Fehler" in summary.inner_text()
    check(page)
    page.get_by_label("Ihr Name (Pflichtfeld)").fill("Nina Neu")
    page.get_by_label("E-Mail (Pflichtfeld)").fill("nina@example.org")
    page.get_by_label("Passwort (Pflichtfeld)").fill("Ninas Passwort 1")
    page.get_by_label("Ich habe gelesen, wie meine Daten verwendet werden.").check()
    page.get_by_role("button", name="Konto anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Bitte sehen Sie in Ihr E-Mail-Postfach"
    )

    confirmation = mail_to(
        site, "nina@example.org", "Bestätigen Sie Ihre E-Mail-Adresse für Testregion"
    )
    assert confirmation["Content-Language"] == "de"
    page.goto(link_in(confirmation, "/signup/confirm"))
    check(page)
    page.get_by_role("button", name="Meine Adresse bestätigen").click()
    expect(page.get_by_text("Ihre E-Mail-Adresse ist bestätigt.")).to_be_visible()
    sign_in(page, "nina@example.org", "Ninas Passwort 1")
    page.goto("/account")
    check(page)
    page.get_by_role("button", name="Abmelden").click()

    page.goto("/login")
    page.get_by_role("link", name="Passwort vergessen?").click()
    check(page)
    page.get_by_label("E-Mail (Pflichtfeld)").fill("nina@example.org")
    page.get_by_role("button", name="Link senden").click()
    expect(page.get_by_text("Falls es ein Konto für nina@example.org gibt")).to_be_visible()
    reset = mail_to(site, "nina@example.org", "Neues Passwort für Testregion festlegen")
    page.goto(link_in(reset, "/password/reset"))
    page.get_by_label("Neues Passwort (Pflichtfeld)").fill("Ninas neues Passwort")
    page.get_by_role("button", name="Passwort speichern").click()
    sign_in(page, "nina@example.org", "Ninas neues Passwort")
    expect(page.get_by_role("link", name="Nina Neu")).to_be_visible()
    screenshot(page, "account-signed-in.png")


def subject_like(site: Site, address: str, pattern: str) -> Any:
    """The first mail to ``address`` whose subject matches ``pattern``, waiting for it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for message in site.smtp.to(address):
            if re.fullmatch(pattern, str(message["Subject"])):
                return message
        site.smtp.wait_for(len(site.smtp.messages) + 1, timeout=1)
    raise AssertionError(f"no mail like '{pattern}' to {address}")


def test_a_citizen_reports_and_hears_of_each_step_by_mail(browse: Any, site: Site) -> None:
    with site.database.session() as session:
        a = session.scalar(select(Municipality.id).where(Municipality.key == "a-stadt"))
    assert a is not None
    staff = Principal(kind="user", name="Bauhof", staff_of=frozenset({a}))
    site.database.write(
        lambda s: reports.add_default_services(s, principal=staff, municipality_id=a)
    )
    page = browse(viewport=PHONE)
    signed_in(page, site.url, "citizen@example.org", PASSWORD)
    page.goto("/reports/new")
    page.get_by_label("Kategorie (Pflichtfeld)", exact=True).select_option(label="Sonstiges")
    page.get_by_label("Was ist das Problem?").fill("Die Bank am Teich ist gebrochen.")
    page.get_by_text("Koordinaten (per Klick in die Karte gesetzt)").click()
    page.get_by_label("Breitengrad").fill("49.45")
    page.get_by_label("Längengrad").fill("8.65")
    page.get_by_role("button", name="Meldung absenden").click()
    page.wait_for_load_state()
    same = page.get_by_role("button", name="Es ist ein anderes Problem: Meldung senden")
    if same.count():
        same.click()
    page.wait_for_url(re.compile(r"/reports/\d+"))
    report_id = int(page.url.split("?")[0].rsplit("/", 1)[1])

    received = subject_like(
        site, "citizen@example.org", rf"Ihre Meldung #{report_id} ist eingegangen"
    )
    assert f"/reports/{report_id}" in " ".join(links_in(received))
    site.database.write(
        lambda s: reports.update_report(
            s,
            principal=staff,
            report_id=report_id,
            data=ReportUpdate(state="fixed", note="Die Latte ist ersetzt.", note_public=True),
        )
    )
    done = subject_like(
        site, "citizen@example.org", rf"Ihre Meldung #{report_id} ist abgeschlossen: .+"
    )
    assert "Die Latte ist ersetzt." in str(done.get_body(("plain",)).get_content())


PAGES = (
    "/signup",
    "/login",
    "/password/forgot",
    "/admin",
    "/admin/municipalities",
    "/admin/municipalities/new",
    "/admin/municipalities/a-stadt",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/1",
    "/admin/apikeys",
    "/admin/outbox",
    "/account",
    "/account/password",
    "/account/delete",
)


@pytest.mark.parametrize("locale", ["de-DE", "en-GB"])
def test_the_pages_pass_axe_and_fit_a_phone(browse: Any, site: Site, locale: str) -> None:
    page = browse(locale=locale, viewport=PHONE, axe=True)
    signed_in(page, site.url, ADMIN, PASSWORD)
    for path in PAGES:
        page.goto(path)
        assert page.evaluate("document.documentElement.lang") == locale[:2]
        check(page)
    page.goto("/admin/apikeys")
    page.locator("#f-name").fill("Wetterstation")
    page.locator("#f-scopes").check()  # the first scope
    page.get_by_role("button", name=re.compile("Schlüssel erstellen|Make the key")).click()
    assert page.locator("#new-key").input_value().startswith("alm_")
    check(page)
