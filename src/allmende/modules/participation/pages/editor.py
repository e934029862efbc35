"""Staff edit processes in the browser: the process with its phases, and from the cockpit the
FAQ, on-site appointments and GeoJSON plan layers. Drafts and surveys have the JSON API."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from allmende.modules.participation import plans, processes
from allmende.modules.participation.pages.common import (
    LOCAL_TIME,
    Form,
    errors_from,
    errors_from_validation,
    redirect,
    refusal,
    render,
    summary,
)
from allmende.modules.participation.schemas import (
    EventIn,
    FaqIn,
    LayerIn,
    PhaseIn,
    ProcessCreate,
    ProcessDetail,
    ProcessUpdate,
)
from allmende.modules.participation.service import Act
from allmende.modules.participation.web import Translate, translator
from allmende.sdk import (
    AllmendeError,
    Caller,
    Forbidden,
    Municipality,
    Principal,
    RowId,
    ValidationFailed,
    app_context,
    form_strings,
    is_digits,
    json_loads,
    local_path,
    parse_date,
    parse_local_datetime,
)

pages = APIRouter(include_in_schema=False)
PHASE_ROWS = 6
MAX_LAYER_BYTES = 5 * 1024 * 1024


def _sign_in(request: Request) -> Response:
    return RedirectResponse(local_path(request, f"/login?next={request.url.path}"), status_code=303)


def _municipalities(request: Request, principal: Principal) -> list[Municipality]:
    """Where the caller may start processes: their municipalities (admins: all)."""
    with app_context(request).database.session() as session:
        return processes.startable_municipalities(session, principal=principal)


def _day(value: datetime) -> str:
    return value.astimezone(LOCAL_TIME).date().isoformat()


def _values(detail: ProcessDetail) -> dict[str, str]:
    values = {
        "title": detail.title,
        "summary": detail.summary,
        "description": detail.description,
        "object_name": detail.object_name or "",
        "contact": detail.contact,
        "categories": "\n".join(detail.categories),
        "area": json.dumps(detail.area) if detail.area else "",
        "public": "yes" if detail.public else "",
        "allow_anonymous": "yes" if detail.allow_anonymous else "",
    }
    for index, phase in enumerate(detail.phases[:PHASE_ROWS]):
        values[f"phases.{index}.title"] = phase.title
        values[f"phases.{index}.starts_at"] = _day(phase.starts_at)
        # The form shows the last day; the phase ends at midnight after it.
        values[f"phases.{index}.ends_at"] = _day(phase.ends_at - timedelta(seconds=1))
        values[f"phases.{index}.allows"] = " ".join(phase.allows)
    return values


def _local_midnight(text: str, field: str) -> datetime:
    return datetime.combine(parse_date(text, field=field), time(0), tzinfo=LOCAL_TIME)


def _phases(data: FormData, form: Form, translate: Translate) -> tuple[list[PhaseIn], list[int]]:
    """The filled rows as phases, and for each the row it came from (for the error messages)."""
    phases: list[PhaseIn] = []
    rows: list[int] = []
    for row in range(PHASE_ROWS):
        prefix = f"phases.{row}"
        title = str(data.get(f"{prefix}.title") or "").strip()
        start = str(data.get(f"{prefix}.starts_at") or "")
        end = str(data.get(f"{prefix}.ends_at") or "")
        allows = [v for v in data.getlist(f"{prefix}.allows") if isinstance(v, str)]
        form.values[f"{prefix}.allows"] = " ".join(allows)
        if not (title or start or end):
            continue
        try:
            starts_at = _local_midnight(start, f"{prefix}.starts_at")
        except ValidationFailed:
            form.errors[f"{prefix}.starts_at"] = translate("Please enter a date.")
            continue
        try:
            ends_at = _local_midnight(end, f"{prefix}.ends_at") + timedelta(days=1)
        except ValidationFailed:
            form.errors[f"{prefix}.ends_at"] = translate("Please enter a date.")
            continue
        try:
            phases.append(
                PhaseIn(
                    title=title,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    allows=[a for a in allows if a in Act.__members__.values()],
                )
            )
            rows.append(row)
        except ValidationError:
            form.errors[f"{prefix}.title"] = translate("Please fill in this field.")
    return phases, rows


def _with_rows(form: Form, rows: list[int]) -> None:
    """Errors name phases by their place in the list; the form by its row."""
    renamed: dict[str, str] = {}
    for name, message in form.errors.items():
        parts = name.split(".")
        if (
            parts[0] == "phases"
            and len(parts) > 2
            and is_digits(parts[1])
            and int(parts[1]) < len(rows)
        ):
            parts[1] = str(rows[int(parts[1])])
        renamed[".".join(parts)] = message
    form.errors = renamed


def _fields(data: FormData, form: Form, translate: Translate) -> dict[str, Any]:
    values = form.values
    area_text = values.get("area", "").strip()
    area: Any = None
    if area_text:
        try:
            area = json_loads(area_text)
        except ValueError:
            form.errors["area"] = translate("This is not GeoJSON.")
    return {
        "title": values.get("title", "").strip(),
        "summary": values.get("summary", "").strip(),
        "description": values.get("description", "").strip(),
        "object_name": values.get("object_name", "").strip() or None,
        "contact": values.get("contact", "").strip(),
        "categories": [c.strip() for c in values.get("categories", "").splitlines() if c.strip()],
        "area": area,
        "public": values.get("public") == "yes",
        "allow_anonymous": values.get("allow_anonymous") == "yes",
    }


def _editor(
    request: Request,
    principal: Principal,
    form: Form,
    *,
    process: ProcessDetail | None,
    status: int = 200,
) -> Response:
    translate = translator(request)
    labels = {
        "municipality": translate("Municipality"),
        "title": translate("Title"),
        "summary": translate("Summary in plain language"),
        "description": translate("What is planned"),
        "object_name": translate("Place (name in the object register)"),
        "categories": translate("Categories for contributions"),
        "contact": translate("Contact"),
        "area": translate("Area of the process"),
    }
    for row in range(PHASE_ROWS):
        labels[f"phases.{row}.title"] = translate("Phase %(n)d: title") % {"n": row + 1}
        labels[f"phases.{row}.starts_at"] = translate("Phase %(n)d: first day") % {"n": row + 1}
        labels[f"phases.{row}.ends_at"] = translate("Phase %(n)d: last day") % {"n": row + 1}
    return render(
        request,
        "participation/editor.html",
        {
            "process": process,
            "form": form,
            "labels": labels,
            "summary": summary(form, translate, labels),
            "municipalities": _municipalities(request, principal) if process is None else [],
            "rows": range(PHASE_ROWS),
            "acts": [(a.value, a) for a in Act],
        },
        status_code=status,
    )


@pages.get("/participation/new")
def new_process(request: Request, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return _sign_in(request)
    if not _municipalities(request, principal):
        raise Forbidden(detail="Only staff of a municipality start participation processes.")
    return _editor(request, principal, Form(values={"allow_anonymous": "yes"}), process=None)


@pages.post("/participation/new")
async def new_process_submit(request: Request, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return _sign_in(request)
    data = await request.form()
    translate = translator(request)
    form = Form(values=form_strings(data))
    fields = _fields(data, form, translate)
    phases, rows = _phases(data, form, translate)
    status = 422
    if not form.failed:
        try:
            body = ProcessCreate(
                municipality=form.values.get("municipality", ""), phases=phases, **fields
            )
            created = await app_context(request).database.awrite(
                lambda s: processes.create_process(s, principal=principal, data=body)
            )
        except ValidationError as exc:
            errors_from_validation(exc, translate, form)
        except AllmendeError as exc:
            errors_from(exc, translate, form)
            status = exc.status
        else:
            return redirect(request, f"/participation/{created.id}/cockpit", notice="saved")
    _with_rows(form, rows)
    return await run_in_threadpool(_editor, request, principal, form, process=None, status=status)


def _detail(request: Request, principal: Principal, process_id: int) -> ProcessDetail:
    with app_context(request).database.session() as session:
        processes.moderated_process(session, principal=principal, process_id=process_id)
        return processes.process_detail(session, principal=principal, process_id=process_id)


@pages.get("/participation/{process_id:int}/edit")
def edit_process(request: Request, process_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return _sign_in(request)
    detail = _detail(request, principal, process_id)
    return _editor(request, principal, Form(values=_values(detail)), process=detail)


@pages.post("/participation/{process_id:int}/edit")
async def edit_process_submit(request: Request, process_id: RowId, principal: Caller) -> Response:
    if not principal.is_authenticated:
        return _sign_in(request)
    data = await request.form()
    translate = translator(request)
    form = Form(values=form_strings(data))
    fields = _fields(data, form, translate)
    phases, rows = _phases(data, form, translate)
    status = 422
    if not form.failed:
        try:
            body = ProcessUpdate(phases=phases, **fields)
            await app_context(request).database.awrite(
                lambda s: processes.update_process(
                    s, principal=principal, process_id=process_id, data=body
                )
            )
        except ValidationError as exc:
            errors_from_validation(exc, translate, form)
        except AllmendeError as exc:
            errors_from(exc, translate, form)
            status = exc.status
        else:
            return redirect(request, f"/participation/{process_id}/cockpit", notice="saved")
    _with_rows(form, rows)
    detail = await run_in_threadpool(_detail, request, principal, process_id)
    return await run_in_threadpool(_editor, request, principal, form, process=detail, status=status)


# --- from the cockpit: FAQ, appointments, plan layers ------------------------------------------


async def _add(request: Request, process_id: int, action: Any, notice: str) -> Response:
    """Run an addition from a cockpit form; a refusal is shown as an error page."""
    values = form_strings(await request.form())
    try:
        await app_context(request).database.awrite(lambda s: action(s, values))
    except ValidationError as exc:
        raise refusal(exc) from None
    return redirect(request, f"/participation/{process_id}/cockpit", notice=notice)


@pages.post("/participation/{process_id:int}/faq")
async def add_faq(request: Request, process_id: RowId, principal: Caller) -> Response:
    def add(session: Any, values: dict[str, str]) -> None:
        data = FaqIn(
            question=values.get("question", "").strip(), answer=values.get("answer", "").strip()
        )
        processes.create_faq(session, principal=principal, process_id=process_id, data=data)

    return await _add(request, process_id, add, "saved")


@pages.post("/participation/{process_id:int}/events")
async def add_event(request: Request, process_id: RowId, principal: Caller) -> Response:
    def add(session: Any, values: dict[str, str]) -> None:
        try:
            starts = parse_local_datetime(
                values.get("starts_at", ""), field="starts_at", zone=LOCAL_TIME
            )
        except ValidationFailed:
            raise ValidationFailed.one("starts_at", "Please enter a date and a time.") from None
        data = EventIn(
            title=values.get("title", "").strip(),
            description=values.get("description", "").strip(),
            starts_at=starts,
            place=values.get("place", "").strip(),
        )
        processes.create_event(session, principal=principal, process_id=process_id, data=data)

    return await _add(request, process_id, add, "saved")


@pages.post("/participation/{process_id:int}/layers")
async def add_layer(request: Request, process_id: RowId, principal: Caller) -> Response:
    """A plan layer from an uploaded GeoJSON file."""
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise ValidationFailed.one("file", "choose a GeoJSON file")
    content = await upload.read(MAX_LAYER_BYTES + 1)
    try:
        data = json_loads(content) if len(content) <= MAX_LAYER_BYTES else None
    except ValueError:
        data = None
    layer = LayerIn(
        title=str(form.get("title") or "").strip()[:200] or (upload.filename or "Plan")[:200],
        description=str(form.get("description") or "").strip()[:5000],
        kind="geojson",
        data=data if isinstance(data, dict) else {},
    )  # the service checks the FeatureCollection and names what is wrong
    await app_context(request).database.awrite(
        lambda s: plans.create_layer(s, principal=principal, process_id=process_id, data=layer)
    )
    return redirect(request, f"/participation/{process_id}/cockpit", notice="saved")
