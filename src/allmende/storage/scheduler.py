"""Runs the modules' scheduled jobs (``ModuleSpec.jobs``) in the background.

Each job runs every ``every_seconds`` in a worker thread. With several processes on PostgreSQL,
a transaction-level advisory lock per job makes sure only one of them runs a job at a time; the
others skip that round. A failing job is logged and tried again next round.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from allmende.core.events import EventBus
from allmende.core.metrics import JOB_RUNS, JOB_SECONDS
from allmende.core.registry import JobSpec
from allmende.core.settings import Settings
from allmende.core.timeutil import utcnow
from allmende.storage.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobContext:
    """What a job receives: the installation's database, settings and event bus."""

    database: Database
    settings: Settings
    bus: EventBus
    now: datetime


def _lock_id(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Scheduler:
    def __init__(self, jobs: Sequence[JobSpec], database: Database, settings: Settings) -> None:
        self.jobs = list(jobs)
        self.database = database
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.jobs and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="allmende-jobs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def run_once(self, job: JobSpec) -> bool:
        """Run ``job`` now unless another process holds it; True when it ran."""
        started = time.perf_counter()
        try:
            ran = self._run_once(job)
        except Exception:
            JOB_RUNS.labels(job.name, "failed").inc()
            raise
        JOB_RUNS.labels(job.name, "ok" if ran else "skipped").inc()
        if ran:
            JOB_SECONDS.labels(job.name).observe(time.perf_counter() - started)
        return ran

    def _run_once(self, job: JobSpec) -> bool:
        context = JobContext(self.database, self.settings, self.database.bus, utcnow())
        if not self.database.is_postgresql:
            job.run(context)
            return True
        with self.database.engine.connect() as connection:
            held = connection.execute(
                text("SELECT pg_try_advisory_lock(:id)"), {"id": _lock_id(job.name)}
            ).scalar()
            if not held:
                return False
            try:
                job.run(context)
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:id)"), {"id": _lock_id(job.name)}
                )
                connection.commit()
        return True

    def _loop(self) -> None:
        due = {job.name: time.monotonic() + min(job.every_seconds, 60) for job in self.jobs}
        while not self._stop.is_set():
            now = time.monotonic()
            for job in self.jobs:
                if now < due[job.name]:
                    continue
                due[job.name] = now + job.every_seconds
                try:
                    self.run_once(job)
                except Exception:
                    log.exception("scheduled job failed", extra={"job": job.name})
            self._stop.wait(timeout=max(0.5, min(due.values()) - time.monotonic()))
