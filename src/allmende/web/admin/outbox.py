"""The mail queue for administrators: what waits, what failed, what went out; and, without an
SMTP server (dev, demo), the outbox with every mail in full."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response

from allmende.delivery.models import MailMessage
from allmende.http.auth import Caller
from allmende.http.context import app_context
from allmende.web.admin.common import admin_guard, render, when

router = APIRouter(include_in_schema=False)
STATES = ("pending", "held", "outbox", "sent", "digested", "failed")
SHOWN = 100


@router.get("/admin/outbox")
def outbox_page(
    request: Request, principal: Caller, state: str = Query("", max_length=10)
) -> Response:
    if (refused := admin_guard(request, principal)) is not None:
        return refused
    context = app_context(request)
    with context.database.session() as session:
        counts = dict(
            session.execute(
                select(MailMessage.state, func.count(MailMessage.id)).group_by(MailMessage.state)
            ).all()
        )
        query = select(MailMessage).order_by(MailMessage.id.desc()).limit(SHOWN)
        if state in STATES:
            query = query.where(MailMessage.state == state)
        mails = [
            {"mail": m, "when": when(request, m.sent_at or m.created_at)}
            for m in session.scalars(query)
        ]
    return render(
        request,
        "admin/outbox.html",
        mails=mails,
        counts={s: counts.get(s, 0) for s in STATES},
        state=state if state in STATES else "",
        smtp=bool(context.settings.smtp_host),
    )
