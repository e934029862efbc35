"""Bounded worker pools for CPU-heavy steps of a request (password hashes, image decoding).

Each pool has a few threads of its own, so such work runs neither on the event loop nor in the
SQLite writer, and never takes the threads that serve other requests. A pool also bounds its
queue: when more jobs wait than it may hold, the next one is refused at once (503) instead of
letting a flood pile up memory and latency for everyone. And it bounds its share of the time:
with ``busy_share`` 0.25 a worker rests three times as long as its last job took before it
takes the next, so a flood of such jobs leaves the CPU mostly to the other requests (an argon2
check, for one, runs four threads and fills two cores while it lasts).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from allmende.core.errors import ServiceUnavailable

T = TypeVar("T")


def half_the_cores() -> int:
    """Workers for a CPU-bound pool: half of the machine, so that requests keep the rest."""
    return max(1, (os.cpu_count() or 2) // 2)


class BoundedWorkers:
    """At most ``workers`` jobs at once, at most ``queue_limit`` more waiting."""

    def __init__(
        self,
        name: str,
        *,
        workers: int,
        queue_limit: int,
        busy: str,
        busy_share: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0 < busy_share <= 1:
            raise ValueError("busy_share must be in (0, 1]")
        self.name = name
        self.workers = workers
        self.queue_limit = queue_limit
        self.busy = busy
        self.busy_share = busy_share
        self._clock = clock
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(workers + queue_limit)
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._worker = threading.local()

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """Queue ``fn(*args, **kwargs)``; 503 when the pool is full."""
        if not self._slots.acquire(blocking=False):
            raise ServiceUnavailable(detail=self.busy)
        try:
            future = self._pool().submit(self._paced, fn, *args, **kwargs)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        return future

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in the pool, waited for in this thread (synchronous code)."""
        return self.submit(fn, *args, **kwargs).result()

    async def arun(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in the pool, awaited without blocking the event loop."""
        return await asyncio.wrap_future(self.submit(fn, *args, **kwargs))

    def _paced(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` after the worker's rest from its last job is over."""
        rest = getattr(self._worker, "rest_until", 0.0) - self._clock()
        if rest > 0:
            self._sleep(rest)
        started = self._clock()
        try:
            return fn(*args, **kwargs)
        finally:
            ended = self._clock()
            self._worker.rest_until = ended + (ended - started) * (1 / self.busy_share - 1)

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:  # threads start on first use, not at import
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix=self.name)
            return self._executor
