"""Staff notifications: the page ``/notifications`` and the JSON API ``/api/notifications``.

Staff see the notifications of their municipalities, administrators all (the region's own
included); anyone else is refused. Marking read is shared: once one colleague has read a
notification, it is read for the municipality.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from allmende.core.digits import is_digits
from allmende.core.errors import ValidationFailed
from allmende.delivery import notifications
from allmende.http import csrf
from allmende.http.auth import Caller
from allmende.http.context import app_context
from allmende.http.links import local_path
from allmende.http.params import MAX_ID
from allmende.identity.models import Municipality
from allmende.identity.permissions import Action, can, require
from allmende.identity.principal import Principal

router = APIRouter(tags=["notifications"])
pages = APIRouter(include_in_schema=False)
SCOPE = "notifications"
#: Times are stored in UTC and shown in the region's time zone.
REGION_ZONE = ZoneInfo("Europe/Berlin")
PROBLEM = {"description": "Problem (RFC 9457)", "content": {"application/problem+json": {}}}
RESPONSES: dict[int | str, dict[str, Any]] = {401: PROBLEM, 403: PROBLEM}


class NotificationOut(BaseModel):
    id: int
    municipality: str | None = Field(description="Key of the municipality; null: the region")
    kind: str
    subject: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class MarkRead(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        default=None, max_length=1000, description="Notifications to mark; null: all unread"
    )


class Marked(BaseModel):
    marked: int


def readable(session: Session, principal: Principal) -> tuple[list[int] | None, dict[int, str]]:
    """The municipalities whose notifications the caller reads (None: all, with the region's);
    refuses callers who read none."""
    keys: dict[int, str] = dict(session.execute(select(Municipality.id, Municipality.key)).all())
    if can(principal, Action.ADMINISTER):
        return None, keys
    ids = [m for m in keys if can(principal, Action.READ_INTERNAL, municipality_id=m, scope=SCOPE)]
    if not ids:
        require(principal, Action.ADMINISTER)  # raises 401 or 403 as it should
    return ids, keys


def _out(item: notifications.StaffNotification, keys: dict[int, str]) -> NotificationOut:
    return NotificationOut(
        id=item.id,
        municipality=keys.get(item.municipality_id) if item.municipality_id else None,
        kind=item.kind,
        subject=item.subject,
        body=item.body,
        link=item.link,
        created_at=item.created,
        read_at=item.read,
    )


@router.get(
    "/api/notifications",
    response_model=list[NotificationOut],
    operation_id="listNotifications",
    responses=RESPONSES,
)
def list_notifications(
    request: Request,
    principal: Caller,
    unread: bool = Query(default=False, description="Only those not yet read"),
    limit: int = Query(default=100, ge=1, le=notifications.MAX_LIST),
) -> list[NotificationOut]:
    """The newest notifications for the caller's municipalities."""
    with app_context(request).database.session() as session:
        ids, keys = readable(session, principal)
        found = notifications.list_notifications(
            session, municipality_ids=ids, unread_only=unread, limit=limit
        )
        return [_out(n, keys) for n in found]


@router.post(
    "/api/notifications/read",
    response_model=Marked,
    operation_id="markNotificationsRead",
    responses={**RESPONSES, 404: PROBLEM, 422: PROBLEM},
)
def mark_read(request: Request, body: MarkRead, principal: Caller) -> Marked:
    """Mark notifications read (all unread ones when ``ids`` is null)."""

    def mark(session: Session) -> Marked:
        ids, _ = readable(session, principal)
        return Marked(
            marked=notifications.mark_read(
                session,
                notification_ids=body.ids,
                municipality_ids=ids,
                user_id=principal.user_id,
            )
        )

    return app_context(request).database.write(mark)


@pages.get("/notifications")
def notifications_page(request: Request, principal: Caller) -> Response:
    context = app_context(request)
    with context.database.session() as session:
        ids, _ = readable(session, principal)
        found = notifications.list_notifications(session, municipality_ids=ids, limit=200)
        names = dict(session.execute(select(Municipality.id, Municipality.name)).all())
    language = context.catalogs.negotiate(request)
    when = {
        n.id: format_datetime(n.created, format="medium", tzinfo=REGION_ZONE, locale=language)
        for n in found
    }
    return context.templates.render(
        request,
        "notifications.html",
        {"notifications": found, "municipality_names": names, "when": when},
    )


@pages.post("/notifications/read")
async def notifications_read(request: Request, principal: Caller) -> Response:
    context = app_context(request)
    await csrf.check_request(request)
    form = await request.form()
    raw = str(form.get("id", "")).strip()
    if raw and not is_digits(raw):
        raise ValidationFailed.one("id", "must be a notification id")
    chosen = [int(raw)] if raw else None

    def mark(session: Session) -> int:
        ids, _ = readable(session, principal)
        return notifications.mark_read(
            session, notification_ids=chosen, municipality_ids=ids, user_id=principal.user_id
        )

    await context.database.awrite(mark)
    return RedirectResponse(local_path(request, "/notifications"), status_code=303)
