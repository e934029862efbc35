"""Bounded worker pools: work runs in their own threads, a full queue is refused at once."""

from __future__ import annotations

import threading

import pytest

from allmende.core.errors import ServiceUnavailable
from allmende.core.workers import BoundedWorkers
from tests.support.aio import run_to_end

pytestmark = pytest.mark.unit


def test_jobs_run_in_the_pool_threads() -> None:
    pool = BoundedWorkers("test-pool", workers=1, queue_limit=1, busy="busy")
    assert pool.run(lambda: threading.current_thread().name).startswith("test-pool")
    name = run_to_end(pool.arun(lambda x: f"{x}:{threading.current_thread().name}", "a"))
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


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_worker_rests_so_that_it_is_busy_only_its_share_of_the_time() -> None:
    fake = FakeTime()
    pool = BoundedWorkers(
        "test-share",
        workers=1,
        queue_limit=4,
        busy="busy",
        busy_share=0.25,
        clock=fake.clock,
        sleep=fake.sleep,
    )

    def job(seconds: float) -> None:
        fake.now += seconds

    pool.run(job, 1.0)
    pool.run(job, 2.0)  # waits 3 s (three times the last job) first
    fake.now += 1.0  # idle time counts as rest
    pool.run(job, 0.5)  # 6 s of rest were due, 1 s passed: waits 5 s
    assert fake.slept == [3.0, 5.0]
