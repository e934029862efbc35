"""Requests per second of a simple authenticated GET (``/api/me``): what every request pays for
its credentials, middleware, routing and answer, with no work of its own.

    PYTHONPATH=src python bench/auth_get.py                       # SQLite, in-process and served
    PYTHONPATH=src python bench/auth_get.py --backend postgresql  # a throwaway PostgreSQL
    PYTHONPATH=src python bench/auth_get.py --seconds 10 --clients 8

Two measurements per credential (an API key as ``Authorization: Bearer``, a session cookie, and
none): *in-process*, one client sending through the whole ASGI stack without a socket (CPU
milliseconds per request: the steadiest figure on a busy machine), and *served*, uvicorn with
one worker on a free port and ``--clients`` keep-alive clients in threads of this process (the
clients' CPU counts against the server's on a small machine). Rounds take turns; the median
of the rounds is printed with its spread.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from clients import Server  # noqa: E402  (the sibling script's server set-up)
from common import log, machine_info, postgres_version  # noqa: E402

PATH = "/api/me"
EMAIL = "bench@example.org"


def _session_token(server: Server) -> str:
    """A signed-in user's session cookie, made in the database."""
    from allmende.app import open_database
    from allmende.identity import service

    database = open_database(server.settings())

    def start(session: Any) -> str:
        user = service.create_user(session, email=EMAIL, display_name="Bench", password=None)
        session.flush()
        return service.start_session(session, user=user, max_age=timedelta(hours=2))

    try:
        return str(database.write(start))
    finally:
        database.close()


def _credentials(server: Server, token: str) -> dict[str, dict[str, str]]:
    return {
        "api key": {"Authorization": f"Bearer {server.key}"},
        "session": {"Cookie": f"allmende_session={token}"},
        "anonymous": {},
    }


async def _in_process(
    server: Server, credentials: dict[str, dict[str, str]], count: int
) -> dict[str, float]:
    """CPU milliseconds per request, one client, no socket."""
    from allmende.app import create_app

    app = create_app(server.settings(run_jobs=False))
    found: dict[str, float] = {}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        ) as client,
    ):
        for name, headers in credentials.items():
            for _ in range(20):  # warm caches
                _expect_ok(await client.get(PATH, headers=headers))
            started = time.process_time()
            for _ in range(count):
                _expect_ok(await client.get(PATH, headers=headers))
            found[name] = 1000 * (time.process_time() - started) / count
    return found


def _served(server: Server, headers: dict[str, str], clients: int, seconds: float) -> float:
    """Answers per second with ``clients`` keep-alive clients for ``seconds``."""
    done = [0] * clients
    stop = time.monotonic() + seconds
    barrier = threading.Barrier(clients)

    def client(index: int) -> None:
        with httpx.Client(base_url=server.root, headers=headers, timeout=30) as http:
            _expect_ok(http.get(PATH))
            barrier.wait()
            while time.monotonic() < stop:
                _expect_ok(http.get(PATH))
                done[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def _expect_ok(response: httpx.Response) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:200]}")


def _spread(values: list[float], unit: str, digits: int) -> str:
    return (
        f"{statistics.median(values):.{digits}f} {unit} "
        f"({min(values):.{digits}f}–{max(values):.{digits}f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=500, help="per in-process round")
    parser.add_argument("--seconds", type=float, default=5.0, help="per served round")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--skip", default="", help="leave out: inprocess,served")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    print(machine_info(postgres_version() if args.backend == "postgresql" else None))
    with tempfile.TemporaryDirectory(prefix="allmende-auth-get-") as folder:
        server = Server(args.backend, Path(folder))
        try:
            server.create()
            credentials = _credentials(server, _session_token(server))
            cpu: dict[str, list[float]] = {name: [] for name in credentials}
            rate: dict[str, list[float]] = {name: [] for name in credentials}
            if "served" not in skip:
                server.start(workers=1)
            for round_ in range(args.rounds):
                log(f"round {round_ + 1} of {args.rounds}")
                if "inprocess" not in skip:
                    for name, ms in asyncio.run(
                        _in_process(server, credentials, args.requests)
                    ).items():
                        cpu[name].append(ms)
                if "served" not in skip:
                    for name, headers in credentials.items():
                        rate[name].append(_served(server, headers, args.clients, args.seconds))
        finally:
            server.stop()
    print(f"\nGET {PATH} on {args.backend}: median of {args.rounds} rounds (lowest–highest)")
    for name in credentials:
        parts = [f"{name:10}"]
        if cpu[name]:
            parts.append(f"in-process {_spread(cpu[name], 'ms CPU', 3)}")
        if rate[name]:
            parts.append(f"served, {args.clients} clients {_spread(rate[name], '/s', 0)}")
        print("  ".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
