"""Staff place plans and drafts in the browser: an image uploaded and georeferenced by its
upper-left and lower-right corners (number fields; the map fills them with JavaScript), and the
drafts of the rating phase listed, added, changed and deleted. Every rule is in ``plans``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from allmende.modules.participation import files, plans, processes
from allmende.modules.participation.pages.common import (
    Form,
    errors_from,
    errors_from_validation,
    redirect,
    render,
    summary,
)
from allmende.modules.participation.pages.processes import map_layers
from allmende.modules.participation.schemas import DraftIn, DraftRead, LayerIn
from allmende.modules.participation.web import Translate, data_dir, translator
from allmende.sdk import (
    AllmendeError,
    Caller,
    Principal,
    RowId,
    ValidationFailed,
    app_context,
    form_strings,
    is_digits,
    local_path,
    localise,
    read_form,
    uploads,
    write_or_refuse,
)

pages = APIRouter(include_in_schema=False)
DRAFT = "draft."  # the draft form's fields, apart from the upload form's on the same page


def _sign_in(request: Request) -> Response:
    return RedirectResponse(local_path(request, f"/login?next={request.url.path}"), status_code=303)


def _plan_labels(translate: Translate) -> dict[str, str]:
    return {
        "title": translate("Title"),
        "description": translate("Description"),
        "draft_id": translate("Belongs to the draft"),
        "file": translate("Image of the plan"),
        "nw_lat": translate("Upper-left corner: latitude"),
        "nw_lon": translate("Upper-left corner: longitude"),
        "se_lat": translate("Lower-right corner: latitude"),
        "se_lon": translate("Lower-right corner: longitude"),
    }


def _draft_labels(translate: Translate) -> dict[str, str]:
    return {
        f"{DRAFT}title": translate("Title"),
        f"{DRAFT}summary": translate("Description"),
        f"{DRAFT}facts": translate("Facts for the comparison"),
    }


def _plans_page(
    request: Request,
    session: Session,
    principal: Principal,
    process_id: int,
    *,
    plan_form: Form | None = None,
    draft_form: Form | None = None,
    status: int = 200,
) -> Response:
    translate = translator(request)
    processes.moderated_process(session, principal=principal, process_id=process_id)
    detail = processes.process_detail(session, principal=principal, process_id=process_id)
    plan_form = plan_form or Form()
    draft_form = draft_form or Form()
    plan_labels = _plan_labels(translate)
    draft_labels = _draft_labels(translate)
    return render(
        request,
        "participation/plans_editor.html",
        {
            "process": detail,
            "layers": map_layers(detail.layers),
            "plan_form": plan_form,
            "draft_form": draft_form,
            "labels": plan_labels,
            "draft_labels": draft_labels,
            "plan_summary": summary(plan_form, translate, plan_labels),
            "draft_summary": summary(draft_form, translate, draft_labels),
        },
        status_code=status,
    )


@pages.get("/participation/{process_id:int}/plans")
def plans_page(request: Request, process_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return _sign_in(request)
    with app_context(request).database.session() as session:
        return _plans_page(request, session, principal, process_id)


def _corners(values: dict[str, str], form: Form, translate: Translate) -> list[float] | None:
    """The corners as numbers (a decimal comma or point), checked by the rules of ``plans``."""
    corners: dict[str, float | None] = {}
    for name in plans.CORNER_FIELDS:
        text = values.get(name, "").strip().replace(" ", "").replace(",", ".")
        try:
            corners[name] = float(text) if text else None
        except ValueError:
            form.errors[name] = translate("Please enter a number, for example 49,4432.")
    try:
        bounds = plans.corner_bounds(corners)
    except ValidationFailed as exc:
        for item in exc.errors:
            form.errors.setdefault(item.field, localise(item.reason, translate))
        return None
    return bounds


def _layer(values: dict[str, str], form: Form, translate: Translate) -> LayerIn | None:
    draft = values.get("draft_id", "").strip()
    try:
        return LayerIn(
            title=values.get("title", "").strip(),
            description=values.get("description", "").strip(),
            kind="image",
            draft_id=int(draft) if is_digits(draft) else None,
        )
    except ValidationError as exc:
        errors_from_validation(exc, translate, form)
        return None


@pages.post("/participation/{process_id:int}/plans")
async def plan_upload_submit(request: Request, process_id: RowId, principal: Caller) -> Response:
    """Upload a plan image with its corners; nothing is stored unless all of it is right."""
    if not principal.is_authenticated:
        return _sign_in(request)
    context = app_context(request)
    data = await read_form(request)
    translate = translator(request)
    values = form_strings(data)
    form = Form(values=values)

    def again(status: int) -> Response:
        with context.database.session() as session:
            return _plans_page(
                request, session, principal, process_id, plan_form=form, status=status
            )

    layer = _layer(values, form, translate)
    bounds = _corners(values, form, translate)

    def may_add() -> None:
        with context.database.session() as session:
            plans.check_document_target(
                session,
                principal=principal,
                process_id=process_id,
                draft_id=layer.draft_id if layer else None,
            )

    try:
        await run_in_threadpool(may_add)  # refuse strangers before reading the file
    except ValidationFailed as exc:
        errors_from(exc, translate, form)
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        form.errors["file"] = translate("Please choose an image file.")
    if form.failed or layer is None or bounds is None or not isinstance(upload, UploadFile):
        return await run_in_threadpool(again, 422)
    limit = context.settings.upload_max_bytes
    try:
        content = await uploads.read_upload(upload, limit, "file")
        prepared = await uploads.clean_image(
            content, field="file", max_bytes=limit, filename=upload.filename
        )
    except AllmendeError as exc:
        errors_from(exc, translate, form)
        return await run_in_threadpool(again, exc.status)
    folder = data_dir(request)
    name = await run_in_threadpool(files.store, folder, prepared)
    placed = layer.model_copy(update={"bounds": bounds})

    def refused(session: Session, error: AllmendeError) -> Response:
        files.remove(folder, [name])
        errors_from(error, translate, form)
        return _plans_page(request, session, principal, process_id, plan_form=form, status=422)

    try:
        return await write_or_refuse(
            request,
            lambda s: plans.add_plan_image(
                s,
                principal=principal,
                process_id=process_id,
                layer=placed,
                original_name=upload.filename or "plan",
                stored_name=name,
                prepared=prepared,
            ),
            done=lambda _: redirect(request, f"/participation/{process_id}/plans", notice="saved"),
            refused=refused,
        )
    except BaseException:
        await run_in_threadpool(files.remove, folder, [name])
        raise


@pages.post("/participation/layers/{layer_id:int}/delete")
async def delete_layer_submit(request: Request, layer_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return _sign_in(request)
    await read_form(request)
    process_id, name = await app_context(request).database.awrite(
        lambda s: plans.remove_layer(s, principal=principal, layer_id=layer_id)
    )
    if name is not None:
        await run_in_threadpool(files.remove, data_dir(request), [name])
    return redirect(request, f"/participation/{process_id}/plans", notice="saved")


# --- drafts ---------------------------------------------------------------------------------------


def _draft(values: dict[str, str], form: Form, translate: Translate) -> DraftIn | None:
    """The draft of the form; facts are lines of "name: value"."""
    facts: dict[str, str] = {}
    for line in values.get(f"{DRAFT}facts", "").splitlines():
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            form.errors[f"{DRAFT}facts"] = translate("Write each fact as “name: value”.")
            break
        facts[name.strip()] = value.strip()
    try:
        draft = DraftIn(
            title=values.get(f"{DRAFT}title", "").strip(),
            summary=values.get(f"{DRAFT}summary", "").strip(),
            facts=facts,
        )
    except ValidationError as exc:
        checked = errors_from_validation(exc, translate, Form())
        for name, message in checked.errors.items():
            form.errors.setdefault(DRAFT + name.split(".")[0], message)
        return None
    return None if form.failed else draft


def _draft_values(draft: DraftRead) -> dict[str, str]:
    return {
        f"{DRAFT}title": draft.title,
        f"{DRAFT}summary": draft.summary,
        f"{DRAFT}facts": "\n".join(f"{k}: {v}" for k, v in draft.facts.items()),
    }


@pages.post("/participation/{process_id:int}/drafts")
async def add_draft_submit(request: Request, process_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return _sign_in(request)
    values = form_strings(await read_form(request))
    translate = translator(request)
    form = Form(values=values)

    def write(session: Session) -> DraftRead:
        processes.moderated_process(session, principal=principal, process_id=process_id)
        draft = _draft(values, form, translate)
        if draft is None:
            raise ValidationFailed(detail="form")
        return plans.create_draft(session, principal=principal, process_id=process_id, data=draft)

    def refused(session: Session, error: AllmendeError) -> Response:
        if not form.failed:
            errors_from(error, translate, form)
        return _plans_page(request, session, principal, process_id, draft_form=form, status=422)

    return await write_or_refuse(
        request,
        write,
        done=lambda _: redirect(request, f"/participation/{process_id}/plans", notice="saved"),
        refused=refused,
    )


def _draft_page(
    request: Request, session: Session, principal: Principal, draft_id: int, form: Form | None
) -> Response:
    translate = translator(request)
    draft = plans.moderated_draft(session, principal=principal, draft_id=draft_id)
    process_id = plans.process_of_draft(session, draft_id=draft_id)
    form = form or Form(values=_draft_values(draft))
    labels = _draft_labels(translate)
    return render(
        request,
        "participation/draft_editor.html",
        {
            "draft": draft,
            "process_id": process_id,
            "form": form,
            "labels": labels,
            "summary": summary(form, translate, labels),
        },
        status_code=422 if form.failed else 200,
    )


@pages.get("/participation/drafts/{draft_id:int}/edit")
def edit_draft(request: Request, draft_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return _sign_in(request)
    with app_context(request).database.session() as session:
        return _draft_page(request, session, principal, draft_id, None)


@pages.post("/participation/drafts/{draft_id:int}/edit")
async def edit_draft_submit(request: Request, draft_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return _sign_in(request)
    values = form_strings(await read_form(request))
    translate = translator(request)
    form = Form(values=values)

    def write(session: Session) -> int:
        plans.moderated_draft(session, principal=principal, draft_id=draft_id)
        draft = _draft(values, form, translate)
        if draft is None:
            raise ValidationFailed(detail="form")
        plans.update_draft(session, principal=principal, draft_id=draft_id, data=draft)
        return plans.process_of_draft(session, draft_id=draft_id)

    def refused(session: Session, error: AllmendeError) -> Response:
        if not form.failed:
            errors_from(error, translate, form)
        return _draft_page(request, session, principal, draft_id, form)

    return await write_or_refuse(
        request,
        write,
        done=lambda process_id: redirect(
            request, f"/participation/{process_id}/plans", notice="saved"
        ),
        refused=refused,
    )


@pages.post("/participation/drafts/{draft_id:int}/delete")
async def delete_draft_submit(request: Request, draft_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return _sign_in(request)
    await read_form(request)

    def delete(session: Session) -> int:
        process_id = plans.process_of_draft(session, draft_id=draft_id)
        plans.delete_draft(session, principal=principal, draft_id=draft_id)
        return process_id

    process_id = await app_context(request).database.awrite(delete)
    return redirect(request, f"/participation/{process_id}/plans", notice="saved")
