"""Exports of reports and work orders: CSV for German spreadsheets (semicolon, BOM, through
``csvformat``), XLSX and GeoJSON, with filters.

Reports: the public ones for everyone, plus the internal ones of the caller's municipalities;
never the reporters' contact data, in no format and for no caller. Work orders: staff only,
those of their municipalities."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.assets.catalogue import CLOSED_STATES, LOCAL_ZONE, OPEN_STATES
from allmende.modules.assets.maintenance import service as workorders
from allmende.modules.assets.models import AssetObject, Report, ReportService
from allmende.modules.assets.reports import service as report_rules
from allmende.modules.assets.service import (
    may_read_internal,
    municipality_keys,
    require_read_internal,
)
from allmende.sdk import GEOJSON_MEDIA_TYPE, Principal, csvformat, geometry_to_geojson

Format = Literal["csv", "xlsx", "geojson"]
MEDIA_TYPES: dict[str, str] = {
    "csv": csvformat.MEDIA_TYPE,
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": GEOJSON_MEDIA_TYPE,
}
#: Rows of one export at most (a year of a large town's reports fits many times).
MAX_ROWS = 100_000
REPORT_COLUMNS = [
    "id",
    "municipality",
    "category_code",
    "category",
    "state",
    "status",
    "created_at",
    "updated_at",
    "closed_at",
    "description",
    "address",
    "lat",
    "lon",
    "object_id",
    "work_order_id",
    "public",
]
WORK_ORDER_COLUMNS = [
    "id",
    "municipality",
    "title",
    "status",
    "assignee_kind",
    "assignee",
    "due_on",
    "cost_eur",
    "object_id",
    "object_name",
    "report_ids",
    "created_at",
    "completed_at",
    "lat",
    "lon",
]


@dataclass(frozen=True)
class ExportFilter:
    municipality_id: int | None = None
    #: ``open``/``closed`` or one state (reports), one status (work orders).
    status: str | None = None
    category: str | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Table:
    """What every format is made from: a header, rows, and a geometry per row."""

    name: str
    header: list[str]
    rows: list[list[Any]]
    geoms: list[BaseGeometry | None]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, LOCAL_ZONE)


def _point(geom: BaseGeometry | None) -> BaseGeometry | None:
    if geom is None:
        return None
    return geom if geom.geom_type == "Point" else geom.representative_point()


def report_table(session: Session, *, principal: Principal, f: ExportFilter) -> Table:
    states: Sequence[str] | None = None
    if f.status == "open":
        states = OPEN_STATES
    elif f.status == "closed":
        states = CLOSED_STATES
    elif f.status:
        states = (f.status,)
    service_ids = None
    if f.category:
        service_ids = list(
            session.scalars(select(ReportService.id).where(ReportService.code == f.category))
        )
    query = report_rules.report_query(
        principal,
        report_rules.ReportFilter(
            municipality_id=f.municipality_id,
            states=states,
            service_ids=service_ids,
            start=_day_start(f.start) if f.start else None,
            end=_day_start(f.end + timedelta(days=1)) - timedelta(microseconds=1)
            if f.end
            else None,
        ),
    )
    found = list(session.scalars(query.order_by(Report.created_at, Report.id).limit(MAX_ROWS)))
    services = {
        s.id: s
        for s in session.scalars(
            select(ReportService).where(ReportService.id.in_({r.service_id for r in found}))
        )
    }
    keys = municipality_keys(session)
    rows, geoms = [], []
    for r in found:
        s = services[r.service_id]
        point = _point(r.geom)
        internal = may_read_internal(principal, r.municipality_id)
        rows.append(
            [
                r.id,
                keys[r.municipality_id],
                s.code,
                s.name,
                r.state,
                "open" if r.state in OPEN_STATES else "closed",
                r.created_at,
                r.updated_at,
                r.closed_at,
                r.description,
                r.address,
                round(point.y, 6) if point is not None else None,
                round(point.x, 6) if point is not None else None,
                r.object_id,
                r.work_order_id if internal else None,
                r.public,
            ]
        )
        geoms.append(point)
    return Table("reports", list(REPORT_COLUMNS), rows, geoms)


def work_order_table(session: Session, *, principal: Principal, f: ExportFilter) -> Table:
    found = workorders.list_work_orders(
        session,
        principal=principal,
        f=workorders.WorkOrderFilter(
            municipality_id=f.municipality_id,
            status=f.status or None,
            created_from=_day_start(f.start) if f.start else None,
            created_before=_day_start(f.end + timedelta(days=1)) if f.end else None,
        ),
        limit=MAX_ROWS,
    )
    reads = workorders.work_order_read(session, found)
    object_geoms = {
        row.id: row.geom
        for row in session.execute(
            select(AssetObject.id, AssetObject.geom).where(
                AssetObject.id.in_({o.object_id for o in found if o.object_id})
            )
        )
    }
    report_ids = [i for o in reads for i in o.report_ids]
    report_geoms = {
        row.id: row.geom
        for row in session.execute(select(Report.id, Report.geom).where(Report.id.in_(report_ids)))
    }
    rows, geoms = [], []
    for o in sorted(reads, key=lambda o: o.id):
        geom = object_geoms.get(o.object_id) if o.object_id else None
        if geom is None:
            geom = next((report_geoms[i] for i in o.report_ids if report_geoms.get(i)), None)
        point = _point(geom)
        rows.append(
            [
                o.id,
                o.municipality,
                o.title,
                o.status,
                o.assignee_kind,
                o.assignee,
                o.due_on,
                Decimal(str(o.cost)).quantize(Decimal("0.01")) if o.cost is not None else None,
                o.object_id,
                o.object_name,
                " ".join(str(i) for i in o.report_ids),
                o.created_at,
                o.completed_at,
                round(point.y, 6) if point is not None else None,
                round(point.x, 6) if point is not None else None,
            ]
        )
        geoms.append(point)
    return Table("work-orders", list(WORK_ORDER_COLUMNS), rows, geoms)


# --- formats --------------------------------------------------------------------------------


def to_csv(table: Table) -> bytes:
    """For German spreadsheets: semicolon, decimal comma, UTF-8 with BOM."""
    return csvformat.to_bytes(table.header, table.rows, "excel-de")


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime):  # spreadsheets know no time zones: the region's local time
        return value.astimezone(LOCAL_ZONE).replace(tzinfo=None)
    if isinstance(value, str):  # never a formula; XML 1.0 has no control characters
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", csvformat.cell(value))
    if isinstance(value, Decimal):
        return float(value)
    return value


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook  # loaded on the first export, not at start-up

    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.name)
    sheet.append(table.header)
    for row in table.rows:
        sheet.append([_xlsx_value(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_geojson(table: Table) -> dict[str, Any]:
    features = []
    for row, geom in zip(table.rows, table.geoms, strict=True):
        properties = {
            name: csvformat.cell(v) if isinstance(v, datetime | date | Decimal) else v
            for name, v in zip(table.header, row, strict=True)
            if name not in ("lat", "lon")
        }
        features.append(
            {
                "type": "Feature",
                "id": row[0],
                "geometry": geometry_to_geojson(geom) if geom is not None else None,
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


@dataclass(frozen=True)
class MapItem:
    """A thing on a staff page's map: a report's place or an object (with a link to the
    object, or to the report's staff page where ``report_id`` is set)."""

    geom: BaseGeometry
    name: str
    object_id: int | None = None
    report_id: int | None = None


def inbox_map(reports: Sequence[Report], services: Mapping[int, ReportService]) -> list[MapItem]:
    """The places of the reports a staff list shows (those without a place are in the list
    only), each linking to its report."""
    return [
        MapItem(r.geom, f"#{r.id} {service.name if service else ''}".strip(), report_id=r.id)
        for r in reports
        if r.geom is not None
        for service in (services.get(r.service_id),)
    ]


def report_map(session: Session, *, principal: Principal, report_id: int) -> list[MapItem]:
    """The report's place and its object, for staff of its municipality."""
    report = report_rules.get_report(session, principal=principal, report_id=report_id)
    require_read_internal(principal, report.municipality_id)
    items = []
    if report.geom is not None:
        items.append(MapItem(report.geom, f"#{report.id}"))
    obj = session.get(AssetObject, report.object_id) if report.object_id else None
    if obj is not None and obj.geom is not None:
        items.append(MapItem(obj.geom, obj.name, obj.id))
    return items


def work_order_map(session: Session, *, principal: Principal, order_id: int) -> list[MapItem]:
    """The work order's object and the places of its reports."""
    order = workorders.get_work_order(session, principal=principal, order_id=order_id)
    items = []
    obj = session.get(AssetObject, order.object_id) if order.object_id else None
    if obj is not None and obj.geom is not None:
        items.append(MapItem(obj.geom, obj.name, obj.id))
    for report in session.scalars(
        select(Report).where(Report.work_order_id == order.id).order_by(Report.id)
    ):
        if report.geom is not None:
            items.append(MapItem(report.geom, f"#{report.id}"))
    return items
