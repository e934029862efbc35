"""The SensorThings adapter hands each request to a thread: reads on SQLite at most
``SQLITE_THREADS`` at once per worker (the rest queue, none is refused); writes, and every
request on PostgreSQL, as many as arrive."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from allmende.standards.sensorthings import Api
from allmende.standards.sensorthings.api import SQLITE_THREADS
from allmende.standards.sensorthings.exchange import StaRequest, StaResponse
from allmende.storage.database import Database
from tests.support.aio import run_to_end
from tests.support.client import TestClient

pytestmark = pytest.mark.integration

REQUESTS = 6


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_requests_at_once_per_worker(client: TestClient, database: Database, method: str) -> None:
    api = client.app.state.allmende.service(Api)  # type: ignore[attr-defined]
    handle = api.handle
    lock = threading.Lock()
    running = 0
    most = 0

    def counted(request: StaRequest) -> StaResponse:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.2)  # long enough for all of them to have arrived
        with lock:
            running -= 1
        return handle(request)

    api.handle = counted  # type: ignore[method-assign]

    async def at_once() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return list(
                await asyncio.gather(
                    *(
                        c.request(method, f"/v1.1/Things?$top={n + 1}", json={})
                        for n in range(REQUESTS)
                    )
                )
            )

    answers = run_to_end(at_once())
    assert [a.status_code for a in answers] == [200 if method == "GET" else 401] * REQUESTS
    limited = database.is_sqlite and method == "GET"
    assert most == (SQLITE_THREADS if limited else REQUESTS)
