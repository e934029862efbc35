"""Messages to a municipality's staff (a failed Task, a leak...), listed in the web shell.

:func:`notify_staff` stores the message in the caller's transaction. After the commit the bus
carries :data:`NOTIFICATION_CREATED` with the notification's id and municipality: that is the
seam the e-mail channel (:mod:`allmende.delivery.staffmail`) subscribes to, without touching
the callers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from allmende.core.errors import NotFound, ValidationFailed
from allmende.core.events import Event
from allmende.core.messages import message_from_json, message_to_json
from allmende.core.timeutil import utcnow
from allmende.delivery.mail import check_template, json_context
from allmende.delivery.models import Notification
from allmende.storage.events import emit
from allmende.storage.id_sets import in_set

NOTIFICATION_CREATED = "delivery.notification.created"
MAX_SUBJECT = 300
MAX_BODY = 10_000
MAX_LIST = 500


@dataclass(frozen=True)
class StaffNotification:
    id: int
    municipality_id: int | None
    kind: str
    subject: str
    body: str
    link: str | None
    created: datetime
    read: datetime | None


def notify_staff(
    session: Session,
    *,
    municipality_id: int | None,
    kind: str,
    subject: str,
    body: str,
    link: str | None = None,
    once: str | None = None,
    mail_template: str | None = None,
    mail_context: Mapping[str, Any] | None = None,
) -> int:
    """A message to the staff of ``municipality_id`` (None: the region's admins); its id.

    ``subject`` and ``body`` are :class:`~allmende.core.messages.Message` s (or ``N_``
    strings) that the page shows in each reader's language; plain text is shown as written.

    ``kind`` is a dotted name like the event that caused it (``sensing.task.failed``);
    ``link`` a local path to the page that explains (``/heat/warnings/3``). ``once`` names
    the cause (``assets.inspections.overdue:3:2026-12-01``) for callers that may see it
    again (a job that runs every hour): a second call with it makes no second message and
    returns the first one's id.

    ``mail_template`` (``<module>/mail/<name>``, see :func:`allmende.delivery.mail.send_mail`)
    with ``mail_context`` is the mail that staff who opted in receive, each in their own
    language (the template also reads ``subject``, ``body``, ``link`` and ``municipality``);
    without it they get ``subject`` and ``body`` as written, in the shell's frame.
    """
    if not kind or len(kind) > 100:
        raise ValidationFailed.one("kind", "must be 1 to 100 characters")
    if not subject.strip() or len(subject) > MAX_SUBJECT:
        raise ValidationFailed.one("subject", f"must be 1 to {MAX_SUBJECT} characters")
    if len(body) > MAX_BODY:
        raise ValidationFailed.one("body", f"must be at most {MAX_BODY} characters")
    if link is not None and not (link.startswith("/") and not link.startswith("//")):
        raise ValidationFailed.one("link", "must be a local path starting with /")
    if mail_template is not None:
        check_template(mail_template, "mail_template")
    context = json_context(mail_context, "mail_context") if mail_template is not None else None
    if once is not None:
        if not once or len(once) > 200:
            raise ValidationFailed.one("once", "must be 1 to 200 characters")
        earlier = session.scalar(select(Notification.id).where(Notification.dedupe_key == once))
        if earlier is not None:
            return int(earlier)
    row = Notification(
        municipality_id=municipality_id,
        kind=kind,
        subject=subject.strip(),
        body=body,
        texts=_texts(subject, body),
        link=link,
        created_at=utcnow(),
        dedupe_key=once,
        mail_template=mail_template,
        mail_context=context,
    )
    session.add(row)
    session.flush()
    emit(
        session,
        Event(
            NOTIFICATION_CREATED,
            {"id": row.id, "municipality_id": municipality_id, "kind": kind},
        ),
    )
    return int(row.id)


def _texts(subject: str, body: str) -> dict[str, Any] | None:
    texts = {name: message_to_json(text) for name, text in (("subject", subject), ("body", body))}
    return json_context(texts, "subject") if any(texts.values()) else None


def _scope(municipality_ids: Collection[int] | None) -> ColumnElement[bool]:
    """Rows of these municipalities; ``None``: every row, the region's own included."""
    if municipality_ids is None:
        return Notification.id.is_not(None)
    condition: ColumnElement[bool] = in_set(Notification.municipality_id, sorted(municipality_ids))
    return condition


def list_notifications(
    session: Session,
    *,
    municipality_ids: Collection[int] | None,
    unread_only: bool = False,
    limit: int = 100,
) -> list[StaffNotification]:
    """The newest notifications of the municipalities (``None``: all, for admins)."""
    query = select(Notification).where(_scope(municipality_ids))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = session.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(
            max(0, min(limit, MAX_LIST))
        )
    )
    return [
        StaffNotification(
            id=r.id,
            municipality_id=r.municipality_id,
            kind=r.kind,
            subject=message_from_json((r.texts or {}).get("subject"), r.subject),
            body=message_from_json((r.texts or {}).get("body"), r.body),
            link=r.link,
            created=r.created_at,
            read=r.read_at,
        )
        for r in rows
    ]


def unread_count(session: Session, *, municipality_ids: Collection[int] | None) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(_scope(municipality_ids), Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(
    session: Session,
    *,
    notification_ids: Collection[int] | None,
    municipality_ids: Collection[int] | None,
    user_id: int | None,
) -> int:
    """Mark notifications read (``None``: all unread ones the caller sees); how many changed.
    An id outside the caller's municipalities is NotFound, not a silent success."""
    condition = _scope(municipality_ids)
    if notification_ids is not None:
        wanted = sorted(set(notification_ids))
        seen = set(
            session.scalars(
                select(Notification.id).where(in_set(Notification.id, wanted), condition)
            )
        )
        missing = [i for i in wanted if i not in seen]
        if missing:
            raise NotFound(detail=f"No notification with id {missing[0]}.")
        condition = in_set(Notification.id, wanted)
    result = session.execute(
        update(Notification)
        .where(condition, Notification.read_at.is_(None))
        .values(read_at=utcnow(), read_by_id=user_id)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
