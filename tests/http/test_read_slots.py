"""Read slots: at most ``slots`` reads computed at once, first come first served; a slot is given
back when the answer starts, when the read ends, or after ``HOLD_SECONDS``; writes, probes and
static files never wait."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from allmende.http import read_slots
from allmende.http.read_slots import ReadSlots
from tests.support.aio import run_to_end


class Recorder:
    """An ASGI app that computes for ``seconds`` (an await, so the loop runs on), then answers;
    it records the order requests started in and how many computed at once."""

    def __init__(self, seconds: float = 0.05, *, chunks: int = 1, chunk_seconds: float = 0) -> None:
        self.seconds = seconds
        self.chunks = chunks
        self.chunk_seconds = chunk_seconds
        self.computing = 0
        self.most = 0
        self.started: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.started.append(scope["path"])
        self.computing += 1
        self.most = max(self.most, self.computing)
        try:
            await asyncio.sleep(self.seconds)
        finally:
            self.computing -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for n in range(self.chunks):
            await asyncio.sleep(self.chunk_seconds)
            more = n < self.chunks - 1
            await send({"type": "http.response.body", "body": b"x", "more_body": more})


async def call(app: Any, path: str, method: str = "GET") -> int:
    scope = {"type": "http", "method": method, "path": path, "headers": []}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


async def at_once(app: Any, paths: list[str], method: str = "GET") -> list[int]:
    calls = []
    for path in paths:  # each one queued before the next arrives
        calls.append(asyncio.ensure_future(call(app, path, method)))
        await asyncio.sleep(0)
    return list(await asyncio.gather(*calls))


def test_two_reads_compute_at_once_and_the_rest_in_the_order_they_came() -> None:
    inner = Recorder()
    paths = [f"/page/{n}" for n in range(8)]
    assert run_to_end(at_once(ReadSlots(inner, slots=2), paths)) == [200] * 8
    assert inner.most == 2
    assert inner.started == paths


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/page"), ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/static/a.css")],
)
def test_writes_probes_and_static_files_never_wait(method: str, path: str) -> None:
    inner = Recorder()
    assert run_to_end(at_once(ReadSlots(inner, slots=2), [path] * 6, method)) == [200] * 6
    assert inner.most == 6


def test_no_slots_passes_everything_through() -> None:
    inner = Recorder()
    run_to_end(at_once(ReadSlots(inner, slots=0), ["/page"] * 6))
    assert inner.most == 6


def test_a_slot_is_given_back_when_the_answer_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow download holds nobody back once its answer has started."""
    monkeypatch.setattr(read_slots, "HOLD_SECONDS", 60.0)
    inner = Recorder(0.01, chunks=5, chunk_seconds=0.2)

    async def timed() -> float:
        app = ReadSlots(inner, slots=1)
        loop = asyncio.get_running_loop()
        began = loop.time()
        await at_once(app, ["/download", "/page"])
        return loop.time() - began

    # The two streams overlap (about 1 s), they do not follow each other (about 2 s).
    assert run_to_end(timed()) < 1.6


def test_a_slow_read_gives_its_slot_to_the_next_after_the_hold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(read_slots, "HOLD_SECONDS", 0.05)
    inner = Recorder(1.0)

    async def second_started_after() -> float:
        app = ReadSlots(inner, slots=1)
        loop = asyncio.get_running_loop()
        began = loop.time()
        first = asyncio.ensure_future(call(app, "/slow"))
        await asyncio.sleep(0)
        second = asyncio.ensure_future(call(app, "/next"))
        while len(inner.started) < 2:
            await asyncio.sleep(0.01)
        started = loop.time() - began
        await asyncio.gather(first, second)
        return started

    assert run_to_end(second_started_after()) < 0.5  # not after the slow one's second
    assert inner.most == 2


def test_a_cancelled_waiter_keeps_no_slot() -> None:
    inner = Recorder(0.05)

    async def cancel_one() -> list[int]:
        app = ReadSlots(inner, slots=1)
        first = asyncio.ensure_future(call(app, "/first"))
        await asyncio.sleep(0)
        gone = asyncio.ensure_future(call(app, "/gone"))  # queued behind the first
        await asyncio.sleep(0)
        gone.cancel()
        answers = await asyncio.gather(first, call(app, "/third"), call(app, "/fourth"))
        return list(answers)

    assert run_to_end(cancel_one()) == [200, 200, 200]
    assert inner.started == ["/first", "/third", "/fourth"]
    assert inner.most == 1


def test_a_waiter_cancelled_as_its_turn_came_gives_the_slot_on() -> None:
    async def cancelled_on_its_turn() -> int:
        queue = read_slots._Queue(1)
        await queue.take()
        waiter = asyncio.ensure_future(queue.take())
        await asyncio.sleep(0)  # queued
        queue.give()  # its turn has come, but it has not run yet
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        return queue.free

    assert run_to_end(cancelled_on_its_turn()) == 1
