"""Durable domain events: written in the caller's transaction, announced after its commit.

``publish`` stores the event in ``delivery_events`` with the caller's other writes, so it
exists exactly when they do, and queues it for the in-process bus (``storage.events.emit``):
jobs with ``wake_on`` its name run promptly, and the webhook outbox is filled from the table.

Only domain events belong here (a warning, a leak, a watering, a demand-response event, a
failed Task): rare and worth keeping. The flood of ``sensing.observations.created`` stays on
the bus only.

Consumers read with :func:`events_after` and must be idempotent: on PostgreSQL an event with a
lower id can commit after one with a higher id (ids are handed out at insert, visible at
commit), so read again from a little before the last id seen and skip the ids already handled.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from allmende.core.errors import ValidationFailed
from allmende.core.events import Event
from allmende.core.timeutil import utcnow
from allmende.delivery.models import StoredEventRow
from allmende.storage.events import emit
from allmende.storage.id_sets import in_set

#: Published on the bus after every stored event (for consumers of all of them).
EVENT_STORED = "delivery.event.stored"
#: ``<area>.<what>[.<more>]``: lower-case words joined by dots.
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
#: A pattern: a name, or a prefix ending in ``.*`` (``heat.warning.*``), or ``*`` for all.
EVENT_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$")
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_READ = 1000


@dataclass(frozen=True)
class StoredEvent:
    id: int
    name: str
    payload: dict[str, Any]
    municipality_id: int | None
    public: bool
    created: datetime


def publish(
    session: Session,
    name: str,
    payload: dict[str, Any],
    *,
    municipality_id: int | None,
    public: bool = False,
) -> int:
    """Store a domain event in the caller's transaction; returns its id.

    After the commit the bus carries ``Event(name, {"id", "name", "payload",
    "municipality_id", "public"})`` and :data:`EVENT_STORED`. ``public`` events may be shown
    to anyone (a heat warning); internal ones only to the municipality's staff and to
    webhooks of the municipality or the region.
    """
    if not EVENT_NAME.match(name) or len(name) > 200:
        raise ValidationFailed.one("name", "must be lower-case words joined by dots")
    try:
        encoded = orjson.dumps(payload)
    except TypeError as exc:
        raise ValidationFailed.one("payload", f"must be JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ValidationFailed.one("payload", "must be a JSON object")
    if len(encoded) > MAX_PAYLOAD_BYTES:
        raise ValidationFailed.one("payload", f"is larger than {MAX_PAYLOAD_BYTES} bytes")
    row = StoredEventRow(
        name=name,
        payload=orjson.loads(encoded),
        municipality_id=municipality_id,
        public=public,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    announced = {
        "id": row.id,
        "name": name,
        "payload": row.payload,
        "municipality_id": municipality_id,
        "public": public,
    }
    emit(session, Event(name, announced))
    emit(session, Event(EVENT_STORED, announced))
    return int(row.id)


def matches(pattern: str, name: str) -> bool:
    """Whether an event ``name`` matches a subscription ``pattern``."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return name.startswith(pattern[:-1])
    return name == pattern


def name_condition(patterns: Collection[str]) -> ColumnElement[bool]:
    """SQL: the event's name matches one of the patterns."""
    if "*" in patterns:
        return StoredEventRow.id.is_not(None)
    exact = sorted(p for p in patterns if not p.endswith(".*"))
    prefixes = sorted(p[:-1] for p in patterns if p.endswith(".*"))
    conditions: list[ColumnElement[bool]] = []
    if exact:
        conditions.append(StoredEventRow.name.in_(exact))
    conditions.extend(
        StoredEventRow.name.startswith(prefix, autoescape=True) for prefix in prefixes
    )
    return or_(*conditions) if conditions else false()


def events_after(
    session: Session,
    *,
    names: Collection[str],
    after_id: int,
    limit: int = 500,
    municipality_ids: Collection[int] | None = None,
) -> list[StoredEvent]:
    """Events with ``id > after_id`` whose name matches ``names`` (names or ``x.*`` patterns),
    oldest first; optionally only those of some municipalities. See the module's note on
    reading with an overlap."""
    for pattern in names:
        if not EVENT_PATTERN.match(pattern):
            raise ValidationFailed.one("names", f"'{pattern[:60]}' is not an event name or x.*")
    query = select(StoredEventRow).where(StoredEventRow.id > after_id, name_condition(names))
    if municipality_ids is not None:
        query = query.where(in_set(StoredEventRow.municipality_id, sorted(municipality_ids)))
    rows = session.scalars(query.order_by(StoredEventRow.id).limit(max(0, min(limit, MAX_READ))))
    return [stored(row) for row in rows]


def stored(row: StoredEventRow) -> StoredEvent:
    return StoredEvent(
        id=row.id,
        name=row.name,
        payload=row.payload if isinstance(row.payload, dict) else {},
        municipality_id=row.municipality_id,
        public=row.public,
        created=row.created_at,
    )


def by_ids(session: Session, ids: Sequence[int]) -> dict[int, StoredEvent]:
    rows = session.scalars(select(StoredEventRow).where(in_set(StoredEventRow.id, list(ids))))
    return {row.id: stored(row) for row in rows}
