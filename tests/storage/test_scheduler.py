"""Scheduled jobs run, and on PostgreSQL only one process runs a job at a time."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from allmende.core.registry import JobSpec
from allmende.core.settings import Settings
from allmende.storage.database import Database
from allmende.storage.scheduler import JobContext, Scheduler, _lock_id

pytestmark = pytest.mark.integration


def test_jobs_run_repeatedly(database: Database, settings: Settings) -> None:
    runs: list[JobContext] = []
    done = threading.Event()

    def count(context: JobContext) -> None:
        runs.append(context)
        if len(runs) >= 2:
            done.set()

    scheduler = Scheduler([JobSpec("count", 1, count)], database, settings)
    scheduler.start()
    try:
        assert done.wait(timeout=10)
    finally:
        scheduler.stop()
    assert runs[0].database is database


# Advisory locks are a PostgreSQL matter; on SQLite one process runs the jobs.
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_held_job_is_skipped_on_postgresql(database: Database, settings: Settings) -> None:
    ran: list[str] = []
    job = JobSpec("exclusive", 60, lambda context: ran.append("ran"))
    scheduler = Scheduler([job], database, settings)
    with database.engine.connect() as other:  # another worker holds the job
        other.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _lock_id("exclusive")})
        assert scheduler.run_once(job) is False
        other.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _lock_id("exclusive")})
        other.commit()
    assert scheduler.run_once(job) is True
    assert ran == ["ran"]


def test_a_failing_job_keeps_the_scheduler_alive(database: Database, settings: Settings) -> None:
    calls = []

    def fail(context: JobContext) -> None:
        calls.append(time.monotonic())
        raise RuntimeError("boom")

    scheduler = Scheduler([JobSpec("fail", 1, fail)], database, settings)
    scheduler.start()
    deadline = time.monotonic() + 10
    while len(calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    scheduler.stop()
    assert len(calls) >= 2
