"""Where one read's milliseconds go: a public page and the dashboard query, in-process.

    PYTHONPATH=src python bench/read_profile.py                  # mean ms per request
    PYTHONPATH=src python bench/read_profile.py --profile 25     # and cProfile's top 25

Builds the demo region on SQLite in a temporary folder, then sends each request through the
whole ASGI stack (middleware, authentication, routing, handler, rendering) without a socket.
Work the app hands to the thread pool runs inline here, so the profile sees all of it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from clients import Server  # noqa: E402  (the sibling script's server set-up)
from sensorthings import machine_info, postgres_version  # noqa: E402

DASHBOARD = (
    "/v1.1/Things?$expand=Datastreams($expand=Observations($orderby=phenomenonTime desc;$top=1))"
)


async def _inline(function: Callable[..., Any], *args: Any, **_: Any) -> Any:
    return function(*args)


async def _run(root: Path, paths: list[str], repeat: int, top: int, cache_seconds: float) -> None:
    from allmende.app import create_app

    server = Server("sqlite", root)
    database = root / "allmende.sqlite3"
    if database.exists():  # a demo built before (--folder)
        server.url = f"sqlite:///{database}"
    else:
        server.create(demo=True)
    app = create_app(server.settings(run_jobs=False, read_cache_seconds=cache_seconds))
    anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client,
    ):
        sensors = (await client.get("/sensors")).text
        station = next(
            (p for p in sensors.split('href="')[1:] if p.startswith("/sensors/")), "/sensors/1"
        )
        station = station.split('"', 1)[0]
        paths = [station if p == "station" else p for p in paths]
        for path in paths:
            client.cookies.clear()
            response = await client.get(path)
            cookies = response.headers.get_list("set-cookie")
            for _ in range(3):  # warm caches
                await client.get(path)
            profile = cProfile.Profile() if top else None
            started = time.perf_counter()
            if profile:
                profile.enable()
            for _ in range(repeat):
                client.cookies.clear()
                await client.get(path)
            if profile:
                profile.disable()
            elapsed = (time.perf_counter() - started) / repeat
            print(
                f"{path[:70]:70} {response.status_code} {1000 * elapsed:7.2f} ms  "
                f"{len(response.content):7d} B  set-cookie: {len(cookies)}"
            )
            if profile:
                stats = pstats.Stats(profile)
                stats.sort_stats("cumulative").print_stats("allmende", top)
                stats.sort_stats("tottime").print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's top N")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument(
        "--cache", type=float, default=0.0, help="read_cache_seconds (default 0: off)"
    )
    parser.add_argument("--folder", type=Path, help="keep the demo here and reuse it")
    parser.add_argument(
        "paths", nargs="*", default=["/", "/sensors", "/assets", "station", "dashboard"]
    )
    args = parser.parse_args()
    print(machine_info(postgres_version()))
    paths = [DASHBOARD if p == "dashboard" else p for p in args.paths]
    if args.folder:
        args.folder.mkdir(parents=True, exist_ok=True)
        asyncio.run(_run(args.folder, paths, args.repeat, args.profile, args.cache))
        return 0
    with tempfile.TemporaryDirectory(prefix="allmende-read-profile-") as folder:
        asyncio.run(_run(Path(folder), paths, args.repeat, args.profile, args.cache))
    return 0


if __name__ == "__main__":
    sys.exit(main())
