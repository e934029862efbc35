"""Rate limits and back-offs whose counts every worker shares, through the database.

**Rate limits** (:class:`RateLimit`: at most ``limit`` attempts per ``window_seconds``) count
in a sliding window, approximated as usual by two fixed windows: the hits of the current one
plus those of the previous one, weighted by how much of it the sliding window still covers.
One row per caller and limit (:class:`~allmende.identity.models.RateCounter`) holds both.

A process decides at once from what it knows: the shared count as of its last write plus the
hits it has counted since. Counted hits are written in batches, one small write at most every
:data:`FLUSH_SECONDS` (an atomic upsert per bucket that returns the new shared count), so a
flood costs the SQLite writer a transaction twice a second instead of one per attempt, and a
refused attempt costs nothing at all: it is not counted. The price is a little slack: with
several workers a caller may get one flush interval's hits past the limit on each of them, and
after a restart a bucket counts from what its first write returns.

**Back-offs** (:class:`Backoff`) follow the failures of one subject (a sign-in e-mail):
after ``free_failures`` the subject waits ``base_seconds``, doubling with each further failure
up to ``max_seconds``; the wait expires, attempts refused while it lasts are not counted, a
success clears it, and ``forget_seconds`` after the last failure the row is gone. They are read
before the costly check and written with the outcome, directly, since that write happens anyway.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, delete, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from allmende.identity.models import RateCounter
from allmende.storage.database import Database

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5
#: Expired rows are deleted at most this often (per process), in a flush that writes anyway.
PURGE_SECONDS = 60.0
#: Buckets a process remembers before it forgets idle ones.
LOCAL_BUCKETS = 10_000
#: Buckets written per flush at most (50–100 ms of the writer on a small machine); more wait
#: for the next flush.
FLUSH_MAX_BUCKETS = 1000


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` attempts per ``window_seconds`` and caller."""

    name: str
    limit: int
    window_seconds: int

    def bucket(self, subject: str) -> str:
        return bucket_of(self.name, subject)


@dataclass(frozen=True)
class Backoff:
    """Exponential waiting after repeated failures of one subject (see the module's text)."""

    name: str
    free_failures: int
    base_seconds: int
    max_seconds: int
    forget_seconds: int

    def bucket(self, subject: str) -> str:
        return bucket_of(self.name, subject)

    def wait_after(self, failures: int) -> int:
        """Seconds to wait after the ``failures``-th failure in a row."""
        if failures < self.free_failures:
            return 0
        wait: int = self.base_seconds * 2 ** min(failures - self.free_failures, 32)
        return min(self.max_seconds, wait)


def bucket_of(name: str, subject: str) -> str:
    """The row key: the limit's name and a hash of the subject (no addresses stored)."""
    return f"{name}:{hashlib.sha256(subject.encode()).hexdigest()[:40]}"


def sliding_count(window_start: int, hits: int, previous: int, window: int, now: float) -> int:
    """Hits in the sliding window ending ``now``, from two fixed windows' counts. The previous
    window's share is rounded up, so that a caller at the limit is not let through by the
    fraction of a second that has passed since a window began."""
    current = int(now) - int(now) % window
    if window_start == current:
        this, before = hits, previous
    elif window_start == current - window:
        this, before = 0, hits
    else:
        this, before = 0, 0
    return this + math.ceil(before * (1 - (now - current) / window))


@dataclass
class _Bucket:
    window: int
    window_start: int = 0  # the shared count as the last write returned it
    hits: int = 0
    previous: int = 0
    pending: int = 0  # counted here, not yet written
    writing: int = 0  # counted here, being written by a flush (not yet in the shared count)
    last_hit: float = 0.0


class RateLimits:
    """The rate limits of one installation (one per process, on the app context)."""

    def __init__(
        self,
        database: Database,
        *,
        flush_seconds: float = FLUSH_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.database = database
        self.flush_seconds = flush_seconds
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._last_purge = 0.0
        self._closed = False

    # --- rate limits ------------------------------------------------------------------------

    def hit(self, limit: RateLimit, subject: str) -> int | None:
        """Count one attempt of ``subject``; ``None`` when allowed, else seconds to wait.

        Never waits for the database, so it may be called from the event loop."""
        key = limit.bucket(subject)
        now = self.clock()
        with self._lock:
            found = self._buckets.get(key)
            if found is None:
                if len(self._buckets) >= LOCAL_BUCKETS:
                    self._forget_idle(now)
                found = self._buckets[key] = _Bucket(window=limit.window_seconds)
            seen = sliding_count(found.window_start, found.hits, found.previous, found.window, now)
            if seen + found.writing + found.pending >= limit.limit:
                return self._retry_after(limit, now)
            found.pending += 1
            found.last_hit = now
            self._schedule()
        return None

    def forget(self, limit: RateLimit, subject: str) -> None:
        """Clear ``subject``'s count, here and in the database (a write: not on the event loop)."""
        key = limit.bucket(subject)
        with self._lock:
            self._buckets.pop(key, None)
        self.database.write(lambda session: clear(session, key))

    def flush(self) -> bool:
        """Write the hits counted since the last flush (also called by the timer); ``True``
        when it wrote a full batch, so that more may wait."""
        with self._lock:
            self._timer = None
            waiting = (k for k, b in self._buckets.items() if b.pending)
            batch = {
                k: (self._buckets[k].pending, self._buckets[k].window)
                for k in itertools.islice(waiting, FLUSH_MAX_BUCKETS)
            }
            for key in batch:
                self._buckets[key].writing = self._buckets[key].pending
                self._buckets[key].pending = 0
            full = len(batch) == FLUSH_MAX_BUCKETS
            if full:
                self._schedule()  # the rest with the next flush
            purge = self.clock() - self._last_purge >= PURGE_SECONDS
            if purge:
                self._last_purge = self.clock()
        if not batch and not purge:
            return False
        now = self.clock()
        try:
            shared = self.database.write(lambda session: add_hits(session, batch, now, purge))
        except Exception:  # the database went away (shutdown): the counts stay here
            log.warning("rate limit counts not written", exc_info=True)
            with self._lock:
                for key in batch:
                    if key in self._buckets:
                        self._buckets[key].pending += self._buckets[key].writing
                        self._buckets[key].writing = 0
            return False
        with self._lock:
            for key in batch:
                found = self._buckets.get(key)
                if found is not None:
                    found.writing = 0
                    if key in shared:
                        found.window_start, found.hits, found.previous = shared[key]
        return full

    def close(self) -> None:
        """Write what is still counted and stop the timer (at shutdown)."""
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        while self.flush():
            pass

    def _schedule(self) -> None:
        if self._timer is None and not self._closed:
            self._timer = threading.Timer(self.flush_seconds, self.flush)
            self._timer.daemon = True
            self._timer.start()

    @staticmethod
    def _retry_after(limit: RateLimit, now: float) -> int:
        current = int(now) - int(now) % limit.window_seconds
        return max(1, math.ceil(current + limit.window_seconds - now))

    def _forget_idle(self, now: float) -> None:
        """Make room: forget buckets idle for two windows, else the older half of those with
        nothing to write (their shared count comes back with their next write)."""
        idle = [k for k, b in self._buckets.items() if not b.pending and not b.writing]
        stale = [k for k in idle if self._buckets[k].last_hit < now - 2 * self._buckets[k].window]
        if not stale:
            idle.sort(key=lambda k: self._buckets[k].last_hit)
            stale = idle[: len(idle) // 2]
        for key in stale:
            del self._buckets[key]

    # --- back-offs --------------------------------------------------------------------------

    def waiting(self, session: Session, backoff: Backoff, subject: str) -> int:
        """Seconds ``subject`` must still wait (0: it may try now). A read."""
        blocked = session.scalar(
            select(RateCounter.blocked_until).where(RateCounter.bucket == backoff.bucket(subject))
        )
        return max(0, math.ceil((blocked or 0) - self.clock()))

    def failed(self, session: Session, backoff: Backoff, subject: str) -> int:
        """Count a failure of ``subject`` (in a write); returns the wait it now has."""
        now = int(self.clock())
        table = RateCounter.__table__
        values = {
            "bucket": backoff.bucket(subject),
            "window_start": now,
            "hits": 1,
            "previous_hits": 0,
            "blocked_until": now + backoff.wait_after(1),
            "expires_at": now + backoff.forget_seconds,
        }
        insert = _insert(session)(table).values(**values)
        upsert = insert.on_conflict_do_update(
            index_elements=[table.c.bucket],
            set_={
                "hits": table.c.hits + 1,
                "window_start": insert.excluded.window_start,
                "expires_at": insert.excluded.expires_at,
            },
        ).returning(table.c.hits)
        failures = int(session.execute(upsert).scalar_one())
        wait = backoff.wait_after(failures)
        if wait:
            session.execute(
                update(RateCounter)
                .where(RateCounter.bucket == values["bucket"])
                .values(blocked_until=now + wait)
            )
        return wait

    def succeeded(self, session: Session, backoff: Backoff, subject: str) -> None:
        """Clear ``subject``'s failures (in a write)."""
        clear(session, backoff.bucket(subject))


def add_hits(
    session: Session, batch: dict[str, tuple[int, int]], now: float, purge: bool
) -> dict[str, tuple[int, int, int]]:
    """Add each bucket's pending hits atomically (one statement, many rows, for each window
    length); returns the shared counts after."""
    table = RateCounter.__table__
    start = int(now)
    by_window: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for key, (pending, window) in sorted(batch.items()):  # one lock order for all writers
        window_start = start - start % window
        by_window[window].append(
            {
                "bucket": key,
                "window_start": window_start,
                "hits": pending,
                "previous_hits": 0,
                "blocked_until": 0,
                "expires_at": window_start + 2 * window,
            }
        )
    shared: dict[str, tuple[int, int, int]] = {}
    connection = session.connection()
    for window, rows in by_window.items():
        insert = _insert(session)(table)
        new = insert.excluded
        same = table.c.window_start == new.window_start
        follows = table.c.window_start == new.window_start - literal_column(str(int(window)))
        # SET reads the row as it was before this statement on SQLite and PostgreSQL.
        upsert = insert.on_conflict_do_update(
            index_elements=[table.c.bucket],
            set_={
                "previous_hits": case(
                    (same, table.c.previous_hits), (follows, table.c.hits), else_=0
                ),
                "hits": case((same, table.c.hits + new.hits), else_=new.hits),
                "window_start": new.window_start,
                "expires_at": new.expires_at,
            },
        ).returning(table.c.bucket, table.c.window_start, table.c.hits, table.c.previous_hits)
        # Executed for many rows, SQLAlchemy sends them as multi-row VALUES in a few statements.
        for row in connection.execute(upsert, rows):
            shared[row[0]] = (int(row[1]), int(row[2]), int(row[3]))
    if purge:
        session.execute(delete(RateCounter).where(RateCounter.expires_at < start))
    return shared


def clear(session: Session, bucket: str) -> None:
    session.execute(delete(RateCounter).where(RateCounter.bucket == bucket))


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
