"""What participants hear by e-mail: answers, comments and replies on their contributions,
and — for the followers of a process — its official answers and each new phase.

Mails are queued in the transaction of their cause (``sdk.send_mail``); new phases have no
write that starts them, so a job looks for phases begun in the last two days and mails each
follower once (a dedupe key per phase and follower).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.participation.models import Contribution, Follow, Phase, Process
from allmende.modules.participation.service import STATUS_LABELS, Status
from allmende.sdk import send_mail

#: New phases are looked for this far back (a job that was down catches up).
PHASE_WINDOW = timedelta(days=2)


def _status_label(status: str) -> str:
    return STATUS_LABELS[Status(status)] if status in Status.__members__.values() else status


def notification(
    session: Session,
    *,
    user_id: int,
    kind: str,
    process_id: int | None,
    contribution_id: int | None,
    params: dict[str, Any],
) -> None:
    """The mail of a stored notification (an answer, a comment, a reply)."""
    link = (
        f"/participation/contributions/{contribution_id}"
        if contribution_id is not None
        else f"/participation/{process_id}"
        if process_id is not None
        else "/participation/me"
    )
    send_mail(
        session,
        to=user_id,
        template="participation/mail/notification",
        kind=f"participation.{kind}",
        context={
            "kind": kind,
            "title": str(params.get("title", "")),
            "status_label": _status_label(str(params.get("status", ""))),
            "link": link,
        },
    )


def answer_to_followers(
    session: Session, *, process: Process, item: Contribution, author_id: int | None
) -> None:
    """The municipality's official answer to a contribution, for the process's followers."""
    followers = session.scalars(select(Follow.user_id).where(Follow.process_id == process.id))
    for user_id in followers:
        if user_id == author_id:
            continue  # the author hears of it through their own notification
        send_mail(
            session,
            to=user_id,
            template="participation/mail/answer",
            kind="participation.contribution.answered",
            municipality_id=process.municipality_id,
            dedupe_key=f"participation.answer:{item.id}:{item.status}:{user_id}",
            context={
                "process": process.title,
                "title": item.title,
                "status_label": _status_label(item.status),
                "answer": (item.answer or "")[:2000],
                "link": f"/participation/contributions/{item.id}",
            },
        )


def new_phases(session: Session, *, now: datetime) -> int:
    """Mail the followers of each process whose phase began recently; returns how many."""
    rows = session.execute(
        select(Phase, Process, Follow.user_id)
        .join(Process, Process.id == Phase.process_id)
        .join(Follow, Follow.process_id == Phase.process_id)
        .where(
            Phase.starts_at > now - PHASE_WINDOW,
            Phase.starts_at <= now,
            Phase.starts_at > Follow.created_at,
            Process.public.is_(True),
        )
    ).all()
    sent = 0
    for phase, process, user_id in rows:
        made = send_mail(
            session,
            to=user_id,
            template="participation/mail/phase",
            kind="participation.phase.started",
            municipality_id=process.municipality_id,
            dedupe_key=f"participation.phase:{phase.id}:{user_id}",
            context={
                "process": process.title,
                "phase": phase.title,
                "description": phase.description[:1000],
                "link": f"/participation/{process.id}",
            },
        )
        sent += made is not None
    return sent
