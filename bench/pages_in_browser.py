"""What each page of the demo costs in the browser tests: the server's render time, the page's
element count and axe-core's time in Chromium (all rules, and the colour-contrast rule alone).

    PYTHONPATH=src python bench/pages_in_browser.py                   # visitor and admin, de
    PYTHONPATH=src python bench/pages_in_browser.py --who staff --language en --top 15

The demo region is built by ``allmende demo --no-serve`` and served on SQLite in a thread of
this process, as in tests/e2e; Chromium is Debian's. Prints the slowest pages by axe time, the
totals and the machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from common import machine_info  # noqa: E402 - a sibling script
from tests.e2e.conftest import CHROMIUM_FLAGS, LiveServer, chromium_path, served_demo  # noqa: E402
from tests.e2e.pages import client, detail_routes, pages_with_details, route_pages  # noqa: E402
from tests.e2e.support import (  # noqa: E402
    AXE_OPTIONS,
    AXE_RUN,
    MAP_READY_SCRIPT,
    axe_script,
    maps_drawn,
)
from tests.support.demo_command import DEMO_FILE, run_demo_command  # noqa: E402

CONTRAST = {
    "runOnly": {"type": "rule", "values": ["color-contrast"]},
    "resultTypes": ["violations"],
}


@contextmanager
def demo_server(folder: Path) -> Iterator[LiveServer]:
    """The demo as the browser tests have it: built by ``allmende demo --no-serve``, served."""
    exit_code, output = run_demo_command(folder)
    if exit_code:
        sys.exit(output)
    with served_demo(folder / DEMO_FILE) as server:
        yield server


def measure(base: str, app: object, who: str | None, language: str) -> list[tuple]:
    from playwright.sync_api import sync_playwright

    http = client(base, language, who)
    paths = list(pages_with_details(http, route_pages(app), detail_routes(app)))
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True
        )
        context = browser.new_context(base_url=base, locale=language)
        context.add_cookies([{"name": k, "value": v, "url": base} for k, v in http.cookies.items()])
        context.add_init_script(axe_script())
        context.add_init_script(MAP_READY_SCRIPT)
        page = context.new_page()
        for path in paths:
            started = time.perf_counter()
            http.get(path)
            render = time.perf_counter() - started
            started = time.perf_counter()
            page.goto(path)
            maps_drawn(page)  # as the every-page test checks them
            load = time.perf_counter() - started
            elements = page.evaluate("document.getElementsByTagName('*').length")
            started = time.perf_counter()
            page.evaluate(AXE_RUN, AXE_OPTIONS)
            axe = time.perf_counter() - started
            started = time.perf_counter()
            page.evaluate(AXE_RUN, CONTRAST)
            contrast = time.perf_counter() - started
            rows.append((path, render, load, elements, axe, contrast))
        browser.close()
    http.close()
    return rows


def report(who: str, language: str, rows: list[tuple], top: int) -> None:
    rows.sort(key=lambda r: -r[4])
    print(f"\n{who}, {language}: {len(rows)} pages")
    print(
        f"{'page':58} {'render s':>8} {'load s':>7} {'elements':>8} {'axe s':>6} {'contrast s':>10}"
    )
    for path, render, load, elements, axe, contrast in rows[:top]:
        print(f"{path[:58]:58} {render:8.3f} {load:7.3f} {elements:8d} {axe:6.2f} {contrast:10.2f}")
    total = [sum(r[i] for r in rows) for i in (1, 2, 4, 5)]
    print(f"{'total':58} {total[0]:8.2f} {total[1]:7.2f} {'':8} {total[2]:6.2f} {total[3]:10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--who", action="append", choices=["visitor", "citizen", "staff", "admin"])
    parser.add_argument("--language", default="de", choices=["de", "en"])
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    if chromium_path() is None:
        sys.exit("needs Chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as folder, demo_server(Path(folder)) as server:
        for who in args.who or ["visitor", "admin"]:
            role = None if who == "visitor" else who
            report(
                who, args.language, measure(server.url, server.app, role, args.language), args.top
            )
    print("\n" + ", ".join(f"{k}: {v}" for k, v in machine_info(None).items() if v))


if __name__ == "__main__":
    main()
