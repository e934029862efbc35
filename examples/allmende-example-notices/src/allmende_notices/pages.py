"""The notice board page (server-rendered, no JavaScript needed)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from allmende.sdk import Caller, app_context
from allmende_notices import service

pages = APIRouter(include_in_schema=False)


@pages.get("/notices", response_class=HTMLResponse)
def notice_board(request: Request, principal: Caller) -> HTMLResponse:
    context = app_context(request)
    with context.database.session() as session:
        notices = service.list_notices(session, principal=principal)
    return context.templates.render(request, "notices/board.html", {"notices": notices})
