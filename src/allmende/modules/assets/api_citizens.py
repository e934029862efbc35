"""JSON API for the citizen side: report categories and reports, bookings of public spaces,
adoption and activity logs. Public answers carry no personal data."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request, Response
from sqlalchemy.orm import Session

from allmende.modules.assets.adoption import service as adoption
from allmende.modules.assets.api_routing import (
    READ_ERRORS,
    WRITE_ERRORS,
    Limit,
    MunicipalityQuery,
    Offset,
    OptionalId,
    municipality_id,
    required_municipality_id,
    router,
)
from allmende.modules.assets.bookings import service as bookings
from allmende.modules.assets.catalogue import CLOSED_STATES, OPEN_STATES
from allmende.modules.assets.maintenance import service as workorders
from allmende.modules.assets.register import service as objects
from allmende.modules.assets.reports import service as reports
from allmende.modules.assets.schemas import (
    ActivityCreate,
    ActivityRead,
    ActivityTotals,
    AdoptionRead,
    BookingCreate,
    BookingDecision,
    BookingRead,
    ObjectRead,
    ReportRead,
    ReportUpdate,
    ServiceCreate,
    ServiceRead,
    ServiceUpdate,
    WorkOrderFromReport,
    WorkOrderRead,
)
from allmende.modules.assets.service import municipality_keys
from allmende.sdk import Caller, RowId, app_context, parse_datetime, utcnow

ADOPT_ERRORS = {401: {"description": "Sign in"}, **WRITE_ERRORS}


# --- report categories ----------------------------------------------------------------------


@router.get("/services", response_model=list[ServiceRead], operation_id="listReportServices")
def list_services(
    request: Request,
    principal: Caller,
    municipality: str | None = MunicipalityQuery,
    include_inactive: bool = Query(False),
) -> list[ServiceRead]:
    """Report categories (Open311 services) of the municipalities."""
    with app_context(request).database.session() as session:
        mid = municipality_id(session, municipality)
        keys = municipality_keys(session)
        found = reports.list_services(
            session, municipality_id=mid, active_only=not include_inactive
        )
        return [reports.service_read(s, keys) for s in found]


@router.post(
    "/services",
    response_model=ServiceRead,
    status_code=201,
    operation_id="createReportService",
    responses=WRITE_ERRORS,
)
def create_service(request: Request, body: ServiceCreate, principal: Caller) -> ServiceRead:
    def run(session: Session) -> ServiceRead:
        s = reports.create_service(session, principal=principal, data=body)
        return reports.service_read(s, municipality_keys(session))

    return app_context(request).database.write(run)


@router.post(
    "/default-services",
    response_model=list[ServiceRead],
    operation_id="addDefaultReportServices",
    responses=WRITE_ERRORS,
)
def add_default_services(
    request: Request,
    principal: Caller,
    municipality: str = Query(..., max_length=40),
) -> list[ServiceRead]:
    """Add the standard categories the municipality does not have yet."""

    def run(session: Session) -> list[ServiceRead]:
        mid = required_municipality_id(session, municipality)
        added = reports.add_default_services(session, principal=principal, municipality_id=mid)
        keys = municipality_keys(session)
        return [reports.service_read(s, keys) for s in added]

    return app_context(request).database.write(run)


@router.patch(
    "/services/{service_id}",
    response_model=ServiceRead,
    operation_id="updateReportService",
    responses=WRITE_ERRORS,
)
def update_service(
    request: Request, service_id: RowId, body: ServiceUpdate, principal: Caller
) -> ServiceRead:
    def run(session: Session) -> ServiceRead:
        s = reports.update_service(session, principal=principal, service_id=service_id, data=body)
        return reports.service_read(s, municipality_keys(session))

    return app_context(request).database.write(run)


# --- reports --------------------------------------------------------------------------------


@router.get("/reports", response_model=list[ReportRead], operation_id="listReports")
def list_reports(
    request: Request,
    principal: Caller,
    municipality: str | None = MunicipalityQuery,
    state: str | None = Query(
        None, pattern="^(received|confirmed|in_progress|fixed|duplicate|not_responsible)$"
    ),
    status: str | None = Query(None, pattern="^(open|closed)$"),
    object_id: int | None = OptionalId,
    limit: int = Limit,
    offset: int = Offset,
) -> list[ReportRead]:
    """Public reports, and hidden ones of the caller's municipalities (with contact data)."""
    states: tuple[str, ...] | None = (state,) if state else None
    if status is not None:
        wanted = OPEN_STATES if status == "open" else CLOSED_STATES
        states = tuple(s for s in (states or wanted) if s in wanted)
    with app_context(request).database.session() as session:
        mid = municipality_id(session, municipality)
        found = reports.list_reports(
            session,
            principal=principal,
            f=reports.ReportFilter(municipality_id=mid, states=states, object_id=object_id),
            limit=limit,
            offset=offset,
        )
        return reports.report_reads(session, principal, found)


@router.get(
    "/reports/{report_id}",
    response_model=ReportRead,
    operation_id="getReport",
    responses=READ_ERRORS,
)
def get_report(request: Request, report_id: RowId, principal: Caller) -> ReportRead:
    with app_context(request).database.session() as session:
        report = reports.get_report(session, principal=principal, report_id=report_id)
        return reports.report_reads(session, principal, [report])[0]


@router.patch(
    "/reports/{report_id}",
    response_model=ReportRead,
    operation_id="updateReport",
    responses=WRITE_ERRORS,
)
def update_report(
    request: Request, report_id: RowId, body: ReportUpdate, principal: Caller
) -> ReportRead:
    """Move a report through its workflow, with a status note (public by default)."""

    def run(session: Session) -> ReportRead:
        report = reports.update_report(session, principal=principal, report_id=report_id, data=body)
        return reports.report_reads(session, principal, [report])[0]

    return app_context(request).database.write(run)


@router.post(
    "/reports/{report_id}/work-order",
    response_model=WorkOrderRead,
    status_code=201,
    operation_id="createWorkOrderFromReport",
    responses=WRITE_ERRORS,
)
def work_order_from_report(
    request: Request, report_id: RowId, body: WorkOrderFromReport, principal: Caller
) -> WorkOrderRead:
    def run(session: Session) -> WorkOrderRead:
        order = workorders.from_report(session, principal=principal, report_id=report_id, data=body)
        return workorders.work_order_read(session, [order])[0]

    return app_context(request).database.write(run)


# --- bookings -------------------------------------------------------------------------------


@router.get("/spaces", response_model=list[ObjectRead], operation_id="listBookableSpaces")
def list_spaces(
    request: Request, principal: Caller, municipality: str | None = MunicipalityQuery
) -> list[ObjectRead]:
    """Squares and spaces that can be booked."""
    with app_context(request).database.session() as session:
        mid = municipality_id(session, municipality)
        spaces = bookings.bookable_spaces(session, principal=principal, municipality_id=mid)
        types = {t.id: t for t in objects.list_types(session)}
        return objects.reads(session, principal, [(s, types[s.type_id]) for s in spaces])


def TimeQuery(description: str) -> Any:  # noqa: N802 - reads like FastAPI's Query
    """An ISO 8601 time with a time zone, parsed by ``parse_datetime`` (Pydantic would also
    take a number as seconds since 1970)."""
    return Query(
        None,
        max_length=40,
        description=f"{description} (ISO 8601 with a time zone)",
        json_schema_extra={"format": "date-time"},
    )


@router.get("/bookings", response_model=list[BookingRead], operation_id="listBookings")
def list_bookings(
    request: Request,
    principal: Caller,
    municipality: str | None = MunicipalityQuery,
    space_id: int | None = OptionalId,
    start: str | None = TimeQuery("Bookings ending after this time"),
    end: str | None = TimeQuery("Bookings starting before this time"),
    status: str | None = Query(None, pattern="^(requested|approved|rejected|cancelled)$"),
    limit: int = Limit,
    offset: int = Offset,
) -> list[BookingRead]:
    """Approved public bookings; staff see every request of their municipalities."""
    after = parse_datetime(start, field="start") if start is not None else None
    before = parse_datetime(end, field="end") if end is not None else None
    with app_context(request).database.session() as session:
        mid = municipality_id(session, municipality)
        found = bookings.list_bookings(
            session,
            principal=principal,
            f=bookings.BookingFilter(
                municipality_id=mid,
                space_id=space_id,
                start=after,
                end=before,
                statuses=(status,) if status else None,
            ),
            limit=limit,
            offset=offset,
        )
        return bookings.booking_reads(session, principal, found)


@router.get(
    "/bookings/{booking_id}",
    response_model=BookingRead,
    operation_id="getBooking",
    responses=READ_ERRORS,
)
def get_booking(request: Request, booking_id: RowId, principal: Caller) -> BookingRead:
    with app_context(request).database.session() as session:
        found = bookings.get_booking(session, principal=principal, booking_id=booking_id)
        return bookings.booking_reads(session, principal, [found])[0]


@router.post(
    "/bookings",
    response_model=BookingRead,
    status_code=201,
    operation_id="requestBooking",
    responses=ADOPT_ERRORS,
)
def request_booking(request: Request, body: BookingCreate, principal: Caller) -> BookingRead:
    """Request a space for a time span; refused (409) where an approved booking is in the way."""

    def run(session: Session) -> BookingRead:
        booking = bookings.create_booking(session, principal=principal, data=body)
        return bookings.booking_reads(session, principal, [booking])[0]

    return app_context(request).database.write(run)


@router.post(
    "/bookings/{booking_id}/decision",
    response_model=BookingRead,
    operation_id="decideBooking",
    responses=WRITE_ERRORS,
)
def decide_booking(
    request: Request, booking_id: RowId, body: BookingDecision, principal: Caller
) -> BookingRead:
    """Approve or reject a request (staff), or cancel it (staff or the applicant)."""

    def run(session: Session) -> BookingRead:
        booking = bookings.decide(session, principal=principal, booking_id=booking_id, data=body)
        return bookings.booking_reads(session, principal, [booking])[0]

    return app_context(request).database.write(run)


# --- adoption -------------------------------------------------------------------------------


@router.get(
    "/objects/{object_id}/activity",
    response_model=ActivityTotals,
    operation_id="getObjectActivityTotals",
    responses=READ_ERRORS,
)
def activity_totals(request: Request, object_id: RowId, principal: Caller) -> ActivityTotals:
    """Totals of citizens' care for an object (never who)."""
    with app_context(request).database.session() as session:
        obj = objects.get_object(session, principal=principal, object_id=object_id)
        return adoption.totals(session, [obj.id], now=utcnow())[obj.id]


def _adoption_reads(session: Session, user_id: int, rows: list) -> list[AdoptionRead]:  # type: ignore[type-arg]
    ids = [o.id for _, o, _ in rows]
    totals = adoption.totals(session, ids, now=utcnow())
    mine = adoption.my_totals(session, user_id=user_id, object_ids=ids)
    return [
        AdoptionRead(
            object_id=o.id,
            object_name=o.name,
            type=t.key,
            since=a.created_at,
            my_total_litres=round(mine.get(o.id, 0.0), 1),
            totals=totals[o.id],
        )
        for a, o, t in rows
    ]


@router.get(
    "/me/adoptions",
    response_model=list[AdoptionRead],
    operation_id="listMyAdoptions",
    responses=ADOPT_ERRORS,
)
def my_adoptions(request: Request, principal: Caller) -> list[AdoptionRead]:
    with app_context(request).database.session() as session:
        rows = adoption.my_adoptions(session, principal=principal)
        assert principal.user_id is not None
        return _adoption_reads(session, principal.user_id, rows)


@router.post(
    "/objects/{object_id}/adoption",
    response_model=AdoptionRead,
    status_code=201,
    operation_id="adoptObject",
    responses=ADOPT_ERRORS,
)
def adopt(request: Request, object_id: RowId, principal: Caller) -> AdoptionRead:
    """Adopt an object (e.g. a street tree) with your account."""

    def run(session: Session) -> AdoptionRead:
        adoption.adopt(session, principal=principal, object_id=object_id)
        rows = [
            r for r in adoption.my_adoptions(session, principal=principal) if r[1].id == object_id
        ]
        assert principal.user_id is not None
        return _adoption_reads(session, principal.user_id, rows)[0]

    return app_context(request).database.write(run)


@router.delete(
    "/objects/{object_id}/adoption",
    status_code=204,
    operation_id="releaseObject",
    responses=ADOPT_ERRORS,
)
def release(request: Request, object_id: RowId, principal: Caller) -> Response:
    app_context(request).database.write(
        lambda s: adoption.release(s, principal=principal, object_id=object_id)
    )
    return Response(status_code=204)


@router.post(
    "/objects/{object_id}/activities",
    response_model=ActivityRead,
    status_code=201,
    operation_id="logObjectActivity",
    responses=ADOPT_ERRORS,
)
def log_activity(
    request: Request, object_id: RowId, body: ActivityCreate, principal: Caller
) -> ActivityRead:
    """Log care for an object, e.g. watering in litres (more than 0)."""

    def run(session: Session) -> ActivityRead:
        a = adoption.log_activity(session, principal=principal, object_id=object_id, data=body)
        return ActivityRead(id=a.id, object_id=a.object_id, kind=a.kind, amount=a.amount, at=a.at)

    return app_context(request).database.write(run)
