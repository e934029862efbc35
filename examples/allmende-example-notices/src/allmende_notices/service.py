"""Business rules: who may see and change which notice. No HTTP here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.sdk import (
    Action,
    Municipality,
    NotFound,
    Principal,
    ValidationFailed,
    require,
    visible,
)
from allmende_notices.models import Notice
from allmende_notices.schemas import NoticeCreate, NoticeRead, NoticeUpdate

SCOPE = "notices"


def _read(notice: Notice, key: str) -> NoticeRead:
    return NoticeRead(
        id=notice.id,
        municipality=key,
        title=notice.title,
        body=notice.body,
        public=notice.public,
        created_at=notice.created_at,
    )


def list_notices(
    session: Session, *, principal: Principal, municipality: str | None = None
) -> Sequence[NoticeRead]:
    query = (
        select(Notice, Municipality.key)
        .join(Municipality, Municipality.id == Notice.municipality_id)
        .where(visible(principal, Notice.municipality_id, Notice.public, scope=SCOPE))
        .order_by(Notice.created_at.desc(), Notice.id.desc())
    )
    if municipality is not None:
        query = query.where(Municipality.key == municipality)
    return [_read(n, key) for n, key in session.execute(query)]


def get_notice(session: Session, *, principal: Principal, notice_id: int) -> NoticeRead:
    row = session.execute(
        select(Notice, Municipality.key)
        .join(Municipality, Municipality.id == Notice.municipality_id)
        .where(Notice.id == notice_id)
        .where(visible(principal, Notice.municipality_id, Notice.public, scope=SCOPE))
    ).first()
    if row is None:  # internal notices of other municipalities do not exist for the caller
        raise NotFound(detail=f"No notice {notice_id}.")
    return _read(*row)


def create_notice(session: Session, *, principal: Principal, data: NoticeCreate) -> NoticeRead:
    municipality = session.scalar(select(Municipality).where(Municipality.key == data.municipality))
    if municipality is None:
        raise ValidationFailed.one("body.municipality", f"no municipality '{data.municipality}'")
    require(principal, Action.EDIT, municipality_id=municipality.id, scope=SCOPE)
    notice = Notice(
        municipality_id=municipality.id, title=data.title, body=data.body, public=data.public
    )
    session.add(notice)
    session.flush()
    return _read(notice, municipality.key)


def _editable(session: Session, principal: Principal, notice_id: int) -> tuple[Notice, str]:
    get_notice(session, principal=principal, notice_id=notice_id)  # 404 before 403
    notice = session.get(Notice, notice_id)
    assert notice is not None
    require(principal, Action.EDIT, municipality_id=notice.municipality_id, scope=SCOPE)
    key = session.scalar(select(Municipality.key).where(Municipality.id == notice.municipality_id))
    return notice, str(key)


def update_notice(
    session: Session, *, principal: Principal, notice_id: int, data: NoticeUpdate
) -> NoticeRead:
    notice, key = _editable(session, principal, notice_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is None:
            raise ValidationFailed.one(f"body.{name}", "must not be null")
        setattr(notice, name, value)
    session.flush()
    return _read(notice, key)


def delete_notice(session: Session, *, principal: Principal, notice_id: int) -> None:
    notice, _ = _editable(session, principal, notice_id)
    session.delete(notice)
