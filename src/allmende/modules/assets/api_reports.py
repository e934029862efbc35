"""JSON API for reports routed by place: the address search, forwarding a report to another
municipality, and the exports of reports and work orders (CSV for German spreadsheets, XLSX,
GeoJSON)."""

from __future__ import annotations

from typing import Literal

import orjson
from fastapi import Query, Request, Response
from sqlalchemy.orm import Session

from allmende.modules.assets import exports
from allmende.modules.assets.api_routing import (
    STAFF_ERRORS,
    WRITE_ERRORS,
    MunicipalityQuery,
    municipality_id,
    router,
)
from allmende.modules.assets.reports import geocoding, placing
from allmende.modules.assets.reports import service as reports
from allmende.modules.assets.schemas import PlaceRead, ReportForward, ReportRead
from allmende.modules.assets.service import municipality_keys, require_staff_somewhere
from allmende.sdk import (
    Caller,
    RowId,
    ValidationFailed,
    app_context,
    parse_date,
    rate_limit,
)

ExportFormat = Literal["csv", "xlsx", "geojson"]
StartQuery = Query(
    None, max_length=10, description="Created on or after this day (YYYY-MM-DD, local time)"
)
EndQuery = Query(
    None, max_length=10, description="Created on or before this day (YYYY-MM-DD, local time)"
)
REPORT_STATUSES = (
    "open",
    "closed",
    "received",
    "confirmed",
    "in_progress",
    "fixed",
    "duplicate",
    "not_responsible",
)
WORK_ORDER_STATUSES = ("open", "in_progress", "done", "cancelled")
CategoryQuery = Query(None, max_length=40, description="Code of the report category")


@router.get("/places", response_model=list[PlaceRead], operation_id="searchPlaces")
def search_places(
    request: Request,
    principal: Caller,
    q: str = Query(..., min_length=2, max_length=200, description="Address or name of a place"),
) -> list[PlaceRead]:
    """Places in the region for an address or a name: the configured geocoder, else the
    region's own street and object names."""
    rate_limit(request, geocoding.SEARCHES)
    context = app_context(request)
    with context.database.session() as session:
        found = geocoding.search(
            session,
            query=q,
            geocoder_url=context.settings.geocoder_url,
            geocoder_kind=context.settings.geocoder_kind,
        )
        keys = municipality_keys(session)
        return [
            PlaceRead(label=p.label, lat=p.lat, lon=p.lon, municipality=keys[p.municipality_id])
            for p in found
            if p.municipality_id is not None
        ]


@router.post(
    "/reports/{report_id}/forward",
    response_model=ReportRead,
    operation_id="forwardReport",
    responses=WRITE_ERRORS,
)
def forward_report(
    request: Request, report_id: RowId, body: ReportForward, principal: Caller
) -> ReportRead:
    """Hand a report to another municipality with an internal note (staff of its own)."""

    def run(session: Session) -> ReportRead:
        report = placing.forward(
            session,
            principal=principal,
            report_id=report_id,
            municipality=body.municipality,
            note=body.note,
        )
        return reports.report_reads(session, principal, [report])[0]

    return app_context(request).database.write(run)


def _filter(
    session: Session,
    municipality: str | None,
    status: str | None,
    statuses: tuple[str, ...],
    start: str | None,
    end: str | None,
    category: str | None,
) -> exports.ExportFilter:
    """The filters of an export; empty parameters (an export form left blank) are absent."""
    if status and status not in statuses:
        raise ValidationFailed.one("status", f"must be one of {', '.join(statuses)}")
    first = parse_date(start, field="start") if start else None
    last = parse_date(end, field="end") if end else None
    if first is not None and last is not None and last < first:
        raise ValidationFailed.one("end", "must not be before start")
    return exports.ExportFilter(
        municipality_id=municipality_id(session, municipality or None),
        status=status or None,
        category=category or None,
        start=first,
        end=last,
    )


def _download(table: exports.Table, fmt: ExportFormat) -> Response:
    if fmt == "csv":
        content = exports.to_csv(table)
    elif fmt == "xlsx":
        content = exports.to_xlsx(table)
    else:
        content = orjson.dumps(exports.to_geojson(table))
    return Response(
        content,
        media_type=exports.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{table.name}.{fmt}"'},
    )


@router.get(
    "/exports/reports.{fmt}",
    operation_id="exportReports",
    response_class=Response,
    responses={200: {"content": {m: {} for m in exports.MEDIA_TYPES.values()}}},
)
def export_reports(
    request: Request,
    principal: Caller,
    fmt: ExportFormat,
    municipality: str | None = MunicipalityQuery,
    status: str | None = Query(None, max_length=20, description=", ".join(REPORT_STATUSES)),
    category: str | None = CategoryQuery,
    start: str | None = StartQuery,
    end: str | None = EndQuery,
) -> Response:
    """Reports as CSV (semicolon, BOM), XLSX or GeoJSON: public ones, and the internal ones of
    the caller's municipalities; never the reporters' contact data."""
    with app_context(request).database.session() as session:
        f = _filter(session, municipality, status, REPORT_STATUSES, start, end, category)
        table = exports.report_table(session, principal=principal, f=f)
    return _download(table, fmt)


@router.get(
    "/exports/work-orders.{fmt}",
    operation_id="exportWorkOrders",
    response_class=Response,
    responses={
        200: {"content": {m: {} for m in exports.MEDIA_TYPES.values()}},
        **STAFF_ERRORS,
    },
)
def export_work_orders(
    request: Request,
    principal: Caller,
    fmt: ExportFormat,
    municipality: str | None = MunicipalityQuery,
    status: str | None = Query(None, max_length=20, description=", ".join(WORK_ORDER_STATUSES)),
    start: str | None = StartQuery,
    end: str | None = EndQuery,
) -> Response:
    """Work orders of the caller's municipalities (staff)."""
    require_staff_somewhere(principal)
    with app_context(request).database.session() as session:
        f = _filter(session, municipality, status, WORK_ORDER_STATUSES, start, end, None)
        table = exports.work_order_table(session, principal=principal, f=f)
    return _download(table, fmt)
