"""What each page of the demo costs in the browser tests: the server's render time, the page's
element count and axe-core's time in Chromium (all rules, and the colour-contrast rule alone).

    PYTHONPATH=src python bench/pages_in_browser.py                   # visitor and admin, de
    PYTHONPATH=src python bench/pages_in_browser.py --who staff --language en --top 15

The demo region runs on SQLite in a thread of this process (as in tests/e2e), Chromium is
Debian's. Prints the slowest pages by axe time, the totals and the machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from common import machine_info  # noqa: E402 - a sibling script
from tests.e2e.conftest import CHROMIUM_FLAGS, chromium_path  # noqa: E402
from tests.e2e.pages import client, detail_routes, pages_with_details, route_pages  # noqa: E402
from tests.e2e.support import AXE_OPTIONS, AXE_RUN, axe_script  # noqa: E402
from tests.support.live import serve  # noqa: E402

from allmende.app import KERNEL_MIGRATIONS, create_app  # noqa: E402
from allmende.core.registry import Registry, discover  # noqa: E402
from allmende.core.settings import Mode, Settings  # noqa: E402
from allmende.core.timeutil import utcnow  # noqa: E402
from allmende.demo.region import REGION_NAME, build_region, demo_accounts  # noqa: E402
from allmende.storage.database import Database  # noqa: E402
from allmende.storage.migrate import upgrade  # noqa: E402

CONTRAST = {
    "runOnly": {"type": "rule", "values": ["color-contrast"]},
    "resultTypes": ["violations"],
}


def demo_server(folder: Path) -> tuple[str, object]:
    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    registry = Registry.build(discover())
    upgrade(url, [*KERNEL_MIGRATIONS, *registry.migration_locations()])
    database = Database(url)
    database.write(lambda s: build_region(s, registry=registry, now=utcnow()))
    settings = Settings(
        mode=Mode.DEMO,
        database_url=url,
        secret_key="bench-secret-key-" + "x" * 32,
        region_name=REGION_NAME,
        map_tile_url="",
        data_dir=folder / "data",
        mqtt_mode="off",
        login_attempts_per_address=10_000,
    )
    app = create_app(settings, database=database, registry=registry)
    app.state.allmende.demo_accounts = demo_accounts()
    return serve(app).url, app


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
        page = context.new_page()
        for path in paths:
            started = time.perf_counter()
            http.get(path)
            render = time.perf_counter() - started
            started = time.perf_counter()
            page.goto(path)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--who", action="append", choices=["visitor", "citizen", "staff", "admin"])
    parser.add_argument("--language", default="de", choices=["de", "en"])
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    if chromium_path() is None:
        sys.exit("needs Chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as folder:
        base, app = demo_server(Path(folder))
        for who in args.who or ["visitor", "admin"]:
            rows = measure(base, app, None if who == "visitor" else who, args.language)
            rows.sort(key=lambda r: -r[4])
            print(f"\n{who}, {args.language}: {len(rows)} pages")
            print(
                f"{'page':58} {'render s':>8} {'load s':>7} {'elements':>8} {'axe s':>6} "
                f"{'contrast s':>10}"
            )
            for path, render, load, elements, axe, contrast in rows[: args.top]:
                print(
                    f"{path[:58]:58} {render:8.3f} {load:7.3f} {elements:8d} {axe:6.2f} "
                    f"{contrast:10.2f}"
                )
            total = [sum(r[i] for r in rows) for i in (1, 2, 4, 5)]
            print(
                f"{'total':58} {total[0]:8.2f} {total[1]:7.2f} {'':8} {total[2]:6.2f} "
                f"{total[3]:10.2f}"
            )
    print("\n" + ", ".join(f"{k}: {v}" for k, v in machine_info(None).items() if v))


if __name__ == "__main__":
    main()
