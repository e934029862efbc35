"""What the JSON API takes and gives. Public answers leave internal fields ``null``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from allmende.sdk import MAX_ID

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
MunicipalityKey = Annotated[
    str, Field(min_length=1, max_length=40, description="Key of the municipality")
]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=5000)]
GeoJSON = Annotated[dict[str, Any], Field(description="GeoJSON geometry (WGS 84 lon/lat)")]
GeometryKind = Literal["point", "line", "polygon", "any"]
ObjectStatus = Literal["active", "closed", "removed"]
Priority = Literal["low", "medium", "high"]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("999999999.99"), decimal_places=2)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- object types ---------------------------------------------------------------------------


class TypeCreate(Input):
    municipality: MunicipalityKey
    key: Key
    name: Name
    description: Text = ""
    geometry_kind: GeometryKind = "point"
    attribute_schema: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON Schema of the attributes: an object of string/number/integer/boolean",
    )
    public_attributes: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=60
    )
    public: bool = True
    bookable: bool = False
    adoptable: bool = False


class TypeUpdate(Input):
    name: Name | None = None
    description: Text | None = None
    attribute_schema: dict[str, Any] | None = None
    public_attributes: list[Annotated[str, Field(max_length=40)]] | None = Field(
        default=None, max_length=60
    )
    public: bool | None = None
    bookable: bool | None = None
    adoptable: bool | None = None


class TypeRead(BaseModel):
    id: int
    municipality: str | None = Field(description="null: built in, available everywhere")
    key: str
    name: str
    description: str
    geometry_kind: str
    attribute_schema: dict[str, Any]
    public_attributes: list[str]
    public: bool
    bookable: bool
    adoptable: bool


# --- objects --------------------------------------------------------------------------------


class ObjectCreate(Input):
    municipality: MunicipalityKey
    type: Key = Field(description="Key of the object type")
    name: Name
    identifier: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    geometry: GeoJSON
    description: Text = ""
    notes: Text = Field(default="", description="Internal notes")
    address: Annotated[str, Field(max_length=300)] | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    public: bool = True
    status: ObjectStatus = "active"
    parent_id: Id | None = None
    thing_ids: list[Id] = Field(default_factory=list, max_length=50)


class ObjectUpdate(Input):
    name: Name | None = None
    identifier: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    geometry: GeoJSON | None = None
    description: Text | None = None
    notes: Text | None = None
    address: Annotated[str, Field(max_length=300)] | None = None
    attributes: dict[str, Any] | None = None
    public: bool | None = None
    status: ObjectStatus | None = None
    parent_id: Id | None = None
    thing_ids: list[Id] | None = Field(default=None, max_length=50)


class ActivityTotals(BaseModel):
    adopters: int
    total_litres: float
    waterings: int
    litres_last_30_days: float
    last_watered_at: datetime | None


class ObjectRead(BaseModel):
    id: int
    municipality: str
    type: str
    type_name: str
    name: str
    identifier: str | None
    geometry: dict[str, Any] | None
    description: str
    address: str | None
    attributes: dict[str, Any] = Field(description="Public attributes, and internal ones for staff")
    public: bool
    status: str
    parent_id: int | None
    created_at: datetime
    updated_at: datetime
    notes: str | None = Field(description="Internal; null for the public")
    thing_ids: list[int] | None = Field(description="Internal; null for the public")


class ObjectPage(BaseModel):
    items: list[ObjectRead]
    total: int
    limit: int
    offset: int


class ChangeRead(BaseModel):
    id: int
    at: datetime
    actor: str
    kind: str
    summary: str
    changes: dict[str, Any]
    ref_id: int | None


class FileRead(BaseModel):
    id: int
    kind: str
    title: str
    filename: str
    content_type: str
    size: int
    public: bool
    uploaded_at: datetime
    url: str


class ImportRowError(BaseModel):
    row: int
    field: str
    reason: str


class ImportResult(BaseModel):
    mode: str
    dry_run: bool
    rows: int
    created: int
    updated: int
    failed: int
    errors: list[ImportRowError]


# --- inspections and maintenance ------------------------------------------------------------


class ChecklistItem(Input):
    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    label: Annotated[str, Field(min_length=1, max_length=300)]


class PlanCreate(Input):
    municipality: MunicipalityKey
    type: Key
    kind: Literal["visual", "operational", "main", "other"]
    name: Name
    interval_days: int = Field(ge=1, le=3650)
    checklist: list[ChecklistItem] = Field(min_length=1, max_length=50)


class PlanUpdate(Input):
    kind: Literal["visual", "operational", "main", "other"] | None = None
    name: Name | None = None
    interval_days: int | None = Field(default=None, ge=1, le=3650)
    checklist: list[ChecklistItem] | None = Field(default=None, min_length=1, max_length=50)


class PlanRead(BaseModel):
    id: int
    municipality: str | None
    type: str
    kind: str
    name: str
    interval_days: int
    checklist: list[dict[str, str]]
    active: bool


class ItemResult(Input):
    code: Annotated[str, Field(max_length=40)]
    result: Literal["ok", "defect", "na"]
    note: Annotated[str, Field(max_length=1000)] = ""
    priority: Priority | None = Field(default=None, description="For a defect; default medium")


class DefectIn(Input):
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    priority: Priority = "medium"


class InspectionCreate(Input):
    plan_id: Id | None = None
    kind: Literal["visual", "operational", "main", "other"] | None = Field(
        default=None, description="Needed without a plan"
    )
    performed_at: datetime | None = Field(default=None, description="Default: now")
    inspector: Annotated[str, Field(max_length=200)] | None = None
    items: list[ItemResult] = Field(default_factory=list, max_length=50)
    defects: list[DefectIn] = Field(default_factory=list, max_length=50)
    notes: Text = ""
    close_object: bool = Field(default=False, description="Close the object for use")


class DefectRead(BaseModel):
    id: int
    object_id: int
    object_name: str
    inspection_id: int | None
    work_order_id: int | None
    description: str
    priority: str
    status: str
    created_at: datetime
    fixed_at: datetime | None


class DefectUpdate(Input):
    description: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    priority: Priority | None = None
    status: Literal["open", "fixed"] | None = None


class InspectionRead(BaseModel):
    id: int
    object_id: int
    plan_id: int | None
    kind: str
    performed_at: datetime
    inspector: str
    result: str
    items: list[dict[str, Any]]
    notes: str
    defects: list[DefectRead]
    photos: list[FileRead]


class DueRead(BaseModel):
    object_id: int
    object_name: str
    identifier: str | None
    municipality: str
    type: str
    plan_id: int
    plan_name: str
    kind: str
    interval_days: int
    last_performed_at: datetime | None
    due_at: datetime
    overdue: bool


class WorkOrderCreate(Input):
    municipality: MunicipalityKey | None = Field(
        default=None, description="Needed when no object, report or defect names it"
    )
    object_id: Id | None = None
    report_ids: list[Id] = Field(default_factory=list, max_length=50)
    defect_ids: list[Id] = Field(default_factory=list, max_length=50)
    title: Name
    description: Text = ""
    assignee_kind: Literal["internal", "external"] = "internal"
    assignee: Annotated[str, Field(max_length=200)] = ""
    due_on: date | None = None
    cost: Money | None = None


class WorkOrderUpdate(Input):
    title: Name | None = None
    description: Text | None = None
    assignee_kind: Literal["internal", "external"] | None = None
    assignee: Annotated[str, Field(max_length=200)] | None = None
    due_on: date | None = None
    status: Literal["open", "in_progress", "done", "cancelled"] | None = None
    cost: Money | None = None
    completion_note: Text | None = None


class WorkOrderRead(BaseModel):
    id: int
    municipality: str
    object_id: int | None
    object_name: str | None
    title: str
    description: str
    assignee_kind: str
    assignee: str
    due_on: date | None
    status: str
    cost: float | None = Field(description="EUR")
    completion_note: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    report_ids: list[int]
    defect_ids: list[int]


# --- bookings -------------------------------------------------------------------------------


class BookingCreate(Input):
    space_id: Id
    title: Name
    description: Text = ""
    organiser: Annotated[str, Field(max_length=200)] = ""
    contact_email: Annotated[str, Field(max_length=254)] | None = None
    starts_at: datetime
    ends_at: datetime
    area: GeoJSON | None = Field(default=None, description="Polygon within the space; default all")
    public: bool = True


class BookingDecision(Input):
    decision: Literal["approve", "reject", "cancel"]
    note: Text = ""


class BookingRead(BaseModel):
    id: int
    municipality: str
    space_id: int
    space_name: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    status: str
    public: bool
    area: dict[str, Any] | None
    organiser: str | None = Field(description="Internal; null for the public")
    contact_email: str | None = Field(description="Internal; null for the public")
    decision_note: str | None = Field(description="Internal; null for the public")
    conflicts: list[int] | None = Field(
        description="Other requested or approved bookings of the same time and area (staff)"
    )


# --- adoption -------------------------------------------------------------------------------


class ActivityCreate(Input):
    kind: Literal["watering"] = "watering"
    #: More than 500 litres at once is no watering by one person: a tree pit takes no more.
    amount: float = Field(gt=0, le=500, description="Litres (more than 0, at most 500)")
    at: datetime | None = Field(default=None, description="Default: now")


class ActivityRead(BaseModel):
    id: int
    object_id: int
    kind: str
    amount: float
    at: datetime


class AdoptionRead(BaseModel):
    object_id: int
    object_name: str
    type: str
    since: datetime
    my_total_litres: float
    totals: ActivityTotals


# --- reports --------------------------------------------------------------------------------


class ServiceValue(Input):
    key: Annotated[str, Field(min_length=1, max_length=100)]
    name: Annotated[str, Field(min_length=1, max_length=200)]


class ServiceAttributeIn(Input):
    code: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")]
    description: Annotated[str, Field(min_length=1, max_length=500)]
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool = False
    variable: bool = True
    order: int = Field(default=1, ge=1, le=1000)
    datatype_description: Annotated[str, Field(max_length=500)] = ""
    values: list[ServiceValue] = Field(default_factory=list, max_length=100)


class ServiceCreate(Input):
    municipality: MunicipalityKey
    code: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
    name: Name
    description: Text = ""
    group: Annotated[str, Field(max_length=100)] = ""
    keywords: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=20
    )
    attributes: list[ServiceAttributeIn] = Field(default_factory=list, max_length=30)
    object_types: list[Key] = Field(default_factory=list, max_length=20)
    active: StrictBool = True  # JSON's true or false, not 0 or 1


class ServiceRead(BaseModel):
    id: int
    municipality: str
    code: str
    name: str
    description: str
    group: str
    keywords: list[str]
    attributes: list[dict[str, Any]]
    object_types: list[str]
    active: bool


class NoteRead(BaseModel):
    at: datetime
    state: str
    text: str
    public: bool
    author: str | None = Field(description="Staff only")


class ContactRead(BaseModel):
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    device_id: str | None
    account_id: str | None


class ReportRead(BaseModel):
    id: int
    municipality: str
    service_code: str
    service_name: str
    state: str
    status: Literal["open", "closed"]
    description: str
    address: str | None
    lat: float | None
    long: float | None
    object_id: int | None
    work_order_id: int | None = Field(description="Staff only")
    attributes: dict[str, Any]
    media_url: str | None
    public: bool
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    notes: list[NoteRead]
    contact: ContactRead | None = Field(description="Personal data: staff of its municipality")


class ReportUpdate(Input):
    state: (
        Literal["received", "confirmed", "in_progress", "fixed", "duplicate", "not_responsible"]
        | None
    ) = None
    note: Text = Field(default="", description="Status note (public unless note_public=false)")
    note_public: bool = True
    public: bool | None = None
    object_id: Id | None = None


class WorkOrderFromReport(Input):
    title: Name | None = None
    description: Text = ""
    assignee_kind: Literal["internal", "external"] = "internal"
    assignee: Annotated[str, Field(max_length=200)] = ""
    due_on: date | None = None


class ServiceUpdate(Input):
    name: Name | None = None
    description: Text | None = None
    group: Annotated[str, Field(max_length=100)] | None = None
    keywords: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = Field(
        default=None, max_length=20
    )
    attributes: list[ServiceAttributeIn] | None = Field(default=None, max_length=30)
    object_types: list[Key] | None = Field(default=None, max_length=20)
    active: StrictBool | None = None


# --- reports routed by place ----------------------------------------------------------------


class PlaceRead(BaseModel):
    """A hit of the address search."""

    label: str
    lat: float
    lon: float
    municipality: str = Field(description="Key of the municipality the place lies in")


class ReportForward(Input):
    municipality: MunicipalityKey = Field(description="Key of the municipality that takes over")
    note: Annotated[str, Field(min_length=1, max_length=2000)] = Field(
        description="Why the report goes there (an internal note)"
    )
