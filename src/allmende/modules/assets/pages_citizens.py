"""Citizen pages: report a problem (works without JavaScript; a map picker where it runs),
the public report list and status pages, the calendar of squares and booking requests."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from allmende.modules.assets import bookings, files, objects
from allmende.modules.assets import reports as report_rules
from allmende.modules.assets.catalogue import CLOSED_STATES, LOCAL_ZONE, N_, OPEN_STATES
from allmende.modules.assets.models import (
    AssetObject,
    ObjectType,
    Report,
    ReportService,
    StoredFile,
)
from allmende.modules.assets.pages import (
    field_errors,
    form_of,
    form_strings,
    local_datetime,
    login_redirect,
    optional_float,
    pages,
    redirect,
    render,
    text,
    validated,
)
from allmende.modules.assets.schemas import BookingCreate
from allmende.modules.assets.service import Actor, municipality_names, not_found
from allmende.sdk import (
    AllmendeError,
    Caller,
    FieldError,
    Municipality,
    PayloadTooLarge,
    Principal,
    RateLimit,
    RowId,
    UnsupportedMediaType,
    ValidationFailed,
    absolute_url,
    app_context,
    geometry_to_geojson,
    local_path,
    rate_limit,
    uploads,
    utcnow,
)

#: Reports per client address and hour.
REPORTS = RateLimit("assets-reports", limit=20, window_seconds=3600)
OPEN311_FIELDS = {"service_code": "service", "long": "lon", "address_string": "address"}


# --- reporting ------------------------------------------------------------------------------


def _report_form(
    request: Request,
    session: Session,
    *,
    obj: AssetObject | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    services = report_rules.list_services(
        session, municipality_id=obj.municipality_id if obj else None
    )
    places = {m.id: m for m in session.scalars(select(Municipality).order_by(Municipality.name))}
    groups: dict[int, list[ReportService]] = defaultdict(list)
    for s in services:
        groups[s.municipality_id].append(s)
    obj_type = session.get(ObjectType, obj.type_id) if obj else None
    if obj_type is not None and not values.get("service"):
        match = next((s for s in services if obj_type.key in s.object_types), None)
        if match is not None:
            values = {**values, "service": str(match.id)}
    boxes = [m.geom.bounds for m in places.values() if m.geom is not None]
    bbox = (
        [
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        ]
        if boxes
        else None
    )
    return render(
        request,
        "assets/report_form.html",
        {
            "groups": [(places[mid], group) for mid, group in groups.items() if mid in places],
            "services": services,
            "obj": obj,
            "values": values,
            "errors": errors,
            "bbox": bbox,
            "limit_mb": round(app_context(request).settings.upload_max_bytes / 1024 / 1024, 1),
        },
        status_code=status_code,
    )


def _object_for_report(
    session: Session, principal: Principal, raw: str | int | None
) -> AssetObject | None:
    if raw is None or raw == "":
        return None
    if not str(raw).isdigit():
        raise ValidationFailed.one("object_id", N_("must be the number of an object"))
    try:
        obj = objects.get_object(session, principal=principal, object_id=int(raw))
    except AllmendeError as exc:
        raise ValidationFailed.one("object_id", f"no object {raw}") from exc
    return obj if obj.public else None


@pages.get("/reports/new")
def report_form_page(
    request: Request, principal: Caller, object: int | None = Query(None, ge=1, le=2**63 - 1)
) -> Response:
    with app_context(request).database.session() as session:
        obj = _object_for_report(session, principal, object)
        return _report_form(request, session, obj=obj, values={}, errors={})


def _attributes(form: FormData, service: ReportService) -> dict[str, str | list[str]]:
    prefix = f"attribute.{service.id}."
    answers: dict[str, str | list[str]] = {}
    for name in form:
        if name.startswith(prefix):
            values = [v for v in form.getlist(name) if isinstance(v, str)]
            answers[name[len(prefix) :]] = (
                values if len(values) > 1 else (values[0] if values else "")
            )
    return answers


def _form_field(name: str, service_id: int | None) -> str:
    if name.startswith("attribute[") and service_id is not None:
        return f"attribute.{service_id}.{name[10:-1]}"
    return OPEN311_FIELDS.get(name, name)


@pages.post("/reports/new")
async def report_submit(request: Request, principal: Caller) -> Response:
    form = await form_of(request)
    context = app_context(request)
    rate_limit(request, REPORTS)  # before any work, so that refused attempts cost nothing
    values = form_strings(form)
    service_id: int | None = None
    path: str | None = None
    obj: AssetObject | None = None

    def refused(exc: AllmendeError) -> Response:
        errors = {_form_field(k, service_id): v for k, v in field_errors(exc).items()}
        with context.database.session() as session:
            return _report_form(
                request, session, obj=obj, values=values, errors=errors, status_code=exc.status
            )

    try:
        with context.database.session() as session:
            try:
                obj = _object_for_report(session, principal, text(form, "object_id"))
            except ValidationFailed:
                obj = None
            raw = text(form, "service")
            service = session.get(ReportService, int(raw)) if raw.isdigit() else None
            if service is None or not service.active:
                raise ValidationFailed.one("service", N_("choose a category"))
            service_id = service.id
            description = text(form, "description")
            if len(description) < 3:
                raise ValidationFailed.one("description", N_("describe the problem in a few words"))
            lat, lon = optional_float(form, "lat"), optional_float(form, "lon")
            submission = report_rules.Submission(
                service_code=service.code,
                lat=lat,
                long=lon,
                address=text(form, "address") or None,
                description=description,
                attributes={
                    **_attributes(form, service),
                    **(
                        {"object_id": str(obj.id)}
                        if obj and obj.municipality_id == service.municipality_id
                        else {}
                    ),
                },
                email=text(form, "email") or None,
                phone=text(form, "phone") or None,
                user_id=principal.user_id,
                channel="web",
            )
        upload = form.get("photo")
        prepared = None
        if isinstance(upload, UploadFile) and upload.filename:
            limit = context.settings.upload_max_bytes
            prepared = await uploads.clean_image(
                await uploads.read_upload(upload, limit, "photo"),
                field="photo",
                max_bytes=limit,
                filename=upload.filename,
            )
    except (ValidationFailed, PayloadTooLarge, UnsupportedMediaType) as exc:
        return refused(exc)
    actor = Actor.of(principal) if principal.kind == "user" else Actor(None, "Bürgerin/Bürger")
    municipality_id = service.municipality_id
    if prepared is not None:
        path = await run_in_threadpool(files.save, context.settings.data_dir, prepared)

    def run(session: Session) -> Report:
        report = report_rules.submit(
            session, municipality_id=municipality_id, data=submission, actor=actor
        )
        if prepared is not None and path is not None:
            stored = files.attach(
                session,
                actor=actor,
                municipality_id=municipality_id,
                kind="photo",
                upload=prepared,
                path=path,
                title="",
                public=True,
                report=report,
            )
            # Open311 clients get the photo as an absolute media_url
            report.media_url = absolute_url(request, report_rules.photo_path(stored.id))
        return report

    try:
        report = await context.database.awrite(run)
    except ValidationFailed as exc:
        if path is not None:
            files.remove(context.settings.data_dir, path)
        return refused(exc)
    except BaseException:
        if path is not None:
            files.remove(context.settings.data_dir, path)
        raise
    return redirect(request, f"/reports/{report.id}", "received")


@pages.get("/reports")
def reports_page(
    request: Request, principal: Caller, status: str | None = Query(None, max_length=10)
) -> Response:
    with app_context(request).database.session() as session:
        states = OPEN_STATES if status == "open" else CLOSED_STATES if status == "closed" else None
        found = report_rules.list_reports(
            session,
            principal=principal,
            f=report_rules.ReportFilter(states=states, public_only=True),
            limit=100,
        )
        return render(
            request,
            "assets/reports.html",
            {
                "reports": report_rules.report_reads(session, Principal(), found),
                "status": status or "",
            },
        )


@pages.get("/reports/map.geojson")
def reports_map(request: Request, principal: Caller) -> Response:
    with app_context(request).database.session() as session:
        found = report_rules.list_reports(
            session, principal=principal, f=report_rules.ReportFilter(public_only=True), limit=500
        )
        services = {s.id: s for s in report_rules.list_services(session, active_only=False)}
        features = [
            {
                "type": "Feature",
                "geometry": geometry_to_geojson(r.geom),
                "properties": {
                    "name": f"#{r.id} {services[r.service_id].name}"
                    if r.service_id in services
                    else f"#{r.id}",
                    "url": local_path(request, f"/reports/{r.id}"),
                    "kind": "open" if r.state in OPEN_STATES else "closed",
                },
            }
            for r in found
            if r.geom is not None
        ]
    return JSONResponse(
        {"type": "FeatureCollection", "features": features}, media_type="application/geo+json"
    )


@pages.get("/reports/{report_id}")
def report_page(request: Request, report_id: RowId, principal: Caller) -> Response:
    with app_context(request).database.session() as session:
        report = session.scalar(
            select(Report).where(Report.id == report_id, Report.public.is_(True))
        )
        if report is None:
            raise not_found("report", report_id)
        read = report_rules.report_reads(session, Principal(), [report])[0]  # the public view
        obj = session.get(AssetObject, report.object_id) if report.object_id else None
        photo = session.scalar(
            select(StoredFile.id).where(
                StoredFile.report_id == report.id, StoredFile.kind == "photo"
            )
        )
        return render(
            request,
            "assets/report.html",
            {
                "report": read,
                "obj": obj if obj is not None and obj.public else None,
                "photo": photo,
                "received": request.query_params.get("msg") == "received",
            },
        )


# --- squares and their calendar -------------------------------------------------------------


def _month(raw: str | None) -> date:
    today = utcnow().astimezone(LOCAL_ZONE).date()
    if raw:
        try:
            year, month = (int(p) for p in raw.split("-", 1))
            return date(year, month, 1)
        except ValueError:
            pass
    return today.replace(day=1)


def _next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


@pages.get("/spaces")
def calendar_page(
    request: Request,
    principal: Caller,
    month: str | None = Query(None, max_length=7),
    space: int | None = Query(None, ge=1, le=2**63 - 1),
) -> Response:
    first = _month(month)
    after = _next_month(first)
    start = datetime.combine(first, datetime.min.time(), LOCAL_ZONE)
    end = datetime.combine(after, datetime.min.time(), LOCAL_ZONE)
    with app_context(request).database.session() as session:
        spaces = bookings.bookable_spaces(session, principal=principal)
        public = bookings.list_bookings(
            session,
            principal=principal,
            f=bookings.BookingFilter(space_id=space, start=start, end=end, public_only=True),
        )
        days: dict[date, list[Any]] = defaultdict(list)
        for b in public:
            day = max(b.starts_at, start).astimezone(LOCAL_ZONE).date()
            days[day].append(b)
        mine = []
        if principal.user_id is not None:
            own = bookings.list_bookings(
                session, principal=principal, f=bookings.BookingFilter(start=utcnow()), limit=100
            )
            mine = [b for b in own if b.applicant_user_id == principal.user_id]
        names = {s.id: s.name for s in spaces}
        return render(
            request,
            "assets/calendar.html",
            {
                "first": first,
                "previous": (first - timedelta(days=1)).replace(day=1),
                "next": after,
                "days": sorted(days.items()),
                "spaces": spaces,
                "space": space,
                "names": names,
                "mine": mine,
                "place_names": municipality_names(session),
            },
        )


def _booking_form(
    request: Request,
    space: AssetObject,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "assets/booking_form.html",
        {
            "space": space,
            "values": values,
            "errors": errors,
            "space_geojson": json.dumps(geometry_to_geojson(space.geom))
            if space.geom is not None
            else "",
        },
        status_code=status_code,
    )


def _space(session: Session, principal: Principal, space_id: int) -> AssetObject:
    space = objects.get_object(session, principal=principal, object_id=space_id)
    t = session.get(ObjectType, space.type_id)
    if t is None or not t.bookable:
        raise not_found("bookable space", space_id)
    return space


@pages.get("/spaces/{space_id}/book")
def booking_page(request: Request, space_id: RowId, principal: Caller) -> Response:
    if principal.kind != "user":
        return login_redirect(request)
    with app_context(request).database.session() as session:
        space = _space(session, principal, space_id)
        return _booking_form(request, space, {"public": "on", "organiser": principal.name}, {})


@pages.post("/spaces/{space_id}/book")
async def booking_submit(request: Request, space_id: RowId, principal: Caller) -> Response:
    form = await form_of(request)
    if principal.kind != "user":
        return login_redirect(request)
    context = app_context(request)
    with context.database.session() as session:
        space = _space(session, principal, space_id)
    try:
        area: Any = None
        if text(form, "area"):
            try:
                area = json.loads(text(form, "area"))
            except ValueError as exc:
                raise ValidationFailed.one("area", N_("is not valid GeoJSON")) from exc
        starts = local_datetime(text(form, "starts_at"), "starts_at")
        ends = local_datetime(text(form, "ends_at"), "ends_at")
        missing = [
            FieldError(n, N_("is required"))
            for n, v in (("starts_at", starts), ("ends_at", ends))
            if v is None
        ]
        if missing:
            raise ValidationFailed(detail="times are required", errors=missing)
        body = validated(
            BookingCreate,
            space_id=space_id,
            title=text(form, "title"),
            description=text(form, "description"),
            organiser=text(form, "organiser"),
            contact_email=text(form, "contact_email") or None,
            starts_at=starts,
            ends_at=ends,
            area=area,
            public=form.get("public") == "on",
        )
        await context.database.awrite(
            lambda s: bookings.create_booking(s, principal=principal, data=body)
        )
    except AllmendeError as exc:
        if exc.status not in (409, 422):
            raise
        return _booking_form(request, space, form_strings(form), field_errors(exc), exc.status)
    return redirect(request, f"/spaces?space={space_id}#mine", "booking")
