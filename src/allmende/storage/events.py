"""Events raised inside a write, published only once that write has committed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from allmende.core.events import Event

PENDING_KEY = "allmende.pending_events"


def emit(session: Session, event: Event) -> None:
    """Queue ``event``; the database publishes it after the transaction commits."""
    session.info.setdefault(PENDING_KEY, []).append(event)


def take_pending(session: Session) -> list[Event]:
    events: list[Event] = session.info.pop(PENDING_KEY, [])
    return events


def pending_count(session: Session) -> int:
    return len(session.info.get(PENDING_KEY, ()))


def drop_pending_after(session: Session, count: int) -> None:
    """Forget the events queued after the first ``count`` (their savepoint rolled back)."""
    pending = session.info.get(PENDING_KEY)
    if pending is not None:
        del pending[count:]
