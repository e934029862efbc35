"""Run a coroutine to its end from a synchronous test.

``asyncio.run`` refuses to start where an event loop already runs in the thread, which is the
case in a pytest-xdist worker after a Playwright browser test (its sync API keeps a loop in the
main thread). A thread of its own always has none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
