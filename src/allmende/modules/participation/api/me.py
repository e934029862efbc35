"""The caller's own account: notifications, and the personal data export and deletion."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from allmende.modules.participation import notifications, privacy
from allmende.modules.participation.api.common import PREFIX, PROBLEM, TAGS
from allmende.modules.participation.schemas import NotificationRead
from allmende.sdk import Caller, app_context

router = APIRouter(prefix=PREFIX, tags=TAGS)
ACCOUNT_ERRORS: dict[int | str, dict[str, Any]] = {401: PROBLEM, 403: PROBLEM, 422: PROBLEM}


@router.get(
    "/me/notifications",
    response_model=list[NotificationRead],
    operation_id="listParticipationNotifications",
    responses=ACCOUNT_ERRORS,
)
def list_notifications(
    request: Request, principal: Caller, limit: int = Query(50, ge=1, le=200)
) -> list[NotificationRead]:
    """Official answers, comments and replies on one's contributions; new phases of followed
    processes."""
    with app_context(request).database.session() as session:
        return notifications.list_notifications(session, principal=principal, limit=limit)


@router.post(
    "/me/notifications/read",
    status_code=204,
    operation_id="markParticipationNotificationsRead",
    responses=ACCOUNT_ERRORS,
)
def mark_read(request: Request, principal: Caller) -> Response:
    app_context(request).database.write(lambda s: notifications.mark_read(s, principal=principal))
    return Response(status_code=204)


@router.get(
    "/me/data",
    operation_id="exportParticipationData",
    responses=ACCOUNT_ERRORS,
)
def export_data(request: Request, principal: Caller) -> dict[str, Any]:
    """Everything participation stores about the caller's account."""
    with app_context(request).database.session() as session:
        return privacy.export(session, principal=principal)


@router.delete(
    "/me/data",
    operation_id="deleteParticipationData",
    responses=ACCOUNT_ERRORS,
)
def delete_data(
    request: Request,
    principal: Caller,
    erase_texts: bool = Query(False, description="Also replace the words one wrote"),
) -> dict[str, int]:
    """Delete the caller's supports, ratings, follows and notifications and anonymise their
    contributions, comments and survey responses (threads stay intact)."""
    return app_context(request).database.write(
        lambda s: privacy.delete_data(s, principal=principal, erase_texts=erase_texts)
    )
