"""The webhook job: fill the outbox from the durable events, deliver what is due, record it.

1. **Fill.** Events after the cursor, and those of the last :data:`OVERLAP` again (on
   PostgreSQL an event with a lower id may commit after a higher one was read), are matched
   against the active subscriptions; a delivery row is made per (subscription, event) that
   has none yet (a unique index keeps it once). A subscription gets only events created after
   it was.
2. **Deliver.** Up to :data:`BATCH` due deliveries are sent at the same time on a small pool,
   each with ``webhook_timeout_seconds`` for everything, outside any transaction: a slow or
   dead receiver costs one worker its timeout and holds up nobody else.
3. **Record.** A 2xx answer is ``delivered``. Anything else is tried again after 10 s, 20 s,
   40 s … (at most an hour) until the delivery is ``webhook_max_age_seconds`` old; then it is
   ``failed``. Status, error and attempts stay visible in the API.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from allmende import __version__
from allmende.core.registry import JobSpec
from allmende.core.timeutil import isoformat, utcnow
from allmende.delivery.events import EVENT_STORED, matches
from allmende.delivery.models import (
    Cursor,
    StoredEventRow,
    WebhookDelivery,
    WebhookSubscription,
)
from allmende.delivery.webhooks import refusal, sign
from allmende.storage.id_sets import in_set

log = logging.getLogger(__name__)

CURSOR = "webhooks"
OVERLAP = timedelta(minutes=10)
BATCH = 100
WORKERS = 8
FIRST_RETRY = timedelta(seconds=10)
MAX_RETRY = timedelta(hours=1)
MAX_ERROR = 500
#: Events read per fill (the rest next round).
FILL_LIMIT = 1000


# --- filling the outbox ----------------------------------------------------------------------


def fill_outbox(session: Session, *, now: datetime) -> int:
    """Make the missing delivery rows; returns how many. Runs in a write transaction."""
    cursor = session.get(Cursor, CURSOR)
    position = cursor.position if cursor is not None else 0
    columns = (
        StoredEventRow.id,
        StoredEventRow.name,
        StoredEventRow.municipality_id,
        StoredEventRow.created_at,
    )
    new = session.execute(
        select(*columns)
        .where(StoredEventRow.id > position)
        .order_by(StoredEventRow.id)
        .limit(FILL_LIMIT)
    ).all()
    recent = session.execute(
        select(*columns)
        .where(StoredEventRow.id <= position, StoredEventRow.created_at >= now - OVERLAP)
        .order_by(StoredEventRow.id.desc())
        .limit(FILL_LIMIT)
    ).all()
    events = [*recent, *new]
    if not events:
        return 0
    subscriptions = session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.active.is_(True))
    ).all()
    wanted = {
        (s.id, e.id)
        for e in events
        for s in subscriptions
        if e.created_at >= s.created_at
        and (s.municipality_id is None or s.municipality_id == e.municipality_id)
        and any(matches(pattern, e.name) for pattern in s.events or ())
    }
    if wanted:
        existing = set(
            session.execute(
                select(WebhookDelivery.subscription_id, WebhookDelivery.event_id).where(
                    in_set(WebhookDelivery.event_id, sorted({e for _, e in wanted}))
                )
            ).all()
        )
        missing = sorted(wanted - {tuple(row) for row in existing})
    else:
        missing = []
    for subscription_id, event_id in missing:
        session.add(
            WebhookDelivery(
                subscription_id=subscription_id,
                event_id=event_id,
                state="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )
    newest = max((e.id for e in new), default=position)
    if cursor is None:
        session.add(Cursor(name=CURSOR, position=newest))
    elif newest > cursor.position:
        cursor.position = newest
    session.flush()
    return len(missing)


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    delivery_id: int
    url: str
    secret: str
    message_id: str
    body: bytes


@dataclass(frozen=True)
class Result:
    delivery_id: int
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def due_messages(session: Session, *, now: datetime, limit: int = BATCH) -> list[Message]:
    rows = session.execute(
        select(WebhookDelivery.id, WebhookSubscription, StoredEventRow)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .join(StoredEventRow, StoredEventRow.id == WebhookDelivery.event_id)
        .where(
            WebhookDelivery.state == "pending",
            WebhookDelivery.next_attempt_at <= now,
            WebhookSubscription.active.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    ).all()
    return [
        Message(
            delivery_id=delivery_id,
            url=subscription.url,
            secret=subscription.secret,
            message_id=f"evt_{event.id}",
            body=orjson.dumps(
                {
                    "type": event.name,
                    "timestamp": isoformat(event.created_at),
                    "municipality_id": event.municipality_id,
                    "data": event.payload,
                }
            ),
        )
        for delivery_id, subscription, event in rows
    ]


def send(client: httpx.Client, message: Message, *, allow_private: bool) -> Result:
    """Deliver one message; never raises."""
    why = refusal(message.url, allow_private=allow_private)
    if why is not None:
        return Result(message.delivery_id, None, f"URL refused: {why}")
    timestamp = int(utcnow().timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": f"Allmende-Webhooks/{__version__}",
        "webhook-id": message.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(message.secret, message.message_id, timestamp, message.body),
    }
    try:
        answer = client.post(message.url, content=message.body, headers=headers)
    except httpx.HTTPError as exc:
        return Result(message.delivery_id, None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
    error = None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"
    return Result(message.delivery_id, answer.status_code, error)


def send_all(messages: list[Message], *, timeout: float, allow_private: bool) -> list[Result]:
    """Send at the same time, each within ``timeout`` seconds in all."""
    if not messages:
        return []
    limits = httpx.Timeout(timeout)
    with (
        httpx.Client(timeout=limits, follow_redirects=False) as client,
        ThreadPoolExecutor(max_workers=min(WORKERS, len(messages))) as pool,
    ):
        return list(pool.map(lambda m: send(client, m, allow_private=allow_private), messages))


# --- recording -------------------------------------------------------------------------------


def _retry_after(attempts: int) -> timedelta:
    wait: timedelta = FIRST_RETRY * (2 ** max(0, attempts - 1))
    return min(wait, MAX_RETRY)


def record(session: Session, results: list[Result], *, now: datetime, max_age: timedelta) -> None:
    rows = {
        r.id: r
        for r in session.scalars(
            select(WebhookDelivery).where(
                in_set(WebhookDelivery.id, [x.delivery_id for x in results])
            )
        )
    }
    for result in results:
        row = rows.get(result.delivery_id)
        if row is None or row.state != "pending":
            continue
        row.attempts += 1
        row.last_attempt_at = now
        row.last_status = result.status
        row.last_error = result.error
        if result.ok:
            row.state = "delivered"
            row.delivered_at = now
        elif now - row.created_at >= max_age:
            row.state = "failed"
        else:
            row.next_attempt_at = now + _retry_after(row.attempts)
    session.flush()


# --- the job ---------------------------------------------------------------------------------


def allow_private_targets(settings: Any) -> bool:
    allowed: bool | None = settings.webhook_allow_private_targets
    return (not settings.is_production) if allowed is None else allowed


def run_round(database: Any, settings: Any, *, now: datetime | None = None) -> list[Result]:
    """One round: fill, send what is due, record. Returns what was sent (for tests)."""
    now = now or utcnow()
    with database.session() as session:
        position = session.scalar(select(Cursor.position).where(Cursor.name == CURSOR)) or 0
        fresh = session.scalar(
            select(func.count())
            .select_from(StoredEventRow)
            .where(or_(StoredEventRow.id > position, StoredEventRow.created_at >= now - OVERLAP))
        )
    if fresh:
        database.write(lambda s: fill_outbox(s, now=now))
    with database.session() as session:
        messages = due_messages(session, now=now)
    results = send_all(
        messages,
        timeout=settings.webhook_timeout_seconds,
        allow_private=allow_private_targets(settings),
    )
    if results:
        database.write(
            lambda s: record(
                s,
                results,
                now=utcnow(),
                max_age=timedelta(seconds=settings.webhook_max_age_seconds),
            )
        )
    return results


def _run(context: Any) -> None:
    run_round(context.database, context.settings)


#: Registered by the app next to the modules' jobs.
JOB = JobSpec("delivery.webhooks", 10, _run, wake_on=(EVENT_STORED,))
