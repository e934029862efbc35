"""Staff pages: inspections due and their recording, work orders, the report inbox, booking
requests and report categories."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from allmende.modules.assets import exports, files
from allmende.modules.assets.bookings import service as bookings
from allmende.modules.assets.catalogue import (
    ASSIGNEE_KINDS,
    LOCAL_ZONE,
    N_,
    OPEN_STATES,
    PRIORITIES,
    REPORT_STATES,
    WORK_ORDER_STATUSES,
)
from allmende.modules.assets.inspections import service as inspections
from allmende.modules.assets.maintenance import service as workorders
from allmende.modules.assets.models import AssetObject, Report, ReportService, WorkOrder
from allmende.modules.assets.pages import (
    editable_municipalities,
    field_errors,
    local_datetime,
    pages,
    redirect,
    render,
    staff_page,
    text,
    translate,
    translated_options,
    validated,
)
from allmende.modules.assets.register import service as objects
from allmende.modules.assets.reports import placing
from allmende.modules.assets.reports import service as report_rules
from allmende.modules.assets.schemas import (
    BookingDecision,
    DefectIn,
    InspectionCreate,
    ItemResult,
    ReportUpdate,
    WorkOrderCreate,
    WorkOrderFromReport,
    WorkOrderUpdate,
)
from allmende.modules.assets.service import (
    Actor,
    all_municipalities,
    maintenance_counts,
    may_read_internal,
    municipality_names,
    municipality_or_none,
)
from allmende.sdk import (
    GEOJSON_MEDIA_TYPE,
    AllmendeError,
    Caller,
    Conflict,
    Forbidden,
    PayloadTooLarge,
    Principal,
    RowId,
    UnsupportedMediaType,
    ValidationFailed,
    app_context,
    form_strings,
    geometry_to_geojson,
    local_path,
    page_of,
    parse_date,
    read_form,
    uploads,
    utcnow,
    write_or_refuse,
)


def _municipality_filter(session: Session, key: str | None) -> int | None:
    found = municipality_or_none(session, key) if key else None
    return found.id if found is not None else None


def _export_context(
    request: Request, session: Session, principal: Principal, statuses: list[tuple[str, str]]
) -> dict[str, Any]:
    """The export form: the caller's municipalities, statuses, categories, this month."""
    today = utcnow().astimezone(LOCAL_ZONE).date()
    return {
        "export_municipalities": editable_municipalities(session, principal),
        "export_statuses": statuses,
        "export_categories": placing.region_categories(session),
        "export_start": today.replace(day=1).isoformat(),
        "export_end": today.isoformat(),
    }


# --- inspections due ------------------------------------------------------------------------

#: Inspections a page of the due list, the most overdue first (about a crew's week).
DUE_PAGE_SIZE = 25


@pages.get("/maintenance")
def maintenance_page(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40),
    within: int = Query(7, ge=0, le=366),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        mid = _municipality_filter(session, municipality)
        due = inspections.due(
            session, principal=principal, now=utcnow(), horizon_days=within, municipality_id=mid
        )
        shown = page_of(due, page, DUE_PAGE_SIZE)
        query = urlencode({"municipality": municipality or "", "within": within})
        return render(
            request,
            "assets/maintenance.html",
            {
                "due": shown.items,
                "total": shown.total,
                "page": shown.number,
                "pages": shown.pages,
                "query": query,
                "within": within,
                "municipality": municipality or "",
                "municipalities": editable_municipalities(session, principal)
                or all_municipalities(session),
                "place_names": municipality_names(session),
                "counts": maintenance_counts(session, principal=principal, municipality_id=mid),
            },
        )


def _inspection_values(plan: Any) -> dict[str, str]:
    values = {"performed_at": ""}
    if plan is not None:
        for item in plan.checklist:
            values[f"item.{item['code']}"] = "ok"
    return values


def _inspect_page(
    request: Request,
    session: Session,
    obj: AssetObject,
    plan: Any,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "assets/inspect.html",
        {
            "obj": obj,
            "plan": plan,
            "plans": inspections.plans_for(session, obj),
            "values": values,
            "errors": errors,
            "priority_options": translated_options(request, PRIORITIES),
        },
        status_code=status_code,
    )


@pages.get("/assets/{object_id}/inspect")
def inspect_page(
    request: Request,
    object_id: RowId,
    principal: Caller,
    plan: int | None = Query(None, ge=1, le=2**63 - 1),
) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        obj = objects.editable_object(session, principal=principal, object_id=object_id)
        chosen = next((p for p in inspections.plans_for(session, obj) if p.id == plan), None)
        return _inspect_page(request, session, obj, chosen, _inspection_values(chosen), {})


@pages.post("/assets/{object_id}/inspect")
async def inspect_submit(
    request: Request,
    object_id: RowId,
    principal: Caller,
    plan: int | None = Query(None, ge=1, le=2**63 - 1),
) -> Response:
    form = await read_form(request)
    context = app_context(request)
    with context.database.session() as session:
        obj = objects.editable_object(session, principal=principal, object_id=object_id)
        chosen = next((p for p in inspections.plans_for(session, obj) if p.id == plan), None)
    try:
        items = []
        if chosen is not None:
            for item in chosen.checklist:
                code = item["code"]
                items.append(
                    validated(
                        ItemResult,
                        code=code,
                        result=text(form, f"item.{code}") or "ok",
                        note=text(form, f"note.{code}"),
                        priority=text(form, f"priority.{code}") or None,
                    )
                )
        defects = []
        if text(form, "defect"):
            defects.append(
                validated(
                    DefectIn,
                    description=text(form, "defect"),
                    priority=text(form, "defect_priority") or "medium",
                )
            )
        body = validated(
            InspectionCreate,
            plan_id=chosen.id if chosen else None,
            kind=None if chosen else "other",
            performed_at=local_datetime(text(form, "performed_at"), "performed_at"),
            inspector=text(form, "inspector") or None,
            items=items,
            defects=defects,
            notes=text(form, "notes"),
            close_object=form.get("close_object") == "on",
        )
        limit = context.settings.upload_max_bytes
        photos = []
        for upload in form.getlist("photos"):
            if isinstance(upload, UploadFile) and upload.filename:
                data = await uploads.read_upload(upload, limit, "photos")
                photos.append(
                    await uploads.clean_image(
                        data, field="photos", max_bytes=limit, filename=upload.filename
                    )
                )
        paths = [files.save(context.settings.data_dir, p) for p in photos]

        def run(session: Session) -> inspections.Recorded:
            done = inspections.record_inspection(
                session, principal=principal, object_id=object_id, data=body
            )
            for prepared, path in zip(photos, paths, strict=True):
                files.attach(
                    session,
                    actor=Actor.of(principal),
                    municipality_id=done.inspection.municipality_id,
                    kind="photo",
                    upload=prepared,
                    path=path,
                    title="",
                    public=False,
                    inspection=done.inspection,
                )
            return done

        try:
            done = await context.database.awrite(run)
        except BaseException:
            for path in paths:
                files.remove(context.settings.data_dir, path)
            raise
    except (ValidationFailed, PayloadTooLarge, UnsupportedMediaType) as exc:
        with context.database.session() as session:
            errors = {_inspection_field(k, chosen): v for k, v in field_errors(exc).items()}
            return _inspect_page(
                request, session, obj, chosen, form_strings(form), errors, status_code=exc.status
            )
    message = "inspection-order" if done.work_orders else "inspection"
    return redirect(request, f"/assets/{object_id}#inspections", message)


def _inspection_field(name: str, plan: Any) -> str:
    """``items[2].note`` → ``note.<code>`` so the error sits at its form field."""
    if name.startswith("items[") and plan is not None:
        index = int(name[6 : name.index("]")])
        rest = name[name.index("]") + 2 :]
        code = plan.checklist[index]["code"] if index < len(plan.checklist) else ""
        return f"{'item' if rest in ('result', 'code') else rest}.{code}"
    if name.startswith("defects["):
        return "defect"
    return name


# --- work orders ----------------------------------------------------------------------------


@pages.get("/maintenance/work-orders")
def work_orders_page(
    request: Request,
    principal: Caller,
    status: str | None = Query(None, max_length=12),
    municipality: str | None = Query(None, max_length=40),
) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        mid = _municipality_filter(session, municipality)
        wanted = status if status in WORK_ORDER_STATUSES else None
        found = workorders.list_work_orders(
            session,
            principal=principal,
            f=workorders.WorkOrderFilter(
                municipality_id=mid, status=wanted, open_only=status is None
            ),
            limit=500,
        )
        return render(
            request,
            "assets/work_orders.html",
            {
                "orders": workorders.work_order_read(session, found),
                "status": status or "",
                "status_options": translated_options(request, WORK_ORDER_STATUSES),
                **_export_context(
                    request, session, principal, translated_options(request, WORK_ORDER_STATUSES)
                ),
            },
        )


def _order_form(
    request: Request,
    template: str,
    values: dict[str, str],
    errors: dict[str, str],
    extra: dict[str, Any],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        template,
        {
            "values": values,
            "errors": errors,
            "status_options": translated_options(request, WORK_ORDER_STATUSES),
            "assignee_options": translated_options(request, ASSIGNEE_KINDS),
            **extra,
        },
        status_code=status_code,
    )


def _date(form: Any, name: str) -> date | None:
    raw = text(form, name)
    return parse_date(raw, field=name) if raw else None


def _cost(form: Any) -> str | None:
    raw = text(form, "cost").replace(",", ".")
    return raw or None


@pages.get("/maintenance/work-orders/new")
def new_work_order_page(
    request: Request, principal: Caller, object: int | None = Query(None, ge=1, le=2**63 - 1)
) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        obj = (
            objects.editable_object(session, principal=principal, object_id=object)
            if object
            else None
        )
        return _order_form(
            request,
            "assets/work_order_form.html",
            {"assignee_kind": "internal"},
            {},
            {
                "obj": obj,
                "municipality_options": [
                    (m.key, m.name) for m in editable_municipalities(session, principal)
                ],
            },
        )


@pages.post("/maintenance/work-orders/new")
async def new_work_order_submit(
    request: Request, principal: Caller, object: int | None = Query(None, ge=1, le=2**63 - 1)
) -> Response:
    form = await read_form(request)
    context = app_context(request)
    try:
        body = validated(
            WorkOrderCreate,
            municipality=text(form, "municipality") or None,
            object_id=object,
            title=text(form, "title"),
            description=text(form, "description"),
            assignee_kind=text(form, "assignee_kind") or "internal",
            assignee=text(form, "assignee"),
            due_on=_date(form, "due_on"),
            cost=_cost(form),
        )
        order = await context.database.awrite(
            lambda s: workorders.create_work_order(s, principal=principal, data=body)
        )
    except ValidationFailed as exc:
        with context.database.session() as session:
            obj = session.get(AssetObject, object) if object else None
            return _order_form(
                request,
                "assets/work_order_form.html",
                form_strings(form),
                field_errors(exc),
                {
                    "obj": obj,
                    "municipality_options": [
                        (m.key, m.name) for m in editable_municipalities(session, principal)
                    ],
                },
                422,
            )
    return redirect(request, f"/maintenance/work-orders/{order.id}", "work-order")


def _work_order_extra(session: Session, principal: Principal, order_id: int) -> dict[str, Any]:
    order = workorders.get_work_order(session, principal=principal, order_id=order_id)
    read = workorders.work_order_read(session, [order])[0]
    found = report_rules.list_reports(
        session, principal=principal, f=report_rules.ReportFilter(ids=read.report_ids)
    )
    defects = (
        inspections.list_defects(session, principal=principal, object_id=order.object_id)
        if order.object_id
        else []
    )
    return {
        "order": read,
        "reports": found,
        "defects": [d for d in defects if d.work_order_id == order.id],
    }


def _order_values(order: Any) -> dict[str, str]:
    return {
        "status": order.status,
        "assignee_kind": order.assignee_kind,
        "assignee": order.assignee,
        "due_on": order.due_on.isoformat() if order.due_on else "",
        "cost": f"{order.cost:.2f}" if order.cost is not None else "",
        "completion_note": order.completion_note,
    }


@pages.get("/maintenance/work-orders/{order_id}")
def work_order_page(request: Request, order_id: RowId, principal: Caller) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        extra = _work_order_extra(session, principal, order_id)
        return _order_form(
            request, "assets/work_order.html", _order_values(extra["order"]), {}, extra
        )


@pages.post("/maintenance/work-orders/{order_id}")
async def work_order_submit(request: Request, order_id: RowId, principal: Caller) -> Response:
    form = await read_form(request)

    def write(session: Session) -> None:
        body = validated(
            WorkOrderUpdate,
            status=text(form, "status") or None,
            assignee_kind=text(form, "assignee_kind") or None,
            assignee=text(form, "assignee"),
            due_on=_date(form, "due_on"),
            cost=_cost(form),
            completion_note=text(form, "completion_note"),
        )
        workorders.update_work_order(session, principal=principal, order_id=order_id, data=body)

    def refused(session: Session, exc: AllmendeError) -> Response:
        extra = _work_order_extra(session, principal, order_id)
        return _order_form(
            request, "assets/work_order.html", form_strings(form), field_errors(exc), extra, 422
        )

    return await write_or_refuse(
        request,
        write,
        done=lambda _: redirect(request, f"/maintenance/work-orders/{order_id}", "saved"),
        refused=refused,
    )


# --- the report inbox -----------------------------------------------------------------------


def _listed_reports(
    session: Session, principal: Principal, state: str | None, municipality: str | None
) -> tuple[list[Report], dict[int, ReportService]]:
    """The staff list's reports under its filters: open ones unless a state (or "all") is
    chosen, of one municipality where one is named."""
    mid = _municipality_filter(session, municipality)
    states = (state,) if state in REPORT_STATES else (OPEN_STATES if not state else None)
    return report_rules.inbox(session, principal=principal, states=states, municipality_id=mid)


@pages.get("/maintenance/reports")
def staff_reports_page(
    request: Request,
    principal: Caller,
    state: str | None = Query(None, max_length=20),
    municipality: str | None = Query(None, max_length=40),
) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        found, services = _listed_reports(session, principal, state, municipality)
        filters = urlencode(
            {k: v for k, v in (("state", state), ("municipality", municipality)) if v}
        )
        return render(
            request,
            "assets/staff_reports.html",
            {
                "reports": found,
                "services": services,
                "map_url": "/maintenance/reports/map.geojson" + (f"?{filters}" if filters else ""),
                "state": state or "",
                "state_options": [
                    ("all", translate(request)(N_("all states"))),
                    *translated_options(request, REPORT_STATES),
                ],
                "place_names": municipality_names(session),
                **_export_context(
                    request,
                    session,
                    principal,
                    [
                        ("open", translate(request)(N_("open"))),
                        ("closed", translate(request)(N_("closed"))),
                        *translated_options(request, REPORT_STATES),
                    ],
                ),
            },
        )


# Before "/maintenance/reports/{report_id}", which would take "map.geojson" for a number.
@pages.get("/maintenance/reports/map.geojson")
def staff_reports_map(
    request: Request,
    principal: Caller,
    state: str | None = Query(None, max_length=20),
    municipality: str | None = Query(None, max_length=40),
) -> Response:
    """The places of the reports the list shows under the same filters."""
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        found, services = _listed_reports(session, principal, state, municipality)
        items = exports.inbox_map(found, services)
    return _map_answer(request, items)


def _staff_report(
    request: Request,
    session: Session,
    principal: Principal,
    report_id: int,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    report = report_rules.get_report(session, principal=principal, report_id=report_id)
    if not may_read_internal(principal, report.municipality_id):
        raise Forbidden(detail="Only staff of the report's municipality may handle it.")
    read = report_rules.report_reads(session, principal, [report])[0]
    obj = session.get(AssetObject, report.object_id) if report.object_id else None
    order = session.get(WorkOrder, report.work_order_id) if report.work_order_id else None
    return render(
        request,
        "assets/staff_report.html",
        {
            "report": read,
            "obj": obj,
            "order": order,
            "values": values,
            "errors": errors,
            "state_options": translated_options(request, REPORT_STATES),
            "assignee_options": translated_options(request, ASSIGNEE_KINDS),
            "channel": report.channel,
            "answers": report_rules.answers(session, report),
            "forward_options": placing.forward_targets(session, report.municipality_id),
        },
        status_code=status_code,
    )


@pages.get("/maintenance/reports/{report_id}")
def staff_report_page(request: Request, report_id: RowId, principal: Caller) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        return _staff_report(
            request,
            session,
            principal,
            report_id,
            {"assignee_kind": "internal"},
            {},
        )


@pages.post("/maintenance/reports/{report_id}")
async def staff_report_submit(request: Request, report_id: RowId, principal: Caller) -> Response:
    form = await read_form(request)

    def write(session: Session) -> None:
        body = validated(
            ReportUpdate,
            state=text(form, "state") or None,
            note=text(form, "note"),
            note_public=form.get("note_public") == "on",
        )
        report_rules.update_report(session, principal=principal, report_id=report_id, data=body)

    return await write_or_refuse(
        request,
        write,
        done=lambda _: redirect(request, f"/maintenance/reports/{report_id}", "report"),
        refused=lambda session, exc: _staff_report(
            request, session, principal, report_id, form_strings(form), field_errors(exc), 422
        ),
    )


@pages.post("/maintenance/reports/{report_id}/work-order")
async def staff_report_order(request: Request, report_id: RowId, principal: Caller) -> Response:
    form = await read_form(request)

    def write(session: Session) -> int:
        body = validated(
            WorkOrderFromReport,
            title=text(form, "title") or None,
            assignee_kind=text(form, "assignee_kind") or "internal",
            assignee=text(form, "assignee"),
            due_on=_date(form, "due_on"),
        )
        order = workorders.from_report(session, principal=principal, report_id=report_id, data=body)
        return order.id

    return await write_or_refuse(
        request,
        write,
        done=lambda order_id: redirect(
            request, f"/maintenance/work-orders/{order_id}", "work-order"
        ),
        refused=lambda session, exc: _staff_report(
            request, session, principal, report_id, form_strings(form), field_errors(exc), 422
        ),
    )


@pages.post("/maintenance/reports/{report_id}/forward")
async def staff_report_forward(request: Request, report_id: RowId, principal: Caller) -> Response:
    form = await read_form(request)
    context = app_context(request)
    try:
        await context.database.awrite(
            lambda s: placing.forward(
                s,
                principal=principal,
                report_id=report_id,
                municipality=text(form, "municipality"),
                note=text(form, "forward_note"),
            )
        )
    except (ValidationFailed, Conflict) as exc:
        errors = {"forward_note" if k == "note" else k: v for k, v in field_errors(exc).items()}
        with context.database.session() as session:
            return _staff_report(
                request, session, principal, report_id, form_strings(form), errors, exc.status
            )
    return redirect(request, "/maintenance/reports", "forwarded")


def _map_link(request: Request, item: exports.MapItem) -> dict[str, str]:
    if item.report_id is not None:
        return {"url": local_path(request, f"/maintenance/reports/{item.report_id}")}
    if item.object_id is not None:
        return {"url": local_path(request, f"/assets/{item.object_id}")}
    return {}


def _map_answer(request: Request, items: list[exports.MapItem]) -> Response:
    features = [
        {
            "type": "Feature",
            "geometry": geometry_to_geojson(item.geom),
            "properties": {"name": item.name} | _map_link(request, item),
        }
        for item in items
    ]
    return JSONResponse(
        {"type": "FeatureCollection", "features": features}, media_type=GEOJSON_MEDIA_TYPE
    )


@pages.get("/maintenance/reports/{report_id}/map.geojson")
def staff_report_map(request: Request, report_id: RowId, principal: Caller) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        items = exports.report_map(session, principal=principal, report_id=report_id)
    return _map_answer(request, items)


@pages.get("/maintenance/work-orders/{order_id}/map.geojson")
def work_order_map(request: Request, order_id: RowId, principal: Caller) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        items = exports.work_order_map(session, principal=principal, order_id=order_id)
    return _map_answer(request, items)


# --- bookings and categories ----------------------------------------------------------------


@pages.get("/maintenance/bookings")
def staff_bookings_page(request: Request, principal: Caller) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        found = bookings.list_bookings(
            session,
            principal=principal,
            f=bookings.BookingFilter(start=utcnow()),
            limit=500,
        )
        internal = [b for b in found if b.status in ("requested", "approved")]
        reads = bookings.booking_reads(session, principal, internal)
        return render(
            request,
            "assets/staff_bookings.html",
            {
                "requested": [
                    r for r in reads if r.status == "requested" and r.conflicts is not None
                ],
                "approved": [
                    r for r in reads if r.status == "approved" and r.conflicts is not None
                ],
                "titles": {b.id: b.title for b in internal},
            },
        )


@pages.post("/maintenance/bookings/{booking_id}")
async def staff_booking_decision(
    request: Request, booking_id: RowId, principal: Caller
) -> Response:
    form = await read_form(request)
    body = validated(BookingDecision, decision=text(form, "decision"), note=text(form, "note"))
    await app_context(request).database.awrite(
        lambda s: bookings.decide(s, principal=principal, booking_id=booking_id, data=body)
    )
    return redirect(request, "/maintenance/bookings", "decided")


@pages.get("/maintenance/categories")
def categories_page(request: Request, principal: Caller) -> Response:
    if (early := staff_page(request, principal)) is not None:
        return early
    with app_context(request).database.session() as session:
        allowed = editable_municipalities(session, principal)
        found = [
            s
            for s in report_rules.list_services(session, active_only=False)
            if s.municipality_id in {m.id for m in allowed}
        ]
        return render(
            request,
            "assets/categories.html",
            {
                "services": found,
                "municipalities": allowed,
                "place_names": municipality_names(session),
            },
        )


@pages.post("/maintenance/categories")
async def categories_defaults(request: Request, principal: Caller) -> Response:
    form = await read_form(request)
    context = app_context(request)

    def run(session: Session) -> None:
        m = municipality_or_none(session, text(form, "municipality"))
        if m is None:
            raise ValidationFailed.one("municipality", N_("choose a municipality"))
        report_rules.add_default_services(session, principal=principal, municipality_id=m.id)

    await context.database.awrite(run)
    return redirect(request, "/maintenance/categories", "categories")
