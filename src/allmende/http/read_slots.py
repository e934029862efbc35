"""Read slots: a worker computes a few reads at once; the others queue, first come first served.

A read is mostly Python work under one interpreter lock. Handed to the thread pool as they
arrived (up to forty threads), 64 concurrent page views took turns for the lock: each took
twice the CPU it takes alone, and who finished when was luck (p95 far above p50). A few at a
time, in the order they came, finish sooner on average and in order. On SQLite two at a time
keep the worker busy; on PostgreSQL a read also waits for the database's answers, so four.

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

#: Reads computed at once per worker on SQLite (eight at once took a fifth more CPU each than
#: two) and on PostgreSQL (64 clients: four served 1.2-1.6 times the pages forty threads did).
SQLITE_SLOTS = 2
POSTGRES_SLOTS = 4
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


def default_slots(*, sqlite: bool) -> int:
    return SQLITE_SLOTS if sqlite else POSTGRES_SLOTS


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
