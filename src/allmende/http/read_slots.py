"""Read slots: a worker computes a read at a time (by default); the others queue in order.

A read is mostly Python work under one interpreter lock. Handed to the thread pool as they
arrived (up to forty threads), 64 concurrent page views took turns for the lock: each took
twice the CPU it takes alone, and who finished when was luck (p95 far above p50). One at a
time, in the order they came, they finish sooner on average and in order. A thread lets go
of the lock at each step of its database driver (every row SQLite reads), and a second one
waiting takes it, so even two at once hand the lock to and fro hundreds of times per page: on
SQLite each page took a third more CPU. One slot served a fifth more pages per second than two
on SQLite and than four on PostgreSQL with the database on the same machine (64 clients).
With a database far away on the network more slots keep the CPU busy while reads wait for it
(the setting ``read_slots``).

A slot is held until the answer starts (``http.response.start``): sending it, streaming a
download included, does not hold the others back. A read that still computes after
``HOLD_SECONDS`` (a long SensorThings query, a slow export, a slow database) gives its slot to
the next one and goes on without it, so slow reads never stall the quick ones. Writes, probes,
metrics and static files never queue.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Seconds a read computes before it gives its slot to the next one in the queue.
HOLD_SECONDS = 0.1
READ_METHODS = frozenset({"GET", "HEAD"})
#: Answers that compute nothing worth queueing for, and must answer under load (probes).
FREE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
FREE_PREFIXES = ("/static/",)


class _Queue:
    """Slots handed out first come, first served (one per event loop)."""

    def __init__(self, slots: int) -> None:
        self.free = slots
        self.waiting: deque[asyncio.Future[None]] = deque()

    async def take(self) -> None:
        if self.free > 0 and not self.waiting:
            self.free -= 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # given a slot as it was cancelled
                self.give()
            else:
                self.waiting.remove(turn)
            raise

    def give(self) -> None:
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.free += 1


class _Slot:
    """One request's slot: given back once, at the answer's start, its end or its time."""

    def __init__(self, queue: _Queue) -> None:
        self.queue = queue
        self.timer = asyncio.get_running_loop().call_later(HOLD_SECONDS, self.give_back)
        self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self.timer.cancel()
            self.queue.give()


class ReadSlots:
    """ASGI middleware; ``slots`` = 0 passes everything through."""

    def __init__(self, app: ASGIApp, *, slots: int) -> None:
        self.app = app
        self.slots = slots
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue] = (
            weakref.WeakKeyDictionary()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.slots <= 0 or not _queued(scope):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:  # a future belongs to the loop it was made on
            queue = self._queues[loop] = _Queue(self.slots)
        await queue.take()
        slot = _Slot(queue)

        async def send_and_give_back(message: Message) -> None:
            if message["type"] == "http.response.start":
                slot.give_back()
            await send(message)

        try:
            await self.app(scope, receive, send_and_give_back)
        finally:
            slot.give_back()


def _queued(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] not in READ_METHODS:
        return False
    path: str = scope["path"]
    return path not in FREE_PATHS and not path.startswith(FREE_PREFIXES)
