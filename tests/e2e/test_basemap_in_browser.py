"""The background map in Chromium: switched to basemap.de by configuration, with a visible note
when its tiles cannot be loaded (this machine has no internet), and tiles from a tile server on
loopback that load (then no note). The region's own layers are drawn in both cases."""

from __future__ import annotations

import http.server
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from struct import pack

import pytest
import uvicorn

from allmende.app import create_app
from allmende.core.registry import Registry, discover
from allmende.core.settings import Mode, Settings
from allmende.storage.database import Database
from tests.conftest import SECRET, Templates
from tests.e2e.conftest import region_copy
from tests.e2e.support import axe_violations
from tests.support.served_process import free_port

pytestmark = pytest.mark.e2e


def _png() -> bytes:
    """A 256 × 256 grey PNG tile."""
    raw = b"".join(b"\x00" + b"\xc8" * 256 for _ in range(256))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data))

    header = pack(">IIBBBBB", 256, 256, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def tile_server() -> Iterator[str]:
    tile = _png()

    class Tiles(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(tile)))
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def region_url(tmp_path_factory: pytest.TempPathFactory, sqlite_templates: Templates) -> str:
    return region_copy(sqlite_templates, tmp_path_factory.mktemp("basemap") / "region.sqlite3")


def _serve(url: str, **map_settings: str) -> Iterator[str]:
    settings = Settings(
        mode=Mode.DEV,
        database_url=url,
        secret_key=SECRET,
        mqtt_mode="off",
        run_jobs=False,
        data_dir=Path(url.removeprefix("sqlite:///")).parent / "data",
        **map_settings,  # type: ignore[arg-type]
    )
    database = Database(url)
    app = create_app(settings, database=database, registry=Registry.build(discover()))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    database.close()


@pytest.fixture
def basemap_de(region_url: str) -> Iterator[str]:
    yield from _serve(region_url, map_preset="basemapde-grey")


@pytest.fixture
def openstreetmap(region_url: str) -> Iterator[str]:
    yield from _serve(region_url, map_preset="osm")


@pytest.fixture
def local_tiles(region_url: str, tile_server: str) -> Iterator[str]:
    yield from _serve(
        region_url,
        map_tile_url=f"{tile_server}/{{z}}/{{x}}/{{y}}.png",
        map_tile_attribution="© Testkacheln",
    )


def _open(  # type: ignore[no-untyped-def]
    browser, url: str, path: str = "/", drawn: str = ".leaflet-overlay-pane path"
):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(url + path)
    page.wait_for_selector(drawn)  # the region's own layers
    return context, page


def test_basemap_de_by_configuration_and_a_note_when_tiles_fail(browser, basemap_de: str) -> None:  # type: ignore[no-untyped-def]
    context, page = _open(browser, basemap_de)
    try:
        first = page.locator(".leaflet-tile").first
        first.wait_for(state="attached")
        assert first.get_attribute("src").startswith(
            "https://sgx.geodatenzentrum.de/wmts_basemapde/tile/1.0.0/de_basemapde_web_raster_grau/"
            "default/GLOBAL_WEBMERCATOR/"
        )
        note = page.locator(".map-note")
        note.wait_for(state="visible")
        assert "Hintergrundkarte" in note.inner_text()
        assert page.locator(".leaflet-control-attribution").inner_text().find("basemap.de") >= 0
        assert page.locator(".leaflet-overlay-pane path").count() > 0
        assert axe_violations(page) == []  # the attribution's links stand out from its text
    finally:
        context.close()


def test_tiles_that_load_show_no_note(browser, local_tiles: str) -> None:  # type: ignore[no-untyped-def]
    context, page = _open(browser, local_tiles)
    try:
        page.wait_for_function(
            "() => [...document.querySelectorAll('.leaflet-tile')]"
            ".some(t => t.complete && t.naturalWidth === 256)"
        )
        assert page.locator(".map-note").is_hidden()
        assert "Testkacheln" in page.locator(".leaflet-control-attribution").inner_text()
    finally:
        context.close()


def test_the_links_of_the_maps_credit_line_stand_out_from_its_text(
    browser, openstreetmap: str
) -> None:  # type: ignore[no-untyped-def]
    """OpenStreetMap, the default, on the sensors' map: the credit line links to Leaflet
    within its text, so the link needs more than its colour (WCAG 1.4.1; axe's
    link-in-text-block, which found it on this page)."""
    context, page = _open(browser, openstreetmap, "/sensors", ".leaflet-control-attribution")
    try:
        credit = page.locator(".leaflet-control-attribution")
        assert "OpenStreetMap" in credit.inner_text()
        links = credit.locator("a")
        assert links.count() >= 1
        for line in links.evaluate_all(
            "all => all.map(a => getComputedStyle(a).textDecorationLine)"
        ):
            assert line == "underline"
        assert axe_violations(page) == []
    finally:
        context.close()
