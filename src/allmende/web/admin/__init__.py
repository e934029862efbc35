"""Administration in the browser: municipalities, accounts, API keys and the mail queue.

Everything the command line's ``municipalities``, ``users`` and ``apikeys`` do, through the
same identity service; every page asks :mod:`allmende.identity.permissions` (administrators
only). Forms work without JavaScript; the boundary map is an addition.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response

from allmende.delivery.models import MailMessage
from allmende.http.auth import Caller
from allmende.http.context import app_context
from allmende.identity.models import ApiKey, Municipality, User
from allmende.web.admin import apikeys, municipalities, outbox, users
from allmende.web.admin.common import admin_guard, render

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def admin_page(request: Request, principal: Caller) -> Response:
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    with app_context(request).database.session() as session:

        def count(column: object, *where: object) -> int:
            return int(session.scalar(select(func.count(column)).where(*where)) or 0)  # type: ignore[arg-type]

        counts = {
            "municipalities": count(Municipality.id),
            "users": count(User.id),
            "api_keys": count(ApiKey.id, ApiKey.revoked_at.is_(None)),
            "failed": count(MailMessage.id, MailMessage.state == "failed"),
            "waiting": count(MailMessage.id, MailMessage.state == "pending"),
        }
    return render(request, "admin/index.html", counts=counts)


for part in (municipalities, users, apikeys, outbox):
    router.include_router(part.router)
