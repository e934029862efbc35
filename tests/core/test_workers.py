"""Bounded worker pools: work runs in their own threads, a full queue is refused at once."""

from __future__ import annotations

import asyncio
import threading

import pytest

from allmende.core.errors import ServiceUnavailable
from allmende.core.workers import BoundedWorkers

pytestmark = pytest.mark.unit


def test_jobs_run_in_the_pool_threads() -> None:
    pool = BoundedWorkers("test-pool", workers=1, queue_limit=1, busy="busy")
    assert pool.run(lambda: threading.current_thread().name).startswith("test-pool")
    name = asyncio.run(pool.arun(lambda x: f"{x}:{threading.current_thread().name}", "a"))
    assert name.startswith("a:test-pool")


def test_a_full_pool_refuses_at_once_and_frees_its_slots() -> None:
    pool = BoundedWorkers("test-full", workers=1, queue_limit=1, busy="too many at once")
    release = threading.Event()
    running = pool.submit(release.wait)
    waiting = pool.submit(release.wait)
    with pytest.raises(ServiceUnavailable) as info:
        pool.submit(release.wait)
    assert str(info.value) == "too many at once"
    release.set()
    running.result(timeout=10)
    waiting.result(timeout=10)
    assert pool.run(lambda: 42) == 42
