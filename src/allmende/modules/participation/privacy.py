"""An account holder's participation data: export it, or delete it.

Deletion **anonymises** contributions and comments instead of deleting them: replies and the
municipality's answers refer to them, and a thread with holes would mislead. The link to the
account and the chosen public name are removed; with ``erase_texts`` their words, the place
and the location are replaced too. Supports, draft ratings, follows and notifications are
deleted (the counters drop accordingly); survey responses stay as anonymous answers for the
statistics, their free texts erased on request. Reports keep their content but lose the
reporter.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from allmende.modules.participation.models import (
    Answer,
    Comment,
    Contribution,
    DraftRating,
    Follow,
    Notification,
    Question,
    Report,
    Response,
    Support,
)
from allmende.modules.participation.service import account_of
from allmende.sdk import (
    Principal,
    geometry_to_geojson,
    geometry_values,
    isoformat,
)

ERASED = "[removed at the author's request]"


def _account(principal: Principal) -> int:
    return account_of(principal, "Sign in with your account to see or delete its data.")


def export(session: Session, *, principal: Principal) -> dict[str, Any]:
    """Everything participation stores about the account, as JSON-ready data."""
    user_id = _account(principal)
    contributions = session.scalars(
        select(Contribution).where(Contribution.author_user_id == user_id).order_by(Contribution.id)
    )
    comments = session.scalars(
        select(Comment).where(Comment.author_user_id == user_id).order_by(Comment.id)
    )
    supports = session.scalars(
        select(Support).where(Support.user_id == user_id).order_by(Support.id)
    )
    ratings = session.scalars(
        select(DraftRating).where(DraftRating.user_id == user_id).order_by(DraftRating.id)
    )
    responses = session.scalars(
        select(Response).where(Response.user_id == user_id).order_by(Response.id)
    ).all()
    answers = session.execute(
        select(Answer, Question.prompt)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.response_id.in_([r.id for r in responses]))
        .order_by(Answer.id)
    ).all()
    follows = session.scalars(select(Follow).where(Follow.user_id == user_id))
    notes = session.scalars(
        select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
    )
    reports = session.scalars(
        select(Report).where(Report.reporter_user_id == user_id).order_by(Report.id)
    )
    return {
        "contributions": [
            {
                "id": c.id,
                "process_id": c.process_id,
                "created_at": isoformat(c.created_at),
                "title": c.title,
                "text": c.text,
                "category": c.category,
                "place": c.place,
                "geometry": geometry_to_geojson(c.geom) if c.geom is not None else None,
                "public_name": c.author_name,
                "status": c.status,
                "answer": c.answer,
                "hidden": c.hidden,
            }
            for c in contributions
        ],
        "comments": [
            {
                "id": c.id,
                "contribution_id": c.contribution_id,
                "parent_id": c.parent_id,
                "created_at": isoformat(c.created_at),
                "text": c.text,
                "public_name": c.author_name,
                "hidden": c.hidden,
            }
            for c in comments
        ],
        "supports": [
            {"contribution_id": s.contribution_id, "created_at": isoformat(s.created_at)}
            for s in supports
        ],
        "draft_ratings": [
            {"draft_id": r.draft_id, "stars": r.stars, "created_at": isoformat(r.created_at)}
            for r in ratings
        ],
        "survey_responses": [
            {
                "id": r.id,
                "survey_id": r.survey_id,
                "created_at": isoformat(r.created_at),
                "answers": [
                    {
                        "question": prompt,
                        "choices": a.choices,
                        "number": a.number,
                        "text": a.text,
                        "geometry": geometry_to_geojson(a.geom) if a.geom is not None else None,
                    }
                    for a, prompt in answers
                    if a.response_id == r.id
                ],
            }
            for r in responses
        ],
        "follows": [
            {"process_id": f.process_id, "since": isoformat(f.created_at)} for f in follows
        ],
        "notifications": [
            {"kind": n.kind, "params": n.params, "created_at": isoformat(n.created_at)}
            for n in notes
        ],
        "reports": [
            {"reason": r.reason, "text": r.text, "created_at": isoformat(r.created_at)}
            for r in reports
        ],
    }


def _changed(session: Session, statement: Any) -> int:
    """Run an UPDATE or DELETE and return how many rows it touched."""
    result = cast(CursorResult[Any], session.execute(statement))
    return int(result.rowcount or 0)


def delete_data(session: Session, *, principal: Principal, erase_texts: bool) -> dict[str, int]:
    """Remove the account's participation data (see the module docstring); returns counts."""
    user_id = _account(principal)
    supported = list(
        session.scalars(select(Support.contribution_id).where(Support.user_id == user_id))
    )
    if supported:
        session.execute(
            update(Contribution)
            .where(Contribution.id.in_(supported))
            .values(support_count=Contribution.support_count - 1)
        )
    session.execute(delete(Support).where(Support.user_id == user_id))
    ratings = _changed(session, delete(DraftRating).where(DraftRating.user_id == user_id))
    mine = {"author_user_id": None, "author_name": None}
    contribution_values: dict[str, Any] = dict(mine)
    comment_values: dict[str, Any] = dict(mine)
    if erase_texts:
        contribution_values.update(title=ERASED, text=ERASED, place="", **geometry_values(None))
        comment_values.update(text=ERASED)
    contributions = _changed(
        session,
        update(Contribution)
        .where(Contribution.author_user_id == user_id)
        .values(**contribution_values),
    )
    comments = _changed(
        session, update(Comment).where(Comment.author_user_id == user_id).values(**comment_values)
    )
    response_ids = list(session.scalars(select(Response.id).where(Response.user_id == user_id)))
    if erase_texts and response_ids:
        session.execute(
            update(Answer).where(Answer.response_id.in_(response_ids)).values(text=None)
        )
    session.execute(update(Response).where(Response.user_id == user_id).values(user_id=None))
    follows = _changed(session, delete(Follow).where(Follow.user_id == user_id))
    notes = _changed(session, delete(Notification).where(Notification.user_id == user_id))
    session.execute(
        update(Report).where(Report.reporter_user_id == user_id).values(reporter_user_id=None)
    )
    return {
        "contributions": contributions,
        "comments": comments,
        "supports": len(supported),
        "draft_ratings": ratings,
        "survey_responses": len(response_ids),
        "follows": follows,
        "notifications": notes,
    }


def erase_account(session: Session, user_id: int, email: str) -> None:
    """Before the account is deleted (``ModuleSpec.erase_account``): its participation data
    as :func:`delete_data` removes it, the texts kept."""
    delete_data(session, principal=Principal(kind="user", user_id=user_id), erase_texts=False)
