"""Citizen pages: report a problem (works without JavaScript; a map picker where it runs),
the public report list and status pages, the calendar of squares and booking requests."""

from __future__ import annotations

import json
from collections import defaultdict
from contextlib import suppress
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from allmende.modules.assets import files, mails
from allmende.modules.assets.bookings import service as bookings
from allmende.modules.assets.catalogue import CLOSED_STATES, LOCAL_ZONE, N_, OPEN_STATES
from allmende.modules.assets.models import (
    AssetObject,
    ObjectType,
    Report,
)
from allmende.modules.assets.pages import (
    field_errors,
    local_datetime,
    optional_float,
    pages,
    redirect,
    render,
    text,
    validated,
)
from allmende.modules.assets.register import service as objects
from allmende.modules.assets.reports import geocoding, placing
from allmende.modules.assets.reports import service as report_rules
from allmende.modules.assets.schemas import BookingCreate
from allmende.modules.assets.service import Actor, Faults, municipality_names, not_found
from allmende.sdk import (
    GEOJSON_MEDIA_TYPE,
    AllmendeError,
    Caller,
    FieldError,
    PayloadTooLarge,
    Principal,
    RateLimit,
    RowId,
    UnsupportedMediaType,
    ValidationFailed,
    absolute_url,
    app_context,
    form_strings,
    geometry_to_geojson,
    is_digits,
    local_path,
    login_redirect,
    rate_limit,
    read_form,
    uploads,
    utcnow,
)

#: Reports per client address and hour.
REPORTS = RateLimit("assets-reports", limit=20, window_seconds=3600)
OPEN311_FIELDS = {"service_code": "service", "long": "lon", "address_string": "address"}


# --- reporting ------------------------------------------------------------------------------


def _located(values: dict[str, str]) -> tuple[float, float] | None:
    try:
        lat = float(values.get("lat", "").replace(",", "."))
        lon = float(values.get("lon", "").replace(",", "."))
    except ValueError:
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def _report_form(
    request: Request,
    session: Session,
    *,
    obj: AssetObject | None,
    values: dict[str, str],
    errors: dict[str, str],
    places: list[placing.Place] | None = None,
    confirm: bool = False,
    status_code: int = 200,
) -> Response:
    """The report form: the region's categories (the place picks the municipality), the
    address search's hits, and the open reports near the chosen place."""
    at = _located(values)
    # the place (else the object) routes the report: its municipality's definitions show
    routed = placing.routed_municipality(session, at) if at is not None else None
    if routed is None and obj is not None:
        routed = obj.municipality_id
    categories = placing.region_categories(session, routed_to=routed)
    obj_type = session.get(ObjectType, obj.type_id) if obj else None
    if obj_type is not None and not values.get("service"):
        match = next((c for c in categories if obj_type.key in c.service.object_types), None)
        if match is not None:
            values = {**values, "service": match.code}
    groups: dict[str, list[placing.Category]] = defaultdict(list)
    for c in categories:
        groups[c.group].append(c)
    nearby = (
        placing.nearby_open(session, lat=at[0], lon=at[1], code=values.get("service") or None)
        if at is not None
        else []
    )
    bbox = placing.region_bbox(session)
    return render(
        request,
        "assets/report_form.html",
        {
            "groups": sorted(groups.items()),
            "categories": categories,
            "obj": obj,
            "values": values,
            "errors": errors,
            "places": places,
            "nearby": nearby,
            "confirm": confirm and bool(nearby),
            "bbox": list(bbox) if bbox else None,
            "limit_mb": round(app_context(request).settings.upload_max_bytes / 1024 / 1024, 1),
        },
        status_code=status_code,
    )


def _object_for_report(
    session: Session, principal: Principal, raw: str | int | None
) -> AssetObject | None:
    if raw is None or raw == "":
        return None
    if not is_digits(str(raw)):
        raise ValidationFailed.one("object_id", N_("must be the number of an object"))
    try:
        obj = objects.get_object(session, principal=principal, object_id=int(raw))
    except AllmendeError as exc:
        raise ValidationFailed.one("object_id", f"no object {raw}") from exc
    return obj if obj.public else None


#: What the report form keeps when it reloads with the fields of the chosen category.
KEPT_ON_RELOAD = ("service", "description", "address", "lat", "lon", "email", "name", "phone")


@pages.get("/reports/new")
def report_form_page(
    request: Request, principal: Caller, object: int | None = Query(None, ge=1, le=2**63 - 1)
) -> Response:
    # The form's "show the questions" button (without JavaScript) sends what was typed so far.
    values = {
        name: request.query_params[name][:4000]
        for name in KEPT_ON_RELOAD
        if request.query_params.get(name)
    }
    with app_context(request).database.session() as session:
        obj = _object_for_report(session, principal, object)
        return _report_form(request, session, obj=obj, values=values, errors={})


def _attributes(form: FormData, code: str) -> dict[str, str | list[str]]:
    prefix = f"attribute.{code}."
    answers: dict[str, str | list[str]] = {}
    for name in form:
        if name.startswith(prefix):
            values = [v for v in form.getlist(name) if isinstance(v, str)]
            answers[name[len(prefix) :]] = (
                values if len(values) > 1 else (values[0] if values else "")
            )
    return answers


def _form_field(name: str, code: str | None) -> str:
    if name.startswith("attribute[") and code is not None:
        return f"attribute.{code}.{name[10:-1]}"
    return OPEN311_FIELDS.get(name, name)


def _place_of(
    session: Session,
    *,
    at: tuple[float, float] | None,
    obj: AssetObject | None,
    named_in: int | None,
) -> int:
    """The municipality of the report: where the place lies, else the object's, else that of
    a category named by its id."""
    if at is not None:
        return placing.municipality_at(session, lat=at[0], lon=at[1], field="lat").id
    if obj is not None:
        return obj.municipality_id
    if named_in is not None:
        return named_in
    raise ValidationFailed.one("lat", N_("choose the place: search an address or click the map"))


async def _search_step(
    request: Request, form: FormData, values: dict[str, str], obj: AssetObject | None
) -> Response:
    """The address search of the form (without JavaScript too): its hits as buttons."""
    rate_limit(request, geocoding.SEARCHES)
    context = app_context(request)
    query = text(form, "place_query")

    def find() -> list[placing.Place]:
        with context.database.session() as session:
            return geocoding.search(
                session,
                query=query,
                geocoder_url=context.settings.geocoder_url,
                geocoder_kind=context.settings.geocoder_kind,
            )

    places = await run_in_threadpool(find)
    errors = (
        {}
        if places
        else {"place_query": N_("nothing found; try another spelling or click the map")}
    )
    with context.database.session() as session:
        return _report_form(request, session, obj=obj, values=values, errors=errors, places=places)


def _picked(values: dict[str, str], raw: str) -> tuple[dict[str, str], str]:
    """A hit chosen from the search (``lat|lon|object|label``): its coordinates, its name as
    the address, and the number of the register's object it names (empty for an address)."""
    lat, lon, object_id, label = [*raw.split("|", 3), "", "", ""][:4]
    picked = {**values, "lat": lat, "lon": lon}
    if not values.get("address"):
        picked["address"] = label[:300]
    return picked, object_id


@pages.post("/reports/new")
async def report_submit(request: Request, principal: Caller) -> Response:
    form = await read_form(request)
    context = app_context(request)
    values = form_strings(form)
    obj: AssetObject | None = None
    with context.database.session() as session:
        try:
            obj = _object_for_report(session, principal, text(form, "object_id"))
        except ValidationFailed:
            obj = None
    if text(form, "action") == "search":
        return await _search_step(request, form, values, obj)
    if text(form, "pick"):
        values, object_id = _picked(values, text(form, "pick"))
        with context.database.session() as session:
            if object_id:  # a hit of the register: the report is about that object
                with suppress(ValidationFailed):
                    obj = _object_for_report(session, principal, object_id) or obj
            return _report_form(request, session, obj=obj, values=values, errors={})
    rate_limit(request, REPORTS)  # before any work, so that refused attempts cost nothing
    code: str | None = None
    path: str | None = None

    def refused(exc: AllmendeError) -> Response:
        errors = {_form_field(k, code): v for k, v in field_errors(exc).items()}
        with context.database.session() as session:
            return _report_form(
                request, session, obj=obj, values=values, errors=errors, status_code=exc.status
            )

    try:
        with context.database.session() as session:
            # Every fault at once: the page's own checks, and where the category and the
            # place are known, the rules' checks of the whole report.
            faults = Faults()
            code, named_in = placing.chosen_category(session, text(form, "service"))
            if not code or code not in {c.code for c in placing.region_categories(session)}:
                code = None
                faults.add("service", N_("choose a category"))
            description = text(form, "description")
            if len(description) < 3:
                faults.add("description", N_("describe the problem in a few words"))
            known = len(faults.errors)
            lat = faults.check(lambda: optional_float(form, "lat"))
            lon = faults.check(lambda: optional_float(form, "lon"))
            readable = len(faults.errors) == known  # else the place is not judged again
            at = (lat, lon) if lat is not None and lon is not None else None
            if readable and (lat is None) != (lon is None):
                faults.add("lat", N_("lat and long go together"))
                readable = False
            where = (
                faults.check(lambda: _place_of(session, at=at, obj=obj, named_in=named_in))
                if readable
                else None
            )
            service = None
            if where is not None and code is not None:
                place, chosen = where, code
                service = faults.check(
                    lambda: placing.service_in(session, municipality_id=place, code=chosen)
                )
            submission = report_rules.Submission(
                service_code=service.code if service is not None else "",
                lat=lat,
                long=lon,
                address=text(form, "address") or None,
                description=description,
                attributes={
                    **_attributes(form, code or ""),
                    **({"object_id": str(obj.id)} if obj and obj.municipality_id == where else {}),
                },
                email=text(form, "email") or None,
                phone=text(form, "phone") or None,
                user_id=principal.user_id,
                channel="web",
            )
            if service is not None and faults.errors:
                faults.check(
                    lambda: report_rules.check_submission(
                        session, municipality_id=service.municipality_id, data=submission
                    )
                )
            faults.raise_any()
            assert where is not None and code is not None  # else a fault was raised above
            municipality_id = where
            if (
                at is not None
                and text(form, "confirm_nearby") != "1"
                and placing.nearby_open(session, lat=at[0], lon=at[1], code=code)
            ):  # "the same problem?" before sending
                values["service"] = code
                return _report_form(
                    request, session, obj=obj, values=values, errors={}, confirm=True
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
        {"type": "FeatureCollection", "features": features}, media_type=GEOJSON_MEDIA_TYPE
    )


@pages.get("/reports/{report_id}")
def report_page(request: Request, report_id: RowId, principal: Caller) -> Response:
    with app_context(request).database.session() as session:
        report = report_rules.public_report(session, report_id=report_id)
        read = report_rules.report_reads(session, Principal(), [report])[0]  # the public view
        obj = session.get(AssetObject, report.object_id) if report.object_id else None
        photo = report_rules.photo_id(session, report_id=report.id)
        return render(
            request,
            "assets/report.html",
            {
                "report": read,
                "obj": obj if obj is not None and obj.public else None,
                "photo": photo,
                "received": request.query_params.get("msg") == "received",
                "mailed": mails.reporter_hears(session, report, user_id=principal.user_id),
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
    form = await read_form(request)
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
