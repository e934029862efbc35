"""Rate limits shared by workers through the database (both backends)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from allmende.identity import ratelimits
from allmende.identity.models import RateCounter
from allmende.identity.ratelimits import (
    FLUSH_MAX_BUCKETS,
    RateLimit,
    RateLimits,
    bucket_of,
    sliding_count,
)
from allmende.storage.database import Database

pytestmark = pytest.mark.integration
LIMIT = RateLimit("test", limit=5, window_seconds=60)


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()) // 60 * 60)  # the start of a window

    def __call__(self) -> float:
        return self.now


def _rows(database: Database) -> dict[str, tuple[int, int, int]]:
    with database.session() as session:
        return {
            row.bucket: (row.window_start, row.hits, row.previous_hits)
            for row in session.scalars(select(RateCounter))
        }


def test_the_limit_holds_and_refusals_are_not_counted(database: Database) -> None:
    clock = Clock()
    limits = RateLimits(database, clock=clock, flush_seconds=3600)
    assert [limits.hit(LIMIT, "198.51.100.7") for _ in range(5)] == [None] * 5
    assert limits.hit(LIMIT, "198.51.100.7") == 60  # seconds to the next window
    assert limits.hit(LIMIT, "198.51.100.8") is None  # another caller
    limits.flush()
    assert _rows(database) == {
        bucket_of("test", "198.51.100.7"): (int(clock.now), 5, 0),
        bucket_of("test", "198.51.100.8"): (int(clock.now), 1, 0),
    }
    assert limits.hit(LIMIT, "198.51.100.7") == 60
    limits.flush()
    assert _rows(database)[bucket_of("test", "198.51.100.7")][1] == 5


def test_workers_share_the_count(database: Database) -> None:
    clock = Clock()
    first = RateLimits(database, clock=clock, flush_seconds=3600)
    second = RateLimits(database, clock=clock, flush_seconds=3600)
    for _ in range(4):
        assert first.hit(LIMIT, "caller") is None
    first.flush()
    assert second.hit(LIMIT, "caller") is None  # it knew nothing yet: the flush's slack
    second.flush()  # learns the shared count, 5
    assert second.hit(LIMIT, "caller") is not None
    assert first.hit(LIMIT, "caller") is None  # its view is one flush old: 4
    first.flush()
    assert first.hit(LIMIT, "caller") is not None
    assert _rows(database)[bucket_of("test", "caller")][1] == 6


def test_the_window_slides_and_rows_expire(database: Database) -> None:
    clock = Clock()
    limits = RateLimits(database, clock=clock, flush_seconds=3600)
    for _ in range(5):
        limits.hit(LIMIT, "caller")
    limits.flush()
    clock.now += 60 + 30  # half-way through the next window: half of the 5 count, rounded up
    assert [limits.hit(LIMIT, "caller") for _ in range(4)] == [None, None, 30, 30]
    limits.flush()
    assert _rows(database) == {bucket_of("test", "caller"): (int(clock.now) - 30, 2, 5)}
    clock.now += 10 * 60  # long past: the next write deletes the row
    limits.hit(LIMIT, "someone else")
    limits.flush()
    assert set(_rows(database)) == {bucket_of("test", "someone else")}


def test_close_writes_what_is_counted(database: Database) -> None:
    limits = RateLimits(database, flush_seconds=3600)
    limits.hit(LIMIT, "caller")
    limits.close()
    assert _rows(database)[bucket_of("test", "caller")][1] == 1


def test_forget_clears_a_caller(database: Database) -> None:
    limits = RateLimits(database, flush_seconds=3600)
    for _ in range(5):
        limits.hit(LIMIT, "caller")
    limits.flush()
    limits.forget(LIMIT, "caller")
    assert _rows(database) == {}
    assert limits.hit(LIMIT, "caller") is None


@pytest.mark.parametrize(
    ("window_start", "now", "expected"),
    [
        (600, 600.0, 4 + 10),  # at the start of a window the previous one counts whole
        (600, 630.0, 4 + 5),
        (540, 630.0, 2),  # the stored window is the previous one now
        (540, 600.5, 4),  # just after a window began, a share of a hit still counts whole
        (420, 630.0, 0),
    ],
)
def test_sliding_count(window_start: int, now: float, expected: int) -> None:
    assert sliding_count(window_start, 4, 10, 60, now) == expected


def test_a_flush_writes_a_bounded_number_of_callers(database: Database) -> None:
    """Many distinct callers at once never hold the writer long: the rest waits a flush."""
    limits = RateLimits(database, flush_seconds=3600)
    for n in range(FLUSH_MAX_BUCKETS + 5):
        limits.hit(LIMIT, f"caller {n}")
    limits.flush()
    assert len(_rows(database)) == FLUSH_MAX_BUCKETS
    limits.close()
    assert len(_rows(database)) == FLUSH_MAX_BUCKETS + 5


def test_memory_stays_bounded(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimits, "LOCAL_BUCKETS", 10)
    limits = RateLimits(database, flush_seconds=3600)
    for n in range(10):
        limits.hit(LIMIT, f"caller {n}")
    limits.flush()  # nothing pending: the older half may go
    limits.hit(LIMIT, "one more")
    assert len(limits._buckets) == 6
    limits.close()


def test_hits_stay_counted_while_a_flush_writes_them(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between a flush taking the pending hits and its write returning the shared count, a
    hit must still see them (on PostgreSQL the write takes long enough for a burst to slip in)."""
    clock = Clock()
    limits = RateLimits(database, clock=clock, flush_seconds=3600)
    writing, release = threading.Event(), threading.Event()
    add_hits = ratelimits.add_hits

    def slow_add_hits(*args: object) -> dict[str, tuple[int, int, int]]:
        writing.set()
        release.wait(10)
        return add_hits(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(ratelimits, "add_hits", slow_add_hits)
    assert [limits.hit(LIMIT, "198.51.100.7") for _ in range(5)] == [None] * 5
    flusher = threading.Thread(target=limits.flush)
    flusher.start()
    assert writing.wait(10)
    assert limits.hit(LIMIT, "198.51.100.7") == 60  # the five being written still count
    release.set()
    flusher.join(10)
    assert limits.hit(LIMIT, "198.51.100.7") == 60
    assert _rows(database)[bucket_of("test", "198.51.100.7")][1] == 5
