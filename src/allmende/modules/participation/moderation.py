"""Moderation: reports, hiding and restoring with a reason, the status of a contribution and
the municipality's official answer. Staff of the process's municipality (and admins) moderate.

Every step is written to the moderation log with its reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from allmende.modules.participation import mails, notifications
from allmende.modules.participation.contributions import (
    comment_read,
    contribution_query,
    contribution_read,
    visible_contribution,
)
from allmende.modules.participation.models import (
    Comment,
    Contribution,
    ModerationEntry,
    Process,
    Report,
    Survey,
)
from allmende.modules.participation.models import Response as SurveyResponse
from allmende.modules.participation.schemas import (
    CommentRead,
    ContributionRead,
    FeedbackIn,
    ReportIn,
    ReportRead,
)
from allmende.modules.participation.service import (
    N_,
    Participant,
    check_participant,
    get_process,
    refuse,
    require_moderator,
)
from allmende.sdk import Event, NotFound, Principal, ValidationFailed, emit, utcnow


def _log(
    session: Session,
    principal: Principal,
    process: Process,
    action: str,
    reason: str,
    *,
    contribution_id: int | None = None,
    comment_id: int | None = None,
) -> None:
    session.add(
        ModerationEntry(
            process_id=process.id,
            contribution_id=contribution_id,
            comment_id=comment_id,
            action=action,
            reason=reason,
            actor_user_id=principal.user_id,
        )
    )


def _moderated_contribution(
    session: Session, principal: Principal, contribution_id: int
) -> tuple[Contribution, Process]:
    item, process = visible_contribution(
        session, principal=principal, contribution_id=contribution_id
    )
    require_moderator(principal, process)
    return item, process


def give_feedback(
    session: Session,
    *,
    principal: Principal,
    contribution_id: int,
    data: FeedbackIn,
    now: datetime | None = None,
) -> ContributionRead:
    """Set the status and the official public answer; the author (with an account) hears of it."""
    item, process = _moderated_contribution(session, principal, contribution_id)
    answer = (data.answer or "").strip() or None
    changed = data.status != item.status or answer != item.answer
    item.status = data.status
    if answer != item.answer:
        item.answer = answer
        item.answered_at = (now or utcnow()) if answer else None
        item.answered_by_id = principal.user_id if answer else None
    item.updated_at = now or utcnow()
    _log(
        session,
        principal,
        process,
        "feedback",
        f"{data.status}: {answer or ''}"[:2000],
        contribution_id=item.id,
    )
    if changed and item.author_user_id is not None and item.author_user_id != principal.user_id:
        notifications.notify(
            session,
            user_id=item.author_user_id,
            kind="answer",
            process_id=process.id,
            contribution_id=item.id,
            params={"title": item.title, "status": item.status},
        )
    if changed and process.public and not item.hidden:
        mails.answer_to_followers(
            session, process=process, item=item, author_id=item.author_user_id
        )
    session.flush()
    emit(
        session,
        Event(
            "participation.contribution.answered",
            {"contribution_id": item.id, "process_id": process.id, "status": item.status},
        ),
    )
    return contribution_read(item, moderator=True)


def set_contribution_hidden(
    session: Session, *, principal: Principal, contribution_id: int, hidden: bool, reason: str
) -> ContributionRead:
    item, process = _moderated_contribution(session, principal, contribution_id)
    item.hidden = hidden
    item.hidden_reason = reason if hidden else None
    item.updated_at = utcnow()
    _log(
        session,
        principal,
        process,
        "hide" if hidden else "restore",
        reason,
        contribution_id=item.id,
    )
    session.flush()
    return contribution_read(item, moderator=True)


def set_comment_hidden(
    session: Session, *, principal: Principal, comment_id: int, hidden: bool, reason: str
) -> CommentRead:
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(detail=f"No comment {comment_id}.")
    _, process = _moderated_contribution(session, principal, comment.contribution_id)
    comment.hidden = hidden
    comment.hidden_reason = reason if hidden else None
    _log(
        session,
        principal,
        process,
        "hide" if hidden else "restore",
        reason,
        contribution_id=comment.contribution_id,
        comment_id=comment.id,
    )
    session.flush()
    return comment_read(comment, moderator=True)


# --- reports ----------------------------------------------------------------------------------


def _report_read(report: Report) -> ReportRead:
    return ReportRead(
        id=report.id,
        process_id=report.process_id,
        contribution_id=report.contribution_id,
        comment_id=report.comment_id,
        reason=report.reason,
        text=report.text,
        created_at=report.created_at,
        resolved_at=report.resolved_at,
        resolution=report.resolution,
    )


def create_report(session: Session, *, participant: Participant, data: ReportIn) -> ReportRead:
    """Anyone who may see something may report it (also after the process has ended).
    A report of a comment names its contribution too."""
    if (data.contribution_id is None) == (data.comment_id is None):
        raise refuse(
            ValidationFailed,
            "body.contribution_id",
            N_("name either a contribution or a comment"),
        )
    contribution_id = data.contribution_id
    if data.comment_id is not None:
        comment = session.get(Comment, data.comment_id)
        if comment is None:
            raise NotFound(detail=f"No comment {data.comment_id}.")
        contribution_id = comment.contribution_id
    assert contribution_id is not None
    _, process = visible_contribution(
        session, principal=participant.principal, contribution_id=contribution_id
    )
    check_participant(participant, process)
    report = Report(
        process_id=process.id,
        contribution_id=contribution_id,
        comment_id=data.comment_id,
        reason=data.reason,
        text=data.text.strip(),
        reporter_user_id=participant.user_id,
    )
    session.add(report)
    session.flush()
    emit(
        session,
        Event("participation.report.created", {"report_id": report.id, "process_id": process.id}),
    )
    return _report_read(report)


def list_reports(
    session: Session, *, principal: Principal, process_id: int, open_only: bool = True
) -> list[ReportRead]:
    process = get_process(session, principal=principal, process_id=process_id)
    require_moderator(principal, process)
    query = select(Report).where(Report.process_id == process.id)
    if open_only:
        query = query.where(Report.resolved_at.is_(None))
    reports = session.scalars(query.order_by(Report.created_at.desc(), Report.id.desc()))
    return [_report_read(r) for r in reports]


def resolve_report(
    session: Session, *, principal: Principal, report_id: int, resolution: str
) -> ReportRead:
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound(detail=f"No report {report_id}.")
    process = get_process(session, principal=principal, process_id=report.process_id)
    require_moderator(principal, process)
    report.resolved_at = utcnow()
    report.resolution = resolution
    _log(
        session,
        principal,
        process,
        "resolve",
        resolution,
        contribution_id=report.contribution_id,
        comment_id=report.comment_id,
    )
    session.flush()
    return _report_read(report)


def contribution_of_comment(session: Session, *, comment_id: int) -> int:
    """The id of the contribution ``comment_id`` belongs to (404 if there is no such comment)."""
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(detail=f"No comment {comment_id}.")
    return comment.contribution_id


def history(session: Session, *, contribution_id: int) -> list[ModerationEntry]:
    """The moderation log of a contribution, newest first (for its moderators)."""
    return list(
        session.scalars(
            select(ModerationEntry)
            .where(ModerationEntry.contribution_id == contribution_id)
            .order_by(ModerationEntry.created_at.desc(), ModerationEntry.id.desc())
        )
    )


#: The cockpit's views of a process.
COCKPIT_VIEWS = ("new", "discussed", "categories", "map", "reports")


def cockpit(
    session: Session, *, principal: Principal, process_id: int, view: str
) -> dict[str, Any]:
    """What the cockpit of a process shows in ``view``: its figures and the view's items.
    The caller has been checked to moderate the process."""
    figures = _figures(session, process_id)
    values: dict[str, Any] = {"view": view, "figures": figures}
    if view == "new":
        query = contribution_query(process_id, include_hidden=True, sort="new")
        values["items"] = [
            contribution_read(c, moderator=True) for c in session.scalars(query.limit(50))
        ]
    elif view == "discussed":
        query = contribution_query(process_id, include_hidden=True, sort="discussed")
        values["items"] = [
            contribution_read(c, moderator=True) for c in session.scalars(query.limit(50))
        ]
    elif view == "categories":
        rows = session.execute(
            select(Contribution.category, Contribution.status, func.count(Contribution.id))
            .where(Contribution.process_id == process_id)
            .group_by(Contribution.category, Contribution.status)
        ).all()
        table: dict[str, dict[str, int]] = {}
        for category, status, count in rows:
            table.setdefault(category or "", {})[status] = int(count)
        values["categories"] = sorted(table.items())
    elif view == "reports":
        reports = list_reports(session, principal=principal, process_id=process_id)
        texts = {
            c.id: c.text
            for c in session.scalars(
                select(Comment).where(
                    Comment.id.in_([r.comment_id for r in reports if r.comment_id])
                )
            )
        }
        values["reports"] = reports
        values["comment_texts"] = texts
    return values


def _figures(session: Session, process_id: int) -> dict[str, int]:
    contribution = session.execute(
        select(
            func.count(Contribution.id),
            func.coalesce(func.sum(Contribution.support_count), 0),
            func.coalesce(func.sum(Contribution.comment_count), 0),
        ).where(Contribution.process_id == process_id)
    ).one()
    unanswered = session.scalar(
        select(func.count(Contribution.id)).where(
            Contribution.process_id == process_id,
            Contribution.answer.is_(None),
            Contribution.hidden.is_(False),
        )
    )
    hidden = session.scalar(
        select(func.count(Contribution.id)).where(
            Contribution.process_id == process_id, Contribution.hidden.is_(True)
        )
    )
    reports = session.scalar(
        select(func.count(Report.id)).where(
            Report.process_id == process_id, Report.resolved_at.is_(None)
        )
    )
    responses = session.scalar(
        select(func.count(SurveyResponse.id))
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(Survey.process_id == process_id)
    )
    return {
        "contributions": int(contribution[0]),
        "supports": int(contribution[1]),
        "comments": int(contribution[2]),
        "unanswered": int(unanswered or 0),
        "hidden": int(hidden or 0),
        "reports": int(reports or 0),
        "responses": int(responses or 0),
    }
