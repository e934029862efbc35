"""Following processes and the in-app notification list of an account.

Two sources: stored notifications (an official answer on one's contribution, a comment or a
reply), written in the same transaction as their cause and announced with the event
``participation.notification.created`` and mailed (:mod:`.mails`); and the start of a new
phase in a followed process, derived when the list is read (the mail about it comes from a
job).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from allmende.modules.participation import mails
from allmende.modules.participation.models import Follow, Notification, Phase, Process
from allmende.modules.participation.schemas import FollowRead, NotificationRead
from allmende.modules.participation.service import (
    N_,
    STATUS_LABELS,
    Status,
    account_of,
    get_process,
)
from allmende.sdk import Event, Message, Principal, emit, utcnow

MESSAGES = {
    "answer": N_("The municipality answered your contribution “%(title)s” (%(status)s)."),
    "comment": N_("New comment on your contribution “%(title)s”."),
    "reply": N_("Someone replied to your comment on “%(title)s”."),
    "phase": N_("A new phase began in “%(process)s”: %(phase)s."),
}


def notify(
    session: Session,
    *,
    user_id: int,
    kind: str,
    process_id: int | None,
    contribution_id: int | None,
    params: dict[str, Any],
) -> None:
    note = Notification(
        user_id=user_id,
        kind=kind,
        process_id=process_id,
        contribution_id=contribution_id,
        params=params,
    )
    session.add(note)
    session.flush()
    emit(
        session,
        Event(
            "participation.notification.created",
            {"notification_id": note.id, "user_id": user_id, "kind": kind},
        ),
    )
    mails.notification(
        session,
        user_id=user_id,
        kind=kind,
        process_id=process_id,
        contribution_id=contribution_id,
        params=params,
    )


def message(kind: str, params: dict[str, Any]) -> str:
    """The notification's text in English; a :class:`Message` that the page localises."""
    values = {k: str(v) for k, v in params.items()}
    if "status" in values and values["status"] in Status.__members__.values():
        values["status"] = STATUS_LABELS[Status(values["status"])]
    try:
        return Message(MESSAGES[kind], **values)
    except (KeyError, ValueError, TypeError):  # an unknown kind or missing parameter
        return MESSAGES.get(kind, kind)


def _account(principal: Principal) -> int:
    return account_of(principal, "Sign in with an account to follow processes and get notified.")


def follow(
    session: Session, *, principal: Principal, process_id: int, following: bool
) -> FollowRead:
    user_id = _account(principal)
    process = get_process(session, principal=principal, process_id=process_id)
    existing = session.get(Follow, (user_id, process.id))
    if following and existing is None:
        session.add(Follow(user_id=user_id, process_id=process.id, created_at=utcnow()))
    elif not following and existing is not None:
        session.delete(existing)
    session.flush()
    return FollowRead(process_id=process.id, following=following)


def is_following(session: Session, *, principal: Principal, process_id: int) -> bool:
    if principal.kind != "user" or principal.user_id is None:
        return False
    return session.get(Follow, (principal.user_id, process_id)) is not None


def followed_processes(session: Session, *, user_id: int) -> list[Process]:
    return list(
        session.scalars(
            select(Process)
            .join(Follow, Follow.process_id == Process.id)
            .where(Follow.user_id == user_id)
            .order_by(Process.title)
        )
    )


def list_notifications(
    session: Session,
    *,
    principal: Principal,
    limit: int = 50,
    now: datetime | None = None,
) -> list[NotificationRead]:
    return [note for note, _ in inbox(session, principal=principal, limit=limit, now=now)]


def inbox(
    session: Session,
    *,
    principal: Principal,
    limit: int = 50,
    now: datetime | None = None,
) -> list[tuple[NotificationRead, str]]:
    """The caller's notifications, newest first, each with its message to localise (the
    notification holds the English text)."""
    user_id = _account(principal)
    now = now or utcnow()
    stored = session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    items: list[tuple[NotificationRead, str]] = []
    for n in stored:
        text = message(n.kind, n.params)
        note = NotificationRead(
            id=f"n{n.id}",
            kind=n.kind,
            message=text,
            process_id=n.process_id,
            contribution_id=n.contribution_id,
            created_at=n.created_at,
            read=n.read_at is not None,
        )
        items.append((note, text))
    phases = session.execute(
        select(Phase, Process.title, Follow.read_until)
        .join(Follow, Follow.process_id == Phase.process_id)
        .join(Process, Process.id == Phase.process_id)
        .where(Follow.user_id == user_id)
        .where(Phase.starts_at > Follow.created_at, Phase.starts_at <= now)
        .order_by(Phase.starts_at.desc())
        .limit(limit)
    )
    for phase, title, read_until in phases:
        text = message("phase", {"process": title, "phase": phase.title})
        note = NotificationRead(
            id=f"p{phase.id}",
            kind="phase",
            message=text,
            process_id=phase.process_id,
            contribution_id=None,
            created_at=phase.starts_at,
            read=read_until is not None and read_until >= phase.starts_at,
        )
        items.append((note, text))
    items.sort(key=lambda item: item[0].created_at, reverse=True)
    return items[:limit]


def unread_count(session: Session, *, principal: Principal, now: datetime | None = None) -> int:
    if principal.kind != "user" or principal.user_id is None:
        return 0
    now = now or utcnow()
    stored = session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == principal.user_id, Notification.read_at.is_(None)
        )
    )
    phases = session.scalar(
        select(func.count(Phase.id))
        .join(Follow, Follow.process_id == Phase.process_id)
        .where(Follow.user_id == principal.user_id)
        .where(Phase.starts_at > Follow.created_at, Phase.starts_at <= now)
        .where((Follow.read_until.is_(None)) | (Follow.read_until < Phase.starts_at))
    )
    return int(stored or 0) + int(phases or 0)


def mark_read(session: Session, *, principal: Principal, now: datetime | None = None) -> None:
    user_id = _account(principal)
    now = now or utcnow()
    session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    session.execute(update(Follow).where(Follow.user_id == user_id).values(read_until=now))
