"""An account holder's participation: notifications, followed processes, own contributions,
and the export and deletion of their participation data."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from allmende.modules.participation import contributions, notifications, privacy
from allmende.modules.participation.pages.common import Form, redirect, render
from allmende.modules.participation.web import translator
from allmende.sdk import (
    Caller,
    Principal,
    RowId,
    app_context,
    check_csrf,
    form_strings,
    local_path,
    localise,
)


def _sign_in(request: Request, target: str = "/participation/me") -> Response:
    return RedirectResponse(local_path(request, f"/login?next={target}"), status_code=303)


def _has_account(principal: Principal) -> bool:
    return principal.kind == "user" and principal.user_id is not None


pages = APIRouter(include_in_schema=False)


@pages.get("/participation/me")
def my_participation(request: Request, principal: Caller) -> Response:
    return _my_page(request, principal, Form())


def _my_page(request: Request, principal: Principal, form: Form, status: int = 200) -> Response:
    if not _has_account(principal):
        return _sign_in(request)
    translate = translator(request)
    with app_context(request).database.session() as session:
        notes = [
            note.model_copy(update={"message": localise(text, translate)})
            for note, text in notifications.inbox(session, principal=principal)
        ]
        followed = notifications.followed_processes(session, user_id=principal.user_id or 0)
        mine = contributions.contributions_by(session, user_id=principal.user_id or 0)
    return render(
        request,
        "participation/me.html",
        {
            "notifications": notes,
            "unread": sum(1 for n in notes if not n.read),
            "followed": followed,
            "mine": mine,
            "form": form,
        },
        status_code=status,
    )


@pages.post("/participation/me/read")
async def mark_read(request: Request, principal: Caller) -> Response:
    if not _has_account(principal):
        return _sign_in(request)
    await app_context(request).database.awrite(
        lambda s: notifications.mark_read(s, principal=principal)
    )
    return redirect(request, "/participation/me", notice="read")


@pages.get("/participation/me/data")
def download_data(request: Request, principal: Caller) -> Response:
    if not _has_account(principal):
        return _sign_in(request)
    with app_context(request).database.session() as session:
        data = privacy.export(session, principal=principal)
    return Response(
        orjson.dumps(data, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-participation.json"'},
    )


@pages.post("/participation/me/delete")
async def delete_data(request: Request, principal: Caller) -> Response:
    if not _has_account(principal):
        return _sign_in(request)
    values = form_strings(await request.form())
    if values.get("confirm") != "yes":
        form = Form(values=values)
        translate = translator(request)
        form.errors["confirm"] = translate(
            "Please confirm that your participation data is to be deleted."
        )
        return await run_in_threadpool(_my_page, request, principal, form, 422)
    erase = values.get("erase_texts") == "yes"
    await app_context(request).database.awrite(
        lambda s: privacy.delete_data(s, principal=principal, erase_texts=erase)
    )
    return redirect(request, "/participation/me", notice="deleted")


@pages.post("/participation/{process_id:int}/follow")
async def follow_submit(request: Request, process_id: RowId, principal: Caller) -> Response:
    await check_csrf(request)
    if not _has_account(principal):
        return _sign_in(request, f"/participation/{process_id}")
    following = form_strings(await request.form()).get("action") != "unfollow"
    await app_context(request).database.awrite(
        lambda s: notifications.follow(
            s, principal=principal, process_id=process_id, following=following
        )
    )
    return redirect(
        request,
        f"/participation/{process_id}",
        notice="followed" if following else "unfollowed",
        anchor="#follow",
    )
