"""Bounded worker pools for CPU-heavy steps of a request (password hashes, image decoding).

Each pool has a few threads of its own, so such work runs neither on the event loop nor in the
SQLite writer, and never takes the threads that serve other requests. A pool also bounds its
queue: when more jobs wait than it may hold, the next one is refused at once (503) instead of
letting a flood pile up memory and latency for everyone.
"""

from __future__ import annotations

import asyncio
import os
import threading
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

    def __init__(self, name: str, *, workers: int, queue_limit: int, busy: str) -> None:
        self.name = name
        self.workers = workers
        self.queue_limit = queue_limit
        self.busy = busy
        self._slots = threading.BoundedSemaphore(workers + queue_limit)
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """Queue ``fn(*args, **kwargs)``; 503 when the pool is full."""
        if not self._slots.acquire(blocking=False):
            raise ServiceUnavailable(detail=self.busy)
        try:
            future = self._pool().submit(fn, *args, **kwargs)
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

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:  # threads start on first use, not at import
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix=self.name)
            return self._executor
