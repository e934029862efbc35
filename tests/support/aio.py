"""Running a coroutine to its end from a test, whatever the test's thread already runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_to_end(
    coroutine: Coroutine[Any, Any, T],
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
) -> T:
    """``asyncio.run`` (on a loop of ``loop_factory``'s, where given) in a thread of its own:
    on a pytest-xdist worker that also runs the browser tests, Playwright's sync API keeps an
    event loop running in the main thread for the whole session, and ``asyncio.run`` refuses
    to start beside it."""

    def target() -> T:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            return runner.run(coroutine)

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(target).result()
