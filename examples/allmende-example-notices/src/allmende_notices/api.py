"""The JSON API under /api/notices: a thin layer over the service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from allmende.sdk import Caller, RowId, app_context
from allmende_notices import service
from allmende_notices.schemas import NoticeCreate, NoticeRead, NoticeUpdate

router = APIRouter(prefix="/api/notices", tags=["notices"])
PROBLEM: dict[str, Any] = {"description": "Problem (RFC 9457)"}
ERRORS: dict[int | str, dict[str, Any]] = {401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 422: PROBLEM}


@router.get("", response_model=list[NoticeRead], operation_id="listNotices")
def list_notices(
    request: Request, principal: Caller, municipality: str | None = Query(None, max_length=40)
) -> list[NoticeRead]:
    """Public notices, and internal ones of the caller's municipalities."""
    with app_context(request).database.session() as session:
        return list(service.list_notices(session, principal=principal, municipality=municipality))


@router.get(
    "/{notice_id}", response_model=NoticeRead, operation_id="getNotice", responses={404: PROBLEM}
)
def get_notice(request: Request, notice_id: RowId, principal: Caller) -> NoticeRead:
    with app_context(request).database.session() as session:
        return service.get_notice(session, principal=principal, notice_id=notice_id)


@router.post(
    "", response_model=NoticeRead, status_code=201, operation_id="createNotice", responses=ERRORS
)
def create_notice(request: Request, body: NoticeCreate, principal: Caller) -> NoticeRead:
    return app_context(request).database.write(
        lambda s: service.create_notice(s, principal=principal, data=body)
    )


@router.patch(
    "/{notice_id}", response_model=NoticeRead, operation_id="updateNotice", responses=ERRORS
)
def update_notice(
    request: Request, notice_id: RowId, body: NoticeUpdate, principal: Caller
) -> NoticeRead:
    return app_context(request).database.write(
        lambda s: service.update_notice(s, principal=principal, notice_id=notice_id, data=body)
    )


@router.delete("/{notice_id}", status_code=204, operation_id="deleteNotice", responses=ERRORS)
def delete_notice(request: Request, notice_id: RowId, principal: Caller) -> None:
    app_context(request).database.write(
        lambda s: service.delete_notice(s, principal=principal, notice_id=notice_id)
    )
