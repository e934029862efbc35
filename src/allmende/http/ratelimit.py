"""A small in-process rate limiter (sliding window) for logins and anonymous contributions.

Per process: behind several workers each counts on its own, which still bounds abuse.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from starlette.requests import HTTPConnection

from allmende.core.errors import TooManyRequests
from allmende.http.context import app_context


class RateLimiter:
    def __init__(self, *, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        """Count one attempt for ``key``; raise 429 when the window is full."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                retry = int(hits[0] + self.window - now) + 1
                raise TooManyRequests(detail=f"Too many attempts. Try again in {retry} seconds.")
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle keys so memory stays bounded
                for stale in [
                    k for k, v in self._hits.items() if not v or v[-1] < now - self.window
                ]:
                    del self._hits[stale]

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)


def limiter(
    connection: HTTPConnection, name: str, *, limit: int, window_seconds: float
) -> RateLimiter:
    """The application's limiter called ``name`` (created on first use)."""
    services = app_context(connection).services
    key = f"ratelimit:{name}"
    found = services.get(key)
    if not isinstance(found, RateLimiter):
        found = services[key] = RateLimiter(limit=limit, window_seconds=window_seconds)
    return found
