"""The SQLite single writer.

SQLite allows one writer at a time. Instead of letting request threads fight over the lock,
every write is a function handed to one thread that owns the only writable connection. The
thread takes whatever writes are waiting, runs each in its own savepoint inside one transaction
and commits once (group commit), so many small writes cost one fsync, and one failing write
rolls back alone.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from allmende.core.events import Event
from allmende.core.metrics import WRITER_BATCH, WRITER_BATCH_SECONDS, WRITER_QUEUE
from allmende.storage.events import drop_pending_after, pending_count, take_pending

log = logging.getLogger(__name__)
T = TypeVar("T")
WRITER_FLAG = "allmende.writer"


@dataclass
class _Job:
    fn: Callable[[Session], Any]
    future: Future[Any] = field(default_factory=Future)


_STOP = object()


class SQLiteWriter:
    def __init__(
        self,
        engine: Engine,
        sessions: sessionmaker[Session],
        publish: Callable[[list[Event]], None],
        *,
        max_batch: int = 256,
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._publish = publish
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        # Held while a job is queued and while the stop is: no job can follow the stop in the
        # queue, where nothing would run it (its caller would wait for ever, the queue gauge
        # would stay up).
        self._accepting = threading.Lock()
        self._stopping = False
        self._local = threading.local()
        # Opened here so a failure surfaces to the caller, not in a thread nobody watches.
        self._connection = engine.connect()
        self._connection.info[WRITER_FLAG] = True
        _set_query_only(self._connection, enabled=False)
        self._thread = threading.Thread(
            target=self._run, name="allmende-sqlite-writer", daemon=True
        )
        self._thread.start()

    def submit(self, fn: Callable[[Session], T]) -> Future[T]:
        job = _Job(fn)
        with self._accepting:
            if self._stopping or not self._thread.is_alive():
                raise RuntimeError("the SQLite writer has stopped")
            WRITER_QUEUE.inc()
            self._queue.put(job)
        return job.future

    def run(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` as a write and return its result (or raise its exception)."""
        current: Session | None = getattr(self._local, "session", None)
        if current is not None:
            # A write inside a write (e.g. a service calling another): join the running one.
            with current.begin_nested():
                return fn(current)
        result: T = self.submit(fn).result()
        return result

    def stop(self) -> None:
        with self._accepting:
            first = not self._stopping
            self._stopping = True
            if first and self._thread.is_alive():
                self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        connection = self._connection
        try:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    break
                batch = [first]
                stop_after = False
                while len(batch) < self._max_batch:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is _STOP:
                        stop_after = True
                        break
                    batch.append(nxt)
                jobs = [j for j in batch if isinstance(j, _Job)]
                WRITER_QUEUE.dec(len(jobs))
                started = time.perf_counter()
                self._run_batch(connection, jobs)
                WRITER_BATCH.observe(len(jobs))
                WRITER_BATCH_SECONDS.observe(time.perf_counter() - started)
                if stop_after:
                    break
        finally:
            _set_query_only(connection, enabled=True)
            connection.info.pop(WRITER_FLAG, None)
            connection.close()

    def _run_batch(self, connection: Connection, batch: list[_Job]) -> None:
        session = self._sessions(bind=connection)
        self._local.session = session
        events: list[Event] = []
        try:
            if len(batch) == 1:
                outcomes = [self._run_alone(session, batch[0])]
            else:
                outcomes = [self._run_isolated(session, job) for job in batch]
            if any(ok for ok, _ in outcomes):
                events = take_pending(session)
                session.commit()
        except Exception as exc:  # the commit itself failed: nothing of the batch was written
            log.exception("SQLite write batch failed")
            session.rollback()
            events = []
            outcomes = [(False, exc)] * len(batch)
        finally:
            self._local.session = None
            session.close()
        for job, (ok, value) in zip(batch, outcomes, strict=True):
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)
        if events:
            self._publish(events)

    @staticmethod
    def _run_alone(session: Session, job: _Job) -> tuple[bool, Any]:
        try:
            value = job.fn(session)
            session.flush()
        except Exception as exc:
            session.rollback()
            take_pending(session)
            return (False, exc)
        return (True, value)

    @staticmethod
    def _run_isolated(session: Session, job: _Job) -> tuple[bool, Any]:
        before = pending_count(session)
        savepoint = session.begin_nested()
        try:
            value = job.fn(session)
            session.flush()
            savepoint.commit()
        except Exception as exc:
            savepoint.rollback()
            drop_pending_after(session, before)
            return (False, exc)
        return (True, value)


def _set_query_only(connection: Connection, *, enabled: bool) -> None:
    # On the raw connection: through SQLAlchemy it would first open a transaction.
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute(f"PRAGMA query_only = {int(enabled)}")
