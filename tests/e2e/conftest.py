"""A live server and headless Chromium (Debian's package; browsers are never downloaded).

The server runs the demo region on SQLite (a copy of what ``allmende demo`` built for the
session) in a thread of the test process, on a free port.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from allmende.app import create_app
from allmende.core.registry import Registry, discover
from allmende.core.settings import Mode, Settings
from allmende.demo.region import REGION_NAME, demo_accounts
from allmende.storage.database import Database
from tests.conftest import SECRET, Templates
from tests.e2e.pages import client, detail_routes, pages_with_details, route_pages
from tests.e2e.support import MAP_READY_SCRIPT
from tests.support.demo_command import DemoCommand
from tests.support.live import serve
from tests.support.missing import missing

#: The accessibility statement's alternative contact channel in the live server.
OPERATOR_EMAIL = "barrierefreiheit@demo.allmende.example"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def region_copy(templates: Templates, path: Path) -> str:
    """The URL of a copy at ``path`` of the session's migrated SQLite database with the test
    region (built once per worker for every test that needs it, instead of once per site)."""
    shutil.copyfile(templates.with_region, path)
    return f"sqlite:///{path}"


def chromium_path() -> str | None:
    explicit = os.environ.get("ALLMENDE_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class LiveServer:
    url: str
    database: Database
    registry: Registry
    app: Any


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, demo_command: DemoCommand
) -> Iterator[LiveServer]:
    """The demo that ``allmende demo`` built (a copy: the tests write to it), served."""
    assert demo_command.exit_code == 0, demo_command.output
    path = tmp_path_factory.mktemp("live") / "demo.sqlite3"
    demo_command.copy_database(path)
    with served_demo(path) as server:
        yield server


@contextmanager
def served_demo(path: Path) -> Iterator[LiveServer]:
    """The demo database at ``path`` served in a thread of this process, as the browser tests
    see it (also ``bench/pages_in_browser.py``)."""
    url = f"sqlite:///{path}"
    registry = Registry.build(discover())
    settings = Settings(
        mode=Mode.DEMO,
        database_url=url,
        secret_key=SECRET,
        region_name=REGION_NAME,
        map_tile_url="",
        operator_email=OPERATOR_EMAIL,
        data_dir=path.parent / "data",
        mqtt_mode="off",
        # every browser test signs in from 127.0.0.1: the limit per address is not their subject
        login_attempts_per_address=10_000,
        # nor is the anti-spam wait before a form may be sent (tests/modules/participation)
        participation_min_form_seconds=0,
    )
    database = Database(url)
    app = create_app(settings, database=database, registry=registry)
    app.state.allmende.demo_accounts = demo_accounts()
    running = serve(app)
    try:
        yield LiveServer(url=running.url, database=database, registry=registry, app=app)
    finally:
        running.stop()
        database.close()


@pytest.fixture(scope="session")
def german_pages(live_server: LiveServer) -> Callable[[str | None], dict[str, str]]:
    """Each page's German HTML by path, of every page a role (``None``: a visitor) reaches:
    crawled over HTTP once per role for all the files that read them."""
    crawled: dict[str | None, dict[str, str]] = {}

    def of(who: str | None) -> dict[str, str]:
        if who not in crawled:
            app = live_server.app
            browser = client(live_server.url, "de", who)
            try:
                crawled[who] = pages_with_details(browser, route_pages(app), detail_routes(app))
            finally:
                browser.close()
        return crawled[who]

    return of


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    executable = chromium_path()
    if executable is None:
        missing("browser tests need Chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_FLAGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def visitor_context(browser, live_server: LiveServer):  # type: ignore[no-untyped-def]
    """One German browser context on the live server for every test's ``page``: its cache
    keeps the style sheets and scripts that each fresh context fetched and compiled again."""
    context = browser.new_context(base_url=live_server.url, locale="de-DE")
    context.add_init_script(MAP_READY_SCRIPT)
    yield context
    context.close()


@pytest.fixture(scope="session")
def visitor_tab(visitor_context) -> list[Any]:  # type: ignore[no-untyped-def]
    """The visitor's tab, kept from test to test (a new tab starts a renderer, a quarter of a
    second); empty until the first test opens it, again after a test closed or broke it."""
    return []


@pytest.fixture
def page(visitor_context, visitor_tab: list[Any]):  # type: ignore[no-untyped-def]
    """A visitor's page with nothing of an earlier test: no cookie (the pages keep nothing in
    the browser's storage but cookies), and the earlier test's page unloaded."""
    visitor_context.clear_cookies()
    if not visitor_tab or visitor_tab[0].is_closed():
        visitor_tab[:] = [visitor_context.new_page()]
    page = visitor_tab[0]
    page.set_default_timeout(10_000)
    yield page
    try:
        page.goto("about:blank")  # nothing of this test's page runs on into the next test
    except PlaywrightError:
        page.close()  # the next test opens a new tab
    visitor_context.clear_cookies()


def screenshot(page: Any, name: str, *, full_page: bool = True) -> None:
    """The page as ``name`` (a PNG) in the folder that ``ALLMENDE_SCREENSHOTS`` names, for
    people to look at; nothing checks them, so runs that name no folder skip encoding them (up
    to a second a full page on a loaded runner)."""
    folder = os.environ.get("ALLMENDE_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(folder) / name), full_page=full_page)
