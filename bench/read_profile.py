"""Where one read's milliseconds go: a public page and the dashboard query, in-process.

    PYTHONPATH=src python bench/read_profile.py                  # ms per request
    PYTHONPATH=src python bench/read_profile.py --profile 25     # and cProfile's top 25
    PYTHONPATH=src python bench/read_profile.py /sensors process # some pages ("station",
                                                                 # "process", "dashboard": the
                                                                 # first of each)

Builds the demo region on SQLite in a temporary folder, then sends each request through the
whole ASGI stack (middleware, authentication, routing, handler, rendering) without a socket.
Work the app hands to the thread pool runs inline here, so the profile sees all of it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import re
import statistics
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


async def _run(
    root: Path, paths: list[str], repeat: int, top: int, cache_seconds: float, backend: str
) -> None:

    server = Server(backend, root)
    database = root / "allmende.sqlite3"
    if backend == "sqlite" and database.exists():  # a demo built before (--folder)
        server.url = f"sqlite:///{database}"
    else:
        server.create(demo=True)
    try:
        await _measure(server, paths, repeat, top, cache_seconds)
    finally:
        if server.pg is not None:
            server.pg.stop()


async def _measure(
    server: Server, paths: list[str], repeat: int, top: int, cache_seconds: float
) -> None:
    from allmende.app import create_app

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
        processes = (await client.get("/participation")).text
        process = next(
            (p for p in processes.split('href="')[1:] if re.match(r"/participation/\\d", p)),
            "/participation/1",
        ).split('"', 1)[0]
        named = {"station": station, "process": process}
        paths = [named.get(p, p) for p in paths]
        for path in paths:
            client.cookies.clear()
            response = await client.get(path)
            cookies = response.headers.get_list("set-cookie")
            for _ in range(3):  # warm caches
                await client.get(path)
            profile = cProfile.Profile() if top else None
            times = []
            if profile:
                profile.enable()
            for _ in range(repeat):
                client.cookies.clear()
                started = time.perf_counter()
                await client.get(path)
                times.append(time.perf_counter() - started)
            if profile:
                profile.disable()
            median, mean = 1000 * statistics.median(times), 1000 * statistics.fmean(times)
            print(
                f"{path[:60]:60} {response.status_code} median {median:6.2f} ms, mean {mean:6.2f}"
                f" ms  {len(response.content):7d} B  set-cookie: {len(cookies)}"
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
    parser.add_argument("--folder", type=Path, help="keep the demo here and reuse it (SQLite)")
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql"), default="sqlite", help="a fresh server"
    )
    parser.add_argument(
        "paths", nargs="*", default=["/", "/sensors", "/assets", "station", "process", "dashboard"]
    )
    args = parser.parse_args()
    print(machine_info(postgres_version()))
    paths = [DASHBOARD if p == "dashboard" else p for p in args.paths]
    if args.folder:
        args.folder.mkdir(parents=True, exist_ok=True)
        asyncio.run(_run(args.folder, paths, args.repeat, args.profile, args.cache, args.backend))
        return 0
    with tempfile.TemporaryDirectory(prefix="allmende-read-profile-") as folder:
        asyncio.run(_run(Path(folder), paths, args.repeat, args.profile, args.cache, args.backend))
    return 0


if __name__ == "__main__":
    sys.exit(main())
