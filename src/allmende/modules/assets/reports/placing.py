"""Reports routed by place: the municipality a location lies in, the region's categories (one
per code, whichever municipality offers it), open reports near a place, the region's own
street and object names as an address search, and forwarding a report to another
municipality."""

from __future__ import annotations

from dataclasses import dataclass, replace

from shapely.geometry import Point
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from allmende.modules.assets import mails
from allmende.modules.assets.catalogue import N_, OPEN_STATES
from allmende.modules.assets.models import AssetObject, Report, ReportService, WorkOrder
from allmende.modules.assets.reports.service import add_note
from allmende.modules.assets.service import (
    Actor,
    municipality_by_key,
    not_found,
    require_edit,
)
from allmende.sdk import (
    Conflict,
    Event,
    FieldError,
    Municipality,
    Principal,
    ValidationFailed,
    distance_m,
    emit,
    in_bbox,
    is_digits,
    utcnow,
)

#: Open reports within this distance of a new one are offered as "the same problem?".
NEARBY_METRES = 50.0
#: Degrees of latitude per metre (the box that narrows the search before exact distances).
DEGREES_PER_METRE = 1 / 111_000
OUTSIDE = N_("this place lies outside the municipalities of the region; choose a place within them")
NOT_OFFERED = N_("this category is not offered where the place lies; choose another category")
NOT_OFFERED_THERE = N_(
    "this municipality does not offer the report's category; its staff can add the category"
)


# --- where ----------------------------------------------------------------------------------


def municipality_at(
    session: Session, *, lat: float, lon: float, field: str = "lat"
) -> Municipality:
    """The municipality whose boundary covers the point; 422 naming ``field`` outside all."""
    point = Point(lon, lat)
    for m in session.scalars(select(Municipality).order_by(Municipality.id)):
        if m.geom is not None and m.geom.covers(point):
            return m
    raise ValidationFailed.one(field, OUTSIDE)


def routed_municipality(session: Session, at: tuple[float, float] | None) -> int | None:
    """The id of the municipality a place ``(lat, lon)`` routes to; None where the place is
    unknown or outside every municipality (the form asks for it then)."""
    if at is None:
        return None
    try:
        return municipality_at(session, lat=at[0], lon=at[1]).id
    except ValidationFailed:
        return None


def region_bbox(session: Session) -> tuple[float, float, float, float] | None:
    """The box around every municipality's boundary (None where none has one)."""
    boxes = [m.geom.bounds for m in session.scalars(select(Municipality)) if m.geom is not None]
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


# --- categories -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """A category as the region offers it: the definition of the code by the municipality the
    place routes to, else by the first municipality that offers it."""

    code: str
    name: str
    group: str
    service: ReportService


def region_categories(session: Session, *, routed_to: int | None = None) -> list[Category]:
    """Active categories, each code once, ordered by group and name. Where the place is known
    (``routed_to``, its municipality), that municipality's own definition of a code wins: its
    questions and object types are the ones the report is checked against."""
    found: dict[str, Category] = {}
    query = select(ReportService).where(ReportService.active.is_(True))
    for s in session.scalars(query.order_by(ReportService.municipality_id, ReportService.id)):
        category = Category(s.code, s.name, s.group_name or "", s)
        if s.municipality_id == routed_to:
            found[s.code] = category
        else:
            found.setdefault(s.code, category)
    return sorted(found.values(), key=lambda c: (c.group, c.name, c.code))


def service_in(
    session: Session,
    *,
    municipality_id: int,
    code: str,
    field: str = "service",
    reason: str = NOT_OFFERED,
) -> ReportService:
    """The municipality's active category ``code``; 422 naming ``field`` (for ``reason``)
    where it has none."""
    found = session.scalar(
        select(ReportService).where(
            ReportService.municipality_id == municipality_id,
            ReportService.code == code,
            ReportService.active.is_(True),
        )
    )
    if found is None:
        raise ValidationFailed.one(field, reason)
    return found


def chosen_category(session: Session, raw: str) -> tuple[str, int | None]:
    """The category code a form chose, and the municipality of a category named by its id
    (links and forms that name one municipality's category still work)."""
    if is_digits(raw):
        s = session.get(ReportService, int(raw))
        if s is not None and s.active:
            return s.code, s.municipality_id
        return "", None
    return raw, None


def forward_targets(session: Session, municipality_id: int) -> list[tuple[str, str]]:
    """Keys and names of the municipalities a report of ``municipality_id`` may go to."""
    query = select(Municipality).where(Municipality.id != municipality_id)
    return [(m.key, m.name) for m in session.scalars(query.order_by(Municipality.name))]


# --- nearby ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Nearby:
    report: Report
    service_name: str
    distance_m: float


def nearby_open(
    session: Session,
    *,
    lat: float,
    lon: float,
    code: str | None = None,
    radius_m: float = NEARBY_METRES,
    limit: int = 5,
) -> list[Nearby]:
    """Public open reports within ``radius_m`` of the point (of the category ``code`` where
    given), nearest first. Only what the public report page shows anyway."""
    here = Point(lon, lat)
    dy = radius_m * DEGREES_PER_METRE
    dx = dy * 2  # generous in longitude: a degree is shorter at German latitudes
    query = (
        select(Report, ReportService.name)
        .join(ReportService, ReportService.id == Report.service_id)
        .where(
            Report.public.is_(True),
            Report.state.in_(OPEN_STATES),
            in_bbox(Report, (lon - dx, lat - dy, lon + dx, lat + dy)),
        )
    )
    if code is not None:
        query = query.where(ReportService.code == code)
    found = []
    for report, name in session.execute(query.limit(200)):
        if report.geom is None:
            continue
        metres = distance_m(here, report.geom)
        if metres <= radius_m:
            found.append(Nearby(report, name, metres))
    return sorted(found, key=lambda n: (n.distance_m, n.report.id))[:limit]


# --- the region's own names -----------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A search hit: what to show and where it is (and the register's object it names)."""

    label: str
    lat: float
    lon: float
    municipality_id: int | None = None
    object_id: int | None = None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_local(session: Session, *, query: str, limit: int = 8) -> list[Place]:
    """Public objects whose name, inventory number or address contains ``query`` (any case):
    the addresses the register knows are the region's streets."""
    words = query.strip()
    if len(words) < 2:
        return []
    pattern = _like(words.lower())
    rows = session.scalars(
        select(AssetObject)
        .where(
            AssetObject.public.is_(True),
            AssetObject.status != "removed",
            or_(
                AssetObject.name.ilike(pattern, escape="\\"),
                AssetObject.address.ilike(pattern, escape="\\"),
                AssetObject.identifier.ilike(pattern, escape="\\"),
            ),
        )
        .order_by(AssetObject.name, AssetObject.id)
        .limit(limit * 4)
    )
    names = {m.id: m.name for m in session.scalars(select(Municipality))}
    places: dict[tuple[str, float, float], Place] = {}
    for obj in rows:
        if obj.geom is None:
            continue
        point = obj.geom if obj.geom.geom_type == "Point" else obj.geom.representative_point()
        # the address tells the place; without one, the municipality tells same-named objects apart
        where = obj.address or names.get(obj.municipality_id, "")
        label = f"{obj.name}, {where}" if where else obj.name
        lat, lon = round(point.y, 6), round(point.x, 6)
        places.setdefault((label, lat, lon), Place(label, lat, lon, object_id=obj.id))
    return list(places.values())[:limit]


def within_region(session: Session, places: list[Place]) -> list[Place]:
    """The places that lie in a municipality of the region, each with that municipality."""
    boundaries = [
        (m.id, m.geom) for m in session.scalars(select(Municipality)) if m.geom is not None
    ]
    found = []
    for p in places:
        here = Point(p.lon, p.lat)
        mid = next((i for i, b in boundaries if b.covers(here)), None)
        if mid is not None:
            found.append(replace(p, municipality_id=mid))
    return found


# --- forwarding -----------------------------------------------------------------------------


def forward(
    session: Session, *, principal: Principal, report_id: int, municipality: str, note: str
) -> Report:
    """Hand a report to another municipality: it takes that municipality's category of the same
    code, loses its object (objects belong to one municipality) and keeps an internal note
    saying from where, to where and why. Staff of the report's municipality may forward it."""
    report = session.get(Report, report_id)
    if report is None:
        raise not_found("report", report_id)
    require_edit(principal, report.municipality_id)
    target = municipality_by_key(session, municipality, field="municipality")
    if target.id == report.municipality_id:
        raise ValidationFailed.one("municipality", N_("choose another municipality"))
    text = note.strip()
    if not text:
        raise ValidationFailed.one("note", N_("say why the report goes there"))
    if len(text) > 2000:
        raise ValidationFailed.one("note", N_("must be at most 2000 characters"))
    if report.work_order_id is not None:
        order = session.get(WorkOrder, report.work_order_id)
        if order is not None and order.status in ("open", "in_progress"):
            raise Conflict(
                detail="the report has an open work order; finish or cancel it first",
                errors=[FieldError("municipality", N_("the report has an open work order"))],
            )
    current = session.get(ReportService, report.service_id)
    code = current.code if current is not None else ""
    service = service_in(
        session,
        municipality_id=target.id,
        code=code,
        field="municipality",
        reason=NOT_OFFERED_THERE,
    )
    source_id = report.municipality_id
    source = session.get(Municipality, source_id)
    actor = Actor.of(principal)
    now = utcnow()
    report.municipality_id = target.id
    report.service_id = service.id
    report.object_id = None
    report.work_order_id = None
    report.updated_at = now
    add_note(
        session,
        report,
        actor,
        text=f"Weitergeleitet von {source.name if source else '?'} an {target.name}: {text}",
        public=False,
    )
    session.flush()
    payload = {"id": report.id, "municipality_id": target.id, "from_municipality_id": source_id}
    emit(session, Event("assets.report.forwarded", payload))
    mails.report_forwarded(session, report, source=source.name if source else "?", note=text)
    return report
