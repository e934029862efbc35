"""A small but real module for the standards adapters' tests: citizen reports offered over
Open311 and street objects (trees, benches) offered over OGC API - Features.

It has its own tables in the test database (own metadata, so the kernel's migration check
does not see them; created with ``create_tables``) and implements the provider protocols
exactly as a production module does, importing nothing of Allmende but the SDK.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from allmende.sdk import (
    Database,
    HasGeometry,
    IdType,
    JSONType,
    ModuleSpec,
    Municipality,
    NotFound,
    Principal,
    UTCDateTime,
    ValidationFailed,
    features,
    in_bbox,
    open311,
    spatial_indexes,
    utcnow,
    visible,
)

KEY = "testreports"


class TestBase(DeclarativeBase):
    metadata = MetaData()


class Report(TestBase):
    __tablename__ = f"{KEY}_reports"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(Municipality.__table__.c.id, ondelete="CASCADE"), index=True
    )
    service_code: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default="open")
    status_notes: Mapped[str | None] = mapped_column(String(500), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    address: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    address_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    long: Mapped[float | None] = mapped_column(Float, nullable=True)
    media_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    token: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Personal data: kept for staff, never part of a ServiceRequest.
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(50), nullable=True)
    first_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    submitted_by_key: Mapped[int | None] = mapped_column(IdType, nullable=True)


class Note(TestBase):
    __tablename__ = f"{KEY}_notes"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(Report.id, ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(20), default="status")


class Thing(HasGeometry, TestBase):
    """A public-space object: a tree or a bench."""

    __tablename__ = f"{KEY}_things"
    __table_args__ = spatial_indexes(f"{KEY}_things")

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(Municipality.__table__.c.id, ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    species: Mapped[str | None] = mapped_column(String(200), nullable=True)
    height: Mapped[float | None] = mapped_column(Float, nullable=True)
    planted: Mapped[int | None] = mapped_column(Integer, nullable=True)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


def create_tables(database: Database) -> None:
    database.write(lambda session: TestBase.metadata.create_all(session.connection()))


# --- Open311 ---------------------------------------------------------------------------------

POTHOLE = open311.Service(
    code="pothole",
    name="Schlagloch",
    description="Ein Loch in der Fahrbahn oder im Radweg",
    group="Straße",
    keywords=("Straße", "Radweg"),
)
TREE_DAMAGE = open311.Service(
    code="tree-damage",
    name="Baumschaden",
    description="Ein Baum ist beschädigt oder droht umzustürzen",
    group="Grün",
    keywords=("Baum",),
    attributes=(
        open311.ServiceAttribute(
            code="object_id",
            description="Nummer des Baums (steht auf der Plakette)",
            order=1,
        ),
        open311.ServiceAttribute(
            code="severity",
            description="Wie dringend ist es?",
            datatype="singlevaluelist",
            required=True,
            order=2,
            values=(("low", "Kann warten"), ("high", "Gefahr")),
        ),
        open311.ServiceAttribute(
            code="parts",
            description="Welche Teile sind betroffen?",
            datatype="multivaluelist",
            order=3,
            values=(("branch", "Ast"), ("trunk", "Stamm"), ("roots", "Wurzeln")),
        ),
        open311.ServiceAttribute(
            code="girth",
            description="Stammumfang in cm",
            datatype="number",
            order=4,
        ),
        open311.ServiceAttribute(
            code="note",
            description="Bei Gefahr rufen Sie bitte die 112.",
            variable=False,
            order=5,
        ),
    ),
)
BULKY_WASTE = open311.Service(
    code="bulky-waste",
    name="Sperrmüll",
    description="Abgestellter Sperrmüll",
    group="Sauberkeit",
    type="batch",
)
ALL_SERVICES = (POTHOLE, TREE_DAMAGE, BULKY_WASTE)


class ReportsProvider:
    """Reports per municipality; B-Dorf (any but the first municipality) takes potholes only."""

    def services(self, session: Session, municipality_id: int) -> Sequence[open311.Service]:
        first = session.scalar(select(func.min(Municipality.id)))
        return ALL_SERVICES if municipality_id == first else (POTHOLE,)

    def submit(
        self,
        session: Session,
        municipality_id: int,
        request: open311.NewRequest,
        principal: Principal,
    ) -> open311.Submitted:
        offered = {s.code: s for s in self.services(session, municipality_id)}
        service = offered.get(request.service_code)
        if service is None:
            raise NotFound(detail="No such service here.")
        object_id = request.attributes.get("object_id")
        if object_id is not None:
            thing = session.get(Thing, int(object_id)) if str(object_id).isdigit() else None
            if thing is None or thing.municipality_id != municipality_id:
                raise ValidationFailed.one("attribute[object_id]", "no such object here")
        now = utcnow()
        report = Report(
            municipality_id=municipality_id,
            service_code=service.code,
            description=request.description,
            address=request.address_string,
            address_id=request.address_id,
            lat=request.lat,
            long=request.long,
            media_url=request.media_url,
            attributes=dict(request.attributes),
            token=secrets.token_urlsafe(12) if service.type == "batch" else None,
            requested_at=now,
            updated_at=now,
            email=request.email,
            phone=request.phone,
            first_name=request.first_name,
            last_name=request.last_name,
            device_id=request.device_id,
            account_id=request.account_id,
            submitted_by_key=principal.api_key_id,
        )
        session.add(report)
        session.flush()
        session.add(Note(report_id=report.id, at=now, description="Eingegangen", type="created"))
        if report.token is not None:
            return open311.Submitted(token=report.token)
        return open311.Submitted(
            service_request_id=str(report.id), service_notice="Wir prüfen Ihre Meldung."
        )

    def requests(
        self, session: Session, municipality_id: int, query: open311.RequestQuery
    ) -> Sequence[open311.ServiceRequest]:
        statement = select(Report).where(
            Report.municipality_id == municipality_id, Report.public.is_(True)
        )
        if query.ids is not None:
            numbers = [int(i) for i in query.ids if i.isdigit() and len(i) < 19]
            statement = statement.where(Report.id.in_(numbers))
        else:
            if query.service_codes:
                statement = statement.where(Report.service_code.in_(query.service_codes))
            if query.statuses:
                statement = statement.where(Report.status.in_(query.statuses))
            if query.start is not None:
                statement = statement.where(Report.requested_at >= query.start)
            if query.end is not None:
                statement = statement.where(Report.requested_at <= query.end)
        statement = (
            statement.order_by(Report.requested_at.desc(), Report.id.desc())
            .offset(query.offset)
            .limit(query.limit)
        )
        reports = session.scalars(statement).all()
        notes: dict[int, list[open311.StatusNote]] = {}
        if query.with_notes and reports:
            for note in session.scalars(
                select(Note).where(Note.report_id.in_([r.id for r in reports])).order_by(Note.at)
            ):
                notes.setdefault(note.report_id, []).append(
                    open311.StatusNote(at=note.at, description=note.description, type=note.type)
                )
        names = {s.code: s.name for s in ALL_SERVICES}
        return [_service_request(r, names, tuple(notes.get(r.id, ()))) for r in reports]

    def by_token(
        self, session: Session, municipality_id: int, token: str
    ) -> Sequence[open311.ServiceRequest]:
        report = session.scalar(
            select(Report).where(Report.municipality_id == municipality_id, Report.token == token)
        )
        if report is None:
            return []
        return [_service_request(report, {s.code: s.name for s in ALL_SERVICES}, ())]


def _service_request(
    report: Report, names: dict[str, str], notes: tuple[open311.StatusNote, ...]
) -> open311.ServiceRequest:
    return open311.ServiceRequest(
        id=str(report.id),
        status="closed" if report.status == "closed" else "open",
        service_code=report.service_code,
        service_name=names.get(report.service_code, report.service_code),
        requested=report.requested_at,
        updated=report.updated_at,
        status_notes=report.status_notes,
        description=report.description,
        agency_responsible="Bauhof",
        address=report.address,
        address_id=report.address_id,
        lat=report.lat,
        long=report.long,
        media_url=report.media_url,
        notes=notes,
    )


def close(session: Session, report_id: int, notes: str) -> None:
    """What staff do when the work is done (the real module does it via its work orders)."""
    report = session.get(Report, report_id)
    assert report is not None
    now = utcnow()
    report.status, report.status_notes, report.updated_at = "closed", notes, now
    session.add(Note(report_id=report_id, at=now, description=notes, type="closed"))


# --- OGC API - Features ----------------------------------------------------------------------

KINDS = {
    "trees": ("tree", "Bäume", "Straßen- und Parkbäume"),
    "benches": ("bench", "Bänke", "Sitzbänke im öffentlichen Raum"),
}
QUERYABLES = {
    "trees": {
        "species": "string",
        "height": "number",
        "planted": "integer",
        "protected": "boolean",
    },
    "benches": {"protected": "boolean"},
}


class ThingsSource:
    """One collection per kind of object; internal objects only for staff of their town."""

    def collections(self, session: Session, principal: Principal) -> Sequence[features.Collection]:
        rows = session.execute(
            select(
                Thing.kind,
                func.min(Thing.bbox_minx),
                func.min(Thing.bbox_miny),
                func.max(Thing.bbox_maxx),
                func.max(Thing.bbox_maxy),
                func.min(Thing.updated_at),
                func.max(Thing.updated_at),
            )
            .where(visible(principal, Thing.municipality_id, Thing.public, scope="sensorthings"))
            .group_by(Thing.kind)
        ).all()
        found = {row[0]: row for row in rows}
        result = []
        for collection_id, (kind, title, description) in KINDS.items():
            row = found.get(kind)
            if row is None:
                continue
            result.append(
                features.Collection(
                    id=collection_id,
                    title=title,
                    description=description,
                    bbox=(row[1], row[2], row[3], row[4]),
                    temporal=(row[5], row[6]),
                    queryables=QUERYABLES[collection_id],
                    keywords=(title,),
                )
            )
        return result

    def _where(self, principal: Principal, collection_id: str) -> Any:
        return (Thing.kind == KINDS[collection_id][0]) & visible(
            principal, Thing.municipality_id, Thing.public, scope="sensorthings"
        )

    def items(
        self,
        session: Session,
        principal: Principal,
        collection_id: str,
        query: features.FeatureQuery,
    ) -> features.FeaturePage | None:
        if collection_id not in KINDS:
            return None
        conditions = [self._where(principal, collection_id)]
        if query.bbox is not None:
            conditions.append(in_bbox(Thing, query.bbox))
        if query.datetime_start is not None:
            conditions.append(Thing.updated_at >= query.datetime_start)
        if query.datetime_end is not None:
            conditions.append(Thing.updated_at <= query.datetime_end)
        for name, value in query.properties.items():
            column = getattr(Thing, name)
            kind = QUERYABLES[collection_id][name]
            typed: Any = {
                "integer": int,
                "number": float,
                "boolean": lambda v: v == "true",
            }.get(kind, str)(value)
            conditions.append(column == typed)
        matched = session.scalar(select(func.count(Thing.id)).where(*conditions)) or 0
        things = session.scalars(
            select(Thing)
            .where(*conditions)
            .order_by(Thing.id)
            .offset(query.offset)
            .limit(query.limit)
        ).all()
        return features.FeaturePage([_feature(t) for t in things], number_matched=matched)

    def item(
        self, session: Session, principal: Principal, collection_id: str, feature_id: str
    ) -> features.Feature | None:
        if collection_id not in KINDS or not feature_id.isdigit() or len(feature_id) > 18:
            return None
        thing = session.scalar(
            select(Thing).where(Thing.id == int(feature_id), self._where(principal, collection_id))
        )
        return _feature(thing) if thing is not None else None


def _feature(thing: Thing) -> features.Feature:
    properties: dict[str, Any] = {"name": thing.name, "protected": thing.protected}
    if thing.kind == "tree":
        properties.update(species=thing.species, height=thing.height, planted=thing.planted)
    properties["updated"] = thing.updated_at
    return features.Feature(id=str(thing.id), geometry=thing.geom, properties=properties)


def add_thing(
    session: Session,
    *,
    municipality_id: int,
    kind: str,
    name: str,
    geom: BaseGeometry,
    updated_at: datetime,
    public: bool = True,
    **values: Any,
) -> Thing:
    thing = Thing(
        municipality_id=municipality_id,
        kind=kind,
        name=name,
        public=public,
        updated_at=updated_at,
        **values,
    )
    thing.geom = geom
    session.add(thing)
    session.flush()
    return thing


MODULE = ModuleSpec(
    key=KEY,
    title="Test reports",
    description="Reports and street objects for the standards adapters' tests.",
    open311_services=(ReportsProvider(),),
    feature_sources=(ThingsSource(),),
)

__all__ = ["MODULE", "add_thing", "close", "create_tables"]
