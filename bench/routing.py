"""What route matching costs per request: an ordinary page and a JSON read, with the included
routers' prefix guard on and off, in interleaved rounds (in-process, no socket).

    PYTHONPATH=src python bench/routing.py [--rounds 5] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import anyio.to_thread
import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from clients import Server  # noqa: E402
from common import machine_info  # noqa: E402

PATHS = {"page": "/sensors", "json": "/api/assets/objects"}


async def _inline(function, *args, **_):  # type: ignore[no-untyped-def]
    return function(*args)


async def _run(root: Path, rounds: int, requests: int) -> None:
    from fastapi import routing

    from allmende.app import create_app
    from allmende.http import routing as guard

    server = Server("sqlite", root)
    server.create()
    app = create_app(server.settings(run_jobs=False, read_cache_seconds=0))
    guarded = guard._IncludedRouter.matches
    walk = guarded.__closure__[0].cell_contents  # FastAPI's own matches
    anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
    transport = httpx.ASGITransport(app=app)
    totals: dict[tuple[str, str], float] = {}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client,
    ):
        for name, path in PATHS.items():
            print(name, path, (await client.get(path)).status_code)
        for _ in range(rounds):
            for mode, matches in (("walk", walk), ("guard", guarded)):
                routing._IncludedRouter.matches = matches  # type: ignore[method-assign]
                for name, path in PATHS.items():
                    start = time.perf_counter()
                    for _ in range(requests):
                        await client.get(path)
                    key = (mode, name)
                    totals[key] = totals.get(key, 0.0) + time.perf_counter() - start
    for (mode, name), seconds in sorted(totals.items()):
        print(f"{name:5} {mode:6} {1000 * seconds / (rounds * requests):7.2f} ms/request")
    print(machine_info(None))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_run(Path(folder), args.rounds, args.requests))


if __name__ == "__main__":
    main()
