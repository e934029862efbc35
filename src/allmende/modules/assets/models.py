"""Tables of the object register, maintenance, use of public spaces, adoption and reports.

Every table carries ``municipality_id`` except the global built-in catalogue (object types and
inspection plans with ``municipality_id`` NULL, seeded by the migration). Personal data lives
only in columns named here as internal (report contact, booking organiser); no public reader
ever selects them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from allmende.sdk import Base, HasGeometry, IdType, JSONType, UTCDateTime, spatial_indexes, utcnow

MUNICIPALITY_FK = "identity_municipalities.id"
USER_FK = "identity_users.id"


def _municipality() -> Mapped[int]:
    return mapped_column(IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE"), index=True)


def _user(**kwargs: Any) -> Mapped[int | None]:
    return mapped_column(IdType, ForeignKey(USER_FK, ondelete="SET NULL"), nullable=True, **kwargs)


# --- object register ------------------------------------------------------------------------


class ObjectType(Base):
    """A kind of municipal object. ``municipality_id`` NULL: the built-in catalogue."""

    __tablename__ = "assets_types"
    __table_args__ = (UniqueConstraint("municipality_id", "key"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE"), nullable=True, index=True
    )
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: point | line | polygon | any
    geometry_kind: Mapped[str] = mapped_column(String(10), default="point")
    #: JSON Schema (an object schema) the attributes of its objects must satisfy.
    attribute_schema: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    #: Attribute names shown to the public; every other attribute is internal.
    public_attributes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Objects of this type are published (map, OGC API collection) when they are public.
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    bookable: Mapped[bool] = mapped_column(Boolean, default=False)
    adoptable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssetObject(HasGeometry, Base):
    __tablename__ = "assets_objects"
    __table_args__ = (
        UniqueConstraint("municipality_id", "type_id", "identifier"),
        Index("ix_assets_objects_type_id_name", "type_id", "name"),
        *spatial_indexes("assets_objects"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = _municipality()
    type_id: Mapped[int] = mapped_column(IdType, ForeignKey("assets_types.id", ondelete="RESTRICT"))
    parent_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("assets_objects.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: Inventory number (tree number, device number); unique per municipality and type.
    identifier: Mapped[str | None] = mapped_column(String(80), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # public
    notes: Mapped[str] = mapped_column(Text, default="")  # internal
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)  # public
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    #: active | closed (out of use, e.g. a locked play device) | removed
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ThingLink(Base):
    """An object's sensor: the id of a SensorThings Thing (no foreign key across modules)."""

    __tablename__ = "assets_thing_links"

    object_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("assets_objects.id", ondelete="CASCADE"), primary_key=True
    )
    thing_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class Change(Base):
    """One entry of an object's history: who did what when, and which fields changed."""

    __tablename__ = "assets_history"
    __table_args__ = (Index("ix_assets_history_object_id_at", "object_id", "at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    object_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("assets_objects.id", ondelete="CASCADE")
    )
    municipality_id: Mapped[int] = _municipality()
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = _user()
    actor: Mapped[str] = mapped_column(String(200), default="")
    #: created | updated | photo | document | sensor | inspection | defect | work_order | report
    kind: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(String(500), default="")
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    ref_id: Mapped[int | None] = mapped_column(IdType, nullable=True)


class StoredFile(Base):
    """A photo or document on disk under ``data_dir``, attached to an object, an inspection or a
    report. Photos are stored re-encoded without metadata."""

    __tablename__ = "assets_files"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = _municipality()
    object_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("assets_objects.id", ondelete="CASCADE"), nullable=True, index=True
    )
    inspection_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("assets_inspections.id", ondelete="CASCADE"), nullable=True, index=True
    )
    report_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("assets_reports.id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # photo | document
    title: Mapped[str] = mapped_column(String(200), default="")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(300))  # relative to data_dir
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = _user()


# --- inspections and maintenance ------------------------------------------------------------


class InspectionPlan(Base):
    """How often objects of a type are inspected, and what is checked."""

    __tablename__ = "assets_inspection_plans"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE"), nullable=True, index=True
    )
    type_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("assets_types.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # visual | operational | main | other
    name: Mapped[str] = mapped_column(String(200))
    interval_days: Mapped[int] = mapped_column(Integer)
    #: [{"code": "...", "label": "..."}]
    checklist: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Inspection(Base):
    __tablename__ = "assets_inspections"
    __table_args__ = (
        Index("ix_assets_inspections_object_plan_at", "object_id", "plan_id", "performed_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = _municipality()
    object_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("assets_objects.id", ondelete="CASCADE")
    )
    plan_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("assets_inspection_plans.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    performed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    inspector_user_id: Mapped[int | None] = _user()
    inspector: Mapped[str] = mapped_column(String(200))
    result: Mapped[str] = mapped_column(String(10))  # ok | defects | closed
    #: [{"code", "label", "result": ok|defect|na, "note"}]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkOrder(Base):
    __tablename__ = "assets_work_orders"
    __table_args__ = (
        CheckConstraint("cost_cents IS NULL OR cost_cents >= 0", name="cost_not_negative"),
        Index("ix_assets_work_orders_municipality_status", "municipality_id", "status"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE")
    )
    object_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("assets_objects.id", ondelete="SET NULL"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    assignee_kind: Mapped[str] = mapped_column(String(10), default="internal")  # or external
    assignee: Mapped[str] = mapped_column(String(200), default="")  # team or contractor
    assignee_user_id: Mapped[int | None] = _user()
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: open | in_progress | done | cancelled
    status: Mapped[str] = mapped_column(String(12), default="open")
    cost_cents: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    completion_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[int | None] = _user()


class Defect(Base):
    __tablename__ = "assets_defects"
    __table_args__ = (Index("ix_assets_defects_municipality_status", "municipality_id", "status"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE")
    )
    object_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("assets_objects.id", ondelete="CASCADE"), index=True
    )
    inspection_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("assets_inspections.id", ondelete="SET NULL"), nullable=True
    )
    work_order_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("assets_work_orders.id", ondelete="SET NULL"), nullable=True, index=True
    )
    description: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(10))  # low | medium | high
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | fixed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# --- use of public spaces -------------------------------------------------------------------


class Booking(HasGeometry, Base):
    """A request to use (part of) a bookable space for a time span. ``geom`` is the area."""

    __tablename__ = "assets_bookings"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_assets_bookings_object_span", "object_id", "starts_at", "ends_at"),
        *spatial_indexes("assets_bookings"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = _municipality()
    object_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("assets_objects.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(String(200))  # public once approved
    description: Mapped[str] = mapped_column(Text, default="")
    organiser: Mapped[str] = mapped_column(String(200), default="")  # internal
    contact_email: Mapped[str | None] = mapped_column(String(254), nullable=True)  # internal
    applicant_user_id: Mapped[int | None] = _user(index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: requested | approved | rejected | cancelled
    status: Mapped[str] = mapped_column(String(10), default="requested")
    #: Shown on the public calendar once approved.
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by_id: Mapped[int | None] = _user()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- adoption -------------------------------------------------------------------------------


class Adoption(Base):
    __tablename__ = "assets_adoptions"
    __table_args__ = (UniqueConstraint("object_id", "user_id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = _municipality()
    object_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("assets_objects.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(USER_FK, ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Activity(Base):
    """A citizen's care for an object, e.g. watering in litres. Public only as totals."""

    __tablename__ = "assets_activities"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_assets_activities_object_at", "object_id", "at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = _municipality()
    object_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("assets_objects.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = _user(index=True)
    kind: Mapped[str] = mapped_column(String(20), default="watering")
    amount: Mapped[float] = mapped_column(Float)  # litres for watering
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- citizen reports ------------------------------------------------------------------------


class ReportService(Base):
    """A report category of a municipality (an Open311 service)."""

    __tablename__ = "assets_services"
    __table_args__ = (UniqueConstraint("municipality_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = _municipality()
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    group_name: Mapped[str] = mapped_column(String(100), default="")
    keywords: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Open311 attribute definitions: [{code, description, datatype, required, order, ...}]
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    #: Keys of the object types a report of this category may name (attribute object_id).
    object_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Report(HasGeometry, Base):
    """A citizen report. Contact columns are personal data: staff of its municipality only."""

    __tablename__ = "assets_reports"
    __table_args__ = (
        Index("ix_assets_reports_municipality_created", "municipality_id", "created_at"),
        *spatial_indexes("assets_reports"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        IdType, ForeignKey(MUNICIPALITY_FK, ondelete="CASCADE")
    )
    service_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("assets_services.id", ondelete="RESTRICT"), index=True
    )
    object_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("assets_objects.id", ondelete="SET NULL"), nullable=True, index=True
    )
    work_order_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("assets_work_orders.id", ondelete="SET NULL"), nullable=True, index=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    address_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    zipcode: Mapped[str | None] = mapped_column(String(10), nullable=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    media_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    #: received | confirmed | in_progress | fixed | duplicate | not_responsible
    state: Mapped[str] = mapped_column(String(20), default="received")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    channel: Mapped[str] = mapped_column(String(10), default="web")  # web | open311 | staff
    # Personal data, never in a public answer:
    contact_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    contact_phone: Mapped[str | None] = mapped_column(String(50), nullable=True)
    contact_first_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    contact_last_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    user_id: Mapped[int | None] = _user(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ReportNote(Base):
    """A step of a report's workflow. Public notes become the Open311 ``status_notes``."""

    __tablename__ = "assets_report_notes"
    __table_args__ = (Index("ix_assets_report_notes_report_at", "report_id", "at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("assets_reports.id", ondelete="CASCADE")
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    author_user_id: Mapped[int | None] = _user()
    author: Mapped[str] = mapped_column(String(200), default="")
