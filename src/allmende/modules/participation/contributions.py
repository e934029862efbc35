"""Contributions on the map, threaded comments and support, while the phase allows them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from shapely.geometry.base import BaseGeometry
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from allmende.modules.participation import notifications
from allmende.modules.participation.models import Comment, Contribution, Process, Support
from allmende.modules.participation.processes import parse_geometry
from allmende.modules.participation.schemas import (
    CommentCreate,
    CommentRead,
    ContributionCreate,
    ContributionRead,
    SupportRead,
)
from allmende.modules.participation.service import (
    N_,
    Act,
    Participant,
    can_moderate,
    check_action,
    check_participant,
    get_process,
    refuse,
)
from allmende.sdk import (
    Event,
    Message,
    Municipality,
    NotFound,
    Principal,
    ValidationFailed,
    emit,
    geometry_to_geojson,
    predicate,
    utcnow,
)

LOCATION_TYPES = ("Point", "LineString", "Polygon")
Sort = Literal["new", "discussed", "supported"]
PAGE_SIZE = 50


def contribution_path(contribution_id: int) -> str:
    return f"/participation/contributions/{contribution_id}"


def contribution_read(item: Contribution, *, moderator: bool = False) -> ContributionRead:
    """The public view; while hidden, title and text are withheld from everyone but staff."""
    withhold = item.hidden and not moderator
    return ContributionRead(
        id=item.id,
        process_id=item.process_id,
        title=None if withhold else item.title,
        text=None if withhold else item.text,
        category=item.category,
        geometry=None if withhold or item.geom is None else geometry_to_geojson(item.geom),
        place="" if withhold else item.place,
        author_name=None if withhold else item.author_name,
        status=item.status,
        answer=item.answer,
        answered_at=item.answered_at,
        hidden=item.hidden,
        hidden_reason=item.hidden_reason,
        support_count=item.support_count,
        comment_count=item.comment_count,
        created_at=item.created_at,
        url=contribution_path(item.id),
    )


def check_location(session: Session, process: Process, geom: BaseGeometry) -> None:
    """Refuse a location that is not inside the process area (same answer on both backends)."""
    area_owner: type[Process] | type[Municipality]
    if process.geom is not None:
        area_owner, owner_id = Process, process.id
    else:  # no area drawn: the municipality's boundary is the limit
        area_owner, owner_id = Municipality, process.municipality_id
    has_area = session.scalar(
        select(area_owner.id).where(area_owner.id == owner_id, area_owner.bbox_minx.is_not(None))
    )
    if has_area is None:
        return
    inside = session.scalar(
        select(area_owner.id).where(
            area_owner.id == owner_id, predicate("ST_Contains", area_owner, geom)
        )
    )
    if inside is None:
        raise refuse(
            ValidationFailed,
            "body.geometry",
            N_(
                "lies outside the area of this process. Please choose a place inside the "
                "marked area, or describe the place in words."
            ),
        )


def create_contribution(
    session: Session,
    *,
    participant: Participant,
    process_id: int,
    data: ContributionCreate,
    now: datetime | None = None,
) -> ContributionRead:
    process = get_process(session, principal=participant.principal, process_id=process_id)
    check_participant(participant, process)
    check_action(process, Act.CONTRIBUTE, now=now)
    category = (data.category or "").strip() or None
    if process.categories and category is None:
        raise refuse(ValidationFailed, "body.category", N_("please choose a category"))
    if category is not None and process.categories and category not in process.categories:
        raise refuse(
            ValidationFailed,
            "body.category",
            Message(N_("must be one of: %(list)s"), list=", ".join(process.categories)),
        )
    item = Contribution(
        process_id=process.id,
        municipality_id=process.municipality_id,
        title=data.title.strip() or data.title,
        text=data.text,
        category=category,
        place=data.place.strip(),
        author_user_id=participant.user_id,
        author_name=(data.author_name or "").strip() or None,
    )
    if data.geometry is not None:
        geom = parse_geometry(data.geometry, field="body.geometry", types=LOCATION_TYPES)
        check_location(session, process, geom)
        item.geom = geom
    session.add(item)
    session.flush()
    emit(
        session,
        Event(
            "participation.contribution.created",
            {"contribution_id": item.id, "process_id": process.id},
        ),
    )
    return contribution_read(item)


def visible_contribution(
    session: Session, *, principal: Principal, contribution_id: int
) -> tuple[Contribution, Process]:
    """The contribution and its process, if the caller may see the process."""
    item = session.get(Contribution, contribution_id)
    if item is None:
        raise NotFound(detail=f"No contribution {contribution_id}.")
    process = get_process(session, principal=principal, process_id=item.process_id)
    return item, process


def get_contribution(
    session: Session, *, principal: Principal, contribution_id: int
) -> ContributionRead:
    item, process = visible_contribution(
        session, principal=principal, contribution_id=contribution_id
    )
    return contribution_read(item, moderator=can_moderate(principal, process))


def contribution_query(
    process_id: int,
    *,
    include_hidden: bool = False,
    category: str | None = None,
    status: str | None = None,
    sort: Sort = "new",
) -> Select[Any]:
    query = select(Contribution).where(Contribution.process_id == process_id)
    if not include_hidden:
        query = query.where(Contribution.hidden.is_(False))
    if category is not None:
        query = query.where(Contribution.category == category)
    if status is not None:
        query = query.where(Contribution.status == status)
    first = {
        "new": Contribution.created_at,
        "discussed": Contribution.comment_count,
        "supported": Contribution.support_count,
    }[sort]
    return query.order_by(first.desc(), Contribution.id.desc())


def list_contributions(
    session: Session,
    *,
    principal: Principal,
    process_id: int,
    category: str | None = None,
    status: str | None = None,
    sort: Sort = "new",
    limit: int = PAGE_SIZE,
    offset: int = 0,
) -> list[ContributionRead]:
    process = get_process(session, principal=principal, process_id=process_id)
    moderator = can_moderate(principal, process)
    query = contribution_query(
        process.id, include_hidden=moderator, category=category, status=status, sort=sort
    )
    items = session.scalars(query.limit(limit).offset(offset))
    return [contribution_read(i, moderator=moderator) for i in items]


# --- comments ---------------------------------------------------------------------------------


def comment_read(item: Comment, *, moderator: bool = False) -> CommentRead:
    withhold = item.hidden and not moderator
    return CommentRead(
        id=item.id,
        contribution_id=item.contribution_id,
        parent_id=item.parent_id,
        text=None if withhold else item.text,
        author_name=None if withhold else item.author_name,
        official=item.official,
        hidden=item.hidden,
        hidden_reason=item.hidden_reason,
        created_at=item.created_at,
    )


def list_comments(
    session: Session, *, principal: Principal, contribution_id: int
) -> list[CommentRead]:
    """Every comment in thread order (parents before their replies, oldest first)."""
    _, process = visible_contribution(session, principal=principal, contribution_id=contribution_id)
    moderator = can_moderate(principal, process)
    items = session.scalars(
        select(Comment)
        .where(Comment.contribution_id == contribution_id)
        .order_by(Comment.created_at, Comment.id)
    ).all()
    return [comment_read(c, moderator=moderator) for c in thread_order(items)]


def thread_order(items: Sequence[Comment]) -> list[Comment]:
    children: dict[int | None, list[Comment]] = {}
    for item in items:
        children.setdefault(item.parent_id, []).append(item)
    ordered: list[Comment] = []

    def walk(parent: int | None) -> None:
        for child in children.get(parent, []):
            ordered.append(child)
            walk(child.id)

    walk(None)
    return ordered


def create_comment(
    session: Session,
    *,
    participant: Participant,
    contribution_id: int,
    data: CommentCreate,
    now: datetime | None = None,
) -> CommentRead:
    item, process = visible_contribution(
        session, principal=participant.principal, contribution_id=contribution_id
    )
    moderator = can_moderate(participant.principal, process)
    if data.official and not moderator:
        raise refuse(
            ValidationFailed, "body.official", N_("only staff answer for the municipality")
        )
    if not moderator:  # staff may answer at any time; citizens while the phase allows it
        check_participant(participant, process)
        check_action(process, Act.COMMENT, now=now)
    if item.hidden and not moderator:
        raise refuse(
            ValidationFailed,
            "contribution",
            N_("this contribution is hidden and cannot be commented"),
        )
    parent = None
    if data.parent_id is not None:
        parent = session.get(Comment, data.parent_id)
        if parent is None or parent.contribution_id != item.id:
            raise refuse(
                ValidationFailed,
                "body.parent_id",
                N_("is not a comment on this contribution"),
            )
    comment = Comment(
        contribution_id=item.id,
        parent_id=parent.id if parent is not None else None,
        text=data.text,
        author_user_id=participant.user_id,
        author_name=(data.author_name or "").strip() or None,
        official=data.official,
    )
    session.add(comment)
    item.comment_count = Contribution.comment_count + 1  # atomic in SQL
    session.flush()
    notify = {item.author_user_id, parent.author_user_id if parent else None}
    for user_id in notify - {None, participant.user_id}:
        assert user_id is not None
        notifications.notify(
            session,
            user_id=user_id,
            kind="reply" if parent is not None and user_id == parent.author_user_id else "comment",
            process_id=process.id,
            contribution_id=item.id,
            params={"title": item.title},
        )
    return comment_read(comment, moderator=moderator)


# --- support ----------------------------------------------------------------------------------


def _mine(participant: Participant):  # type: ignore[no-untyped-def]
    if participant.user_id is not None:
        return Support.user_id == participant.user_id
    if participant.voter_key is not None:
        return Support.voter_key == participant.voter_key
    raise refuse(ValidationFailed, "voter", N_("an API key cannot support contributions"))


def support(
    session: Session,
    *,
    participant: Participant,
    contribution_id: int,
    supported: bool = True,
    now: datetime | None = None,
) -> SupportRead:
    """Support a contribution (once per person) or withdraw one's support."""
    item, process = visible_contribution(
        session, principal=participant.principal, contribution_id=contribution_id
    )
    check_participant(participant, process)
    check_action(process, Act.SUPPORT, now=now)
    if item.hidden:
        raise refuse(
            ValidationFailed,
            "contribution",
            N_("this contribution is hidden and cannot be supported"),
        )
    existing = session.scalar(
        select(Support).where(Support.contribution_id == item.id, _mine(participant))
    )
    if supported and existing is None:
        session.add(
            Support(
                contribution_id=item.id,
                user_id=participant.user_id,
                voter_key=None if participant.user_id is not None else participant.voter_key,
                created_at=utcnow(),
            )
        )
        item.support_count = Contribution.support_count + 1  # atomic in SQL
    elif not supported and existing is not None:
        session.delete(existing)
        item.support_count = Contribution.support_count - 1
    try:
        session.flush()
    except IntegrityError:  # a double click that raced itself: already counted
        raise refuse(ValidationFailed, "support", N_("was already given")) from None
    return SupportRead(
        contribution_id=item.id,
        supported=supported,
        support_count=item.support_count,
    )


def supported_by(
    session: Session, *, participant: Participant, contribution_ids: Sequence[int]
) -> set[int]:
    """Which of these contributions the participant supports (for the buttons)."""
    if not contribution_ids:
        return set()
    if participant.user_id is not None:
        mine = Support.user_id == participant.user_id
    elif participant.voter_key is not None:
        mine = Support.voter_key == participant.voter_key
    else:
        return set()
    rows = session.scalars(
        select(Support.contribution_id).where(
            Support.contribution_id.in_(sorted(set(contribution_ids))), mine
        )
    )
    return set(rows)


def contributions_by(session: Session, *, user_id: int, limit: int = 100) -> list[ContributionRead]:
    """The newest contributions ``user_id`` wrote, as their author sees them."""
    rows = session.scalars(
        select(Contribution)
        .where(Contribution.author_user_id == user_id)
        .order_by(Contribution.created_at.desc())
        .limit(limit)
    )
    return [contribution_read(c, moderator=True) for c in rows]
