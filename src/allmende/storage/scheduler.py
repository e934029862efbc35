"""Runs the scheduled jobs (``ModuleSpec.jobs`` and the kernel's) in the background.

Each job runs every ``every_seconds`` and, if it names events in ``wake_on``, promptly after
such an event is published in this process: at most once per :data:`DEBOUNCE_SECONDS`, and a
second time if events came while it ran. The event handler only marks the job; a loop thread
starts the runs on a pool with a thread per job, so a slow job delays neither the publisher
(the SQLite writer, a request) nor the other jobs, and a job never runs twice at once.

With several processes on PostgreSQL, an advisory lock per job makes sure only one of them runs
a job at a time; the others skip that round. A failing job is logged and tried again next round.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from allmende.core.events import Event, EventBus
from allmende.core.features import FeatureSource
from allmende.core.metrics import JOB_RUNS, JOB_SECONDS
from allmende.core.registry import JobSpec
from allmende.core.settings import Settings
from allmende.core.timeutil import utcnow
from allmende.storage.database import Database

log = logging.getLogger(__name__)

#: The shortest time between two runs of a job that events wake.
DEBOUNCE_SECONDS = 1.0
#: How long :meth:`Scheduler.stop` waits for running jobs.
STOP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class JobContext:
    """What a job receives: the installation's database, settings and event bus, and the
    enabled modules' feature sources (how a module reads another's public features, such as
    the trees of the object register, without importing it)."""

    database: Database
    settings: Settings
    bus: EventBus
    now: datetime
    feature_sources: tuple[FeatureSource, ...] = ()


def _lock_id(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Scheduler:
    def __init__(
        self,
        jobs: Sequence[JobSpec],
        database: Database,
        settings: Settings,
        *,
        debounce_seconds: float = DEBOUNCE_SECONDS,
        feature_sources: Sequence[FeatureSource] = (),
    ) -> None:
        names = [job.name for job in jobs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"jobs named twice: {', '.join(duplicates)}")
        self.jobs = list(jobs)
        self.database = database
        self.settings = settings
        self.debounce_seconds = debounce_seconds
        self.feature_sources = tuple(feature_sources)
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._woken: set[str] = set()
        self._running: dict[str, Future[None]] = {}
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._waking: dict[str, list[str]] = {}
        for job in self.jobs:
            for name in job.wake_on:
                self._waking.setdefault(name, []).append(job.name)

    def start(self) -> None:
        if not self.jobs or self._thread is not None:
            return
        self._stop.clear()
        self._pool = ThreadPoolExecutor(max_workers=len(self.jobs), thread_name_prefix="job")
        for name in self._waking:
            self.database.bus.subscribe(name, self._on_event)
        self._thread = threading.Thread(target=self._loop, name="allmende-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        for name in self._waking:
            self.database.bus.unsubscribe(name, self._on_event)
        with self._changed:
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=STOP_TIMEOUT_SECONDS)
            self._thread = None
        if self._pool is not None:
            wait(list(self._running.values()), timeout=STOP_TIMEOUT_SECONDS)
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

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
        context = JobContext(
            self.database, self.settings, self.database.bus, utcnow(), self.feature_sources
        )
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

    def _on_event(self, event: Event) -> None:
        """Called on the publishing thread: only mark the jobs, never run them here."""
        with self._changed:
            self._woken.update(self._waking.get(event.name, ()))
            self._changed.notify_all()

    def _loop(self) -> None:
        now = time.monotonic()
        due = {job.name: now + min(job.every_seconds, 60) for job in self.jobs}
        started = {job.name: now - self.debounce_seconds for job in self.jobs}
        while not self._stop.is_set():
            with self._changed:
                now = time.monotonic()
                for job in self.jobs:
                    if job.name in self._running:
                        continue
                    woken = job.name in self._woken
                    if now >= due[job.name] or (
                        woken and now >= started[job.name] + self.debounce_seconds
                    ):
                        self._woken.discard(job.name)
                        started[job.name] = now
                        due[job.name] = now + job.every_seconds
                        self._start(job)
                wake_at = [
                    started[name] + self.debounce_seconds
                    for name in self._woken
                    if name not in self._running
                ]
                timeout = min([*due.values(), *wake_at]) - now
                self._changed.wait(timeout=min(60.0, max(0.05, timeout)))

    def _start(self, job: JobSpec) -> None:
        assert self._pool is not None
        self._running[job.name] = self._pool.submit(self._run, job)

    def _run(self, job: JobSpec) -> None:
        try:
            self.run_once(job)
        except Exception:
            log.exception("scheduled job failed", extra={"job": job.name})
        finally:
            with self._changed:
                self._running.pop(job.name, None)
                self._changed.notify_all()
