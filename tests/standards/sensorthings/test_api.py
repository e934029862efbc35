"""The SensorThings adapter hands each request to a thread; in the whole application
(:mod:`allmende.http.read_slots`) reads one at a time per worker by default (the rest queue,
none is refused, and one that computes longer than ``HOLD_SECONDS`` lets the next one in);
writes as many as arrive."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from allmende.http import read_slots
from allmende.standards.sensorthings import Api
from allmende.standards.sensorthings.exchange import StaRequest, StaResponse
from allmende.storage.database import Database
from tests.support.aio import run_to_end
from tests.support.client import TestClient

pytestmark = pytest.mark.integration

REQUESTS = 6


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_requests_at_once_per_worker(
    client: TestClient, database: Database, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read_slots, "HOLD_SECONDS", 60.0)  # none lets the next one in here
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
    assert most == (1 if method == "GET" else REQUESTS)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_read_behind_two_slow_ones_does_not_wait_for_them(
    client: TestClient, database: Database
) -> None:
    api = client.app.state.allmende.service(Api)  # type: ignore[attr-defined]
    handle = api.handle

    def slow_first_two(request: StaRequest) -> StaResponse:
        if request.query in ("$top=1", "$top=2"):
            time.sleep(3)
        return handle(request)

    api.handle = slow_first_two  # type: ignore[method-assign]

    async def behind() -> tuple[list[int], float]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            slow = [asyncio.ensure_future(c.get(f"/v1.1/Things?$top={n}")) for n in (1, 2)]
            await asyncio.sleep(0.5)  # both hold the threads
            started = time.monotonic()
            quick = await c.get("/v1.1/Things?$top=3")
            waited = time.monotonic() - started
            answers = [quick, *await asyncio.gather(*slow)]
            return [a.status_code for a in answers], waited

    statuses, waited = run_to_end(behind())
    assert statuses == [200, 200, 200]
    assert waited < 2.0  # not after the slow ones (3 s): they gave their slots back
