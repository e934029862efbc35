"""Staff pages: the cockpit of a process (new, most discussed, by category, on a map, reports,
exports, documents) and the moderation forms. Only moderators of the process get here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from allmende.modules.participation import contributions, files, moderation, plans
from allmende.modules.participation.pages.common import (
    Form,
    errors_from,
    errors_from_validation,
    redirect,
    render,
)
from allmende.modules.participation.pages.contributions import _contribution_page
from allmende.modules.participation.processes import moderated_process, process_detail
from allmende.modules.participation.schemas import FeedbackIn, ModerationIn, ResolveIn
from allmende.modules.participation.web import data_dir, translator
from allmende.sdk import (
    AllmendeError,
    Caller,
    Principal,
    RowId,
    ValidationFailed,
    app_context,
    form_strings,
    local_path,
)

pages = APIRouter(include_in_schema=False)
VIEWS = moderation.COCKPIT_VIEWS


def _sign_in(request: Request) -> Response:
    return RedirectResponse(local_path(request, f"/login?next={request.url.path}"), status_code=303)


@pages.get("/participation/{process_id:int}/cockpit")
def cockpit(
    request: Request,
    process_id: RowId,
    principal: Caller,
    view: str = Query("new", max_length=20),
) -> Response:
    if not principal.is_authenticated:
        return _sign_in(request)
    view = view if view in VIEWS else "new"
    with app_context(request).database.session() as session:
        process = moderated_process(session, principal=principal, process_id=process_id)
        detail = process_detail(session, principal=principal, process_id=process.id)
        values = moderation.cockpit(session, principal=principal, process_id=process.id, view=view)
    return render(request, "participation/cockpit.html", {"process": detail, **values})


# --- moderation forms -------------------------------------------------------------------------


async def _moderate(
    request: Request,
    principal: Principal,
    contribution_id: int,
    action: Any,
    notice: str,
) -> Response:
    """Run a moderation step from a form; on a refusal show the contribution with the errors."""
    translate = translator(request)
    values = form_strings(await request.form())
    form = Form(values=values)
    try:
        await app_context(request).database.awrite(lambda s: action(s, values))
    except ValidationError as exc:
        errors_from_validation(exc, translate, form)
        status = 422
    except AllmendeError as exc:
        errors_from(exc, translate, form)
        status = exc.status
    else:
        return redirect(
            request,
            contributions.contribution_path(contribution_id),
            notice=notice,
            anchor="#moderation" if notice not in ("comment-hidden", "comment-restored") else "",
        )
    return await run_in_threadpool(
        _contribution_page, request, principal, contribution_id, form, status
    )


@pages.post("/participation/contributions/{contribution_id:int}/feedback")
async def feedback_submit(request: Request, contribution_id: RowId, principal: Caller) -> Response:
    def give(session: Any, values: dict[str, str]) -> None:
        data = FeedbackIn.model_validate(
            {"status": values.get("status", ""), "answer": values.get("answer", "")}
        )
        moderation.give_feedback(
            session, principal=principal, contribution_id=contribution_id, data=data
        )

    return await _moderate(request, principal, contribution_id, give, "feedback")


@pages.post("/participation/contributions/{contribution_id:int}/visibility")
async def visibility_submit(
    request: Request, contribution_id: RowId, principal: Caller
) -> Response:
    hide = (await request.form()).get("action") != "restore"

    def change(session: Any, values: dict[str, str]) -> None:
        data = ModerationIn.model_validate({"reason": values.get("reason", "").strip()})
        moderation.set_contribution_hidden(
            session,
            principal=principal,
            contribution_id=contribution_id,
            hidden=hide,
            reason=data.reason,
        )

    return await _moderate(
        request, principal, contribution_id, change, "hidden" if hide else "restored"
    )


@pages.post("/participation/comments/{comment_id:int}/visibility")
async def comment_visibility_submit(
    request: Request, comment_id: RowId, principal: Caller
) -> Response:
    values = form_strings(await request.form())
    hide = values.get("action") != "restore"

    def owner() -> int:
        with app_context(request).database.session() as session:
            return moderation.contribution_of_comment(session, comment_id=comment_id)

    contribution_id = await run_in_threadpool(owner)

    def change(session: Any, values: dict[str, str]) -> None:
        data = ModerationIn.model_validate({"reason": values.get("reason", "").strip()})
        moderation.set_comment_hidden(
            session, principal=principal, comment_id=comment_id, hidden=hide, reason=data.reason
        )

    return await _moderate(
        request,
        principal,
        contribution_id,
        change,
        "comment-hidden" if hide else "comment-restored",
    )


@pages.post("/participation/reports/{report_id:int}/resolve")
async def resolve_submit(request: Request, report_id: RowId, principal: Caller) -> Response:
    values = form_strings(await request.form())
    resolution = values.get("resolution", "").strip() or "resolved"
    data = ResolveIn.model_validate({"resolution": resolution[:500]})
    report = await app_context(request).database.awrite(
        lambda s: moderation.resolve_report(
            s, principal=principal, report_id=report_id, resolution=data.resolution
        )
    )
    return redirect(
        request, f"/participation/{report.process_id}/cockpit?view=reports", notice="resolved"
    )


@pages.post("/participation/{process_id:int}/documents")
async def upload_submit(request: Request, process_id: RowId, principal: Caller) -> Response:
    """Upload a document from the cockpit (PDF or image, stored without metadata)."""
    context = app_context(request)
    form = await request.form()
    upload = form.get("file")
    title = str(form.get("title") or "").strip()[:200]
    if upload is None or isinstance(upload, str) or not title:
        raise ValidationFailed.one("file", "choose a file and give it a title")

    def may_add() -> None:
        with context.database.session() as session:
            plans.check_document_target(
                session, principal=principal, process_id=process_id, draft_id=None
            )

    await run_in_threadpool(may_add)
    limit = context.settings.upload_max_bytes
    content = await upload.read(limit + 1)
    prepared = await files.prepare(content, max_bytes=limit)
    folder = data_dir(request)
    name = await run_in_threadpool(files.store, folder, prepared)
    try:
        await context.database.awrite(
            lambda s: plans.add_document(
                s,
                principal=principal,
                process_id=process_id,
                title=title,
                original_name=upload.filename or "document",
                stored_name=name,
                prepared=prepared,
            )
        )
    except BaseException:
        files.remove(folder, [name])
        raise
    return redirect(request, f"/participation/{process_id}/cockpit", notice="uploaded")
