"""Citizen reports: categories (Open311 services), submission with location and attributes,
the workflow (received → in progress → fixed …) with status notes, and what may be shown.

Submission is shared by the web form and the Open311 adapter. Field names in errors are the
Open311 parameter names (``service_code``, ``lat``, ``attribute[CODE]`` …).
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from shapely.geometry import Point
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from allmende.modules.assets import mails
from allmende.modules.assets.catalogue import (
    CLOSED_STATES,
    DEFAULT_SERVICES,
    N_,
    OBJECT_ATTRIBUTE,
    OPEN_STATES,
    REPORT_STATES_DE,
)
from allmende.modules.assets.models import (
    AssetObject,
    ObjectType,
    Report,
    ReportNote,
    ReportService,
    StoredFile,
)
from allmende.modules.assets.schemas import (
    ContactRead,
    NoteRead,
    ReportRead,
    ReportUpdate,
    ServiceCreate,
    ServiceRead,
    ServiceUpdate,
)
from allmende.modules.assets.service import (
    Actor,
    Faults,
    code_from,
    internal_condition,
    may_read_internal,
    municipality_by_key,
    municipality_keys,
    not_found,
    record,
    require_edit,
)
from allmende.sdk import (
    MAX_ID,
    Conflict,
    Event,
    FieldError,
    Municipality,
    Principal,
    ValidationFailed,
    emit,
    is_digits,
    parse_datetime,
    utcnow,
)

MAX_DESCRIPTION = 4000
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
URL = re.compile(r"^https?://[^\s]{3,490}$")


# --- categories -----------------------------------------------------------------------------


def service_read(s: ReportService, keys: Mapping[int, str]) -> ServiceRead:
    return ServiceRead(
        id=s.id,
        municipality=keys[s.municipality_id],
        code=s.code,
        name=s.name,
        description=s.description,
        group=s.group_name,
        keywords=list(s.keywords),
        attributes=definition(s),
        object_types=list(s.object_types),
        active=s.active,
    )


def definition(s: ReportService) -> list[dict[str, Any]]:
    """The service's attributes as Open311 defines them, and the optional ``object_id`` that
    every category offers (so a report can name an object, e.g. from a QR code on site)."""
    result = [dict(a) for a in sorted(s.attributes, key=lambda a: int(a.get("order", 1)))]
    result.append(
        {
            "code": OBJECT_ATTRIBUTE,
            "description": "Nummer des betroffenen Objekts (z. B. vom Schild oder QR-Code)",
            "datatype": "string",
            "required": False,
            "variable": True,
            "order": max([int(a.get("order", 1)) for a in result] or [0]) + 1,
            "datatype_description": "Die Objektnummer aus dem Objektregister (freiwillig)",
            "values": [],
        }
    )
    return result


def list_services(
    session: Session, *, municipality_id: int | None = None, active_only: bool = True
) -> list[ReportService]:
    query = select(ReportService)
    if municipality_id is not None:
        query = query.where(ReportService.municipality_id == municipality_id)
    if active_only:
        query = query.where(ReportService.active.is_(True))
    return list(
        session.scalars(
            query.order_by(
                ReportService.municipality_id, ReportService.group_name, ReportService.name
            )
        )
    )


def check_attributes(attributes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The attributes as stored; refused with every fault of every attribute."""
    codes: set[str] = set()
    orders: set[int] = set()
    errors: list[FieldError] = []
    result = []
    for i, attribute in enumerate(attributes):
        where = f"body.attributes[{i}]"
        code = str(attribute["code"])
        if code == OBJECT_ATTRIBUTE:
            errors.append(FieldError(f"{where}.code", N_("is reserved for the object number")))
        if code in codes:
            errors.append(FieldError(f"{where}.code", N_("is used twice")))
        if int(attribute["order"]) in orders:
            errors.append(FieldError(f"{where}.order", N_("is used twice")))
        keys = [v["key"] for v in attribute["values"]]
        if attribute["datatype"] in ("singlevaluelist", "multivaluelist") and not keys:
            errors.append(FieldError(f"{where}.values", N_("a choice needs its values")))
        if len(keys) != len(set(keys)):
            errors.append(FieldError(f"{where}.values", N_("a value is listed twice")))
        codes.add(code)
        orders.add(int(attribute["order"]))
        result.append(dict(attribute))
    if errors:
        raise ValidationFailed(
            detail="; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors
        )
    return result


@dataclass(frozen=True)
class QuestionRow:
    """A category's question as staff enter it in a form; ``values``: the choices, separated
    by commas (for the list kinds)."""

    code: str = ""
    description: str = ""
    datatype: str = "string"
    required: bool = False
    values: str = ""


def questions_of(
    rows: Sequence[QuestionRow], before: Sequence[Mapping[str, Any]] = ()
) -> tuple[list[dict[str, Any]], list[int]]:
    """The Open311 attributes the rows define, in their order, and for each the index of its
    row (rows without a question are left out). A new question gets a code from its words; a
    choice keeps the key it had, a new one gets its name as key; what the rows do not show
    (``variable``, ``datatype_description``) stays as it was."""
    keys_by_name = {
        str(v["name"]): str(v["key"]) for a in before for v in a.get("values", []) if "name" in v
    }
    taken = {r.code for r in rows if r.code}
    found: list[dict[str, Any]] = []
    index: list[int] = []
    for i, row in enumerate(rows):
        if not row.description and not row.code:
            continue
        code = row.code or code_from(row.description, taken)
        taken.add(code)
        names = [v.strip() for v in row.values.split(",") if v.strip()]
        kept = next((a for a in before if a.get("code") == code), {})
        found.append(
            {
                **{k: kept[k] for k in ("variable", "datatype_description") if k in kept},
                "code": code,
                "description": row.description,
                "datatype": row.datatype,
                "required": row.required,
                "order": len(found) + 1,
                "values": [{"key": keys_by_name.get(n, n), "name": n} for n in names],
            }
        )
        index.append(i)
    return found, index


def _check_object_types(session: Session, municipality_id: int, keys: Sequence[str]) -> list[str]:
    known = set(
        session.scalars(
            select(ObjectType.key).where(
                or_(
                    ObjectType.municipality_id.is_(None),
                    ObjectType.municipality_id == municipality_id,
                )
            )
        )
    )
    unknown = sorted(set(keys) - known)
    if unknown:
        raise ValidationFailed.one(
            "body.object_types", f"unknown object types: {', '.join(unknown)}"
        )
    return list(dict.fromkeys(keys))


def create_service(session: Session, *, principal: Principal, data: ServiceCreate) -> ReportService:
    municipality = municipality_by_key(session, data.municipality, field="body.municipality")
    require_edit(principal, municipality.id)
    exists = session.scalar(
        select(ReportService.id).where(
            ReportService.municipality_id == municipality.id, ReportService.code == data.code
        )
    )
    if exists is not None:
        raise Conflict(
            detail=f"body.code: the category '{data.code}' exists already",
            errors=[FieldError("body.code", N_("exists already"))],
        )
    s = ReportService(
        municipality_id=municipality.id,
        code=data.code,
        name=data.name,
        description=data.description,
        group_name=data.group,
        keywords=list(data.keywords),
        attributes=check_attributes([a.model_dump() for a in data.attributes]),
        object_types=_check_object_types(session, municipality.id, data.object_types),
        active=data.active,
    )
    session.add(s)
    session.flush()
    return s


def get_service(session: Session, service_id: int) -> ReportService:
    found = session.get(ReportService, service_id)
    if found is None:
        raise not_found("report category", service_id)
    return found


def editable_service(session: Session, *, principal: Principal, service_id: int) -> ReportService:
    """A category its municipality's editors may change."""
    s = get_service(session, service_id)
    require_edit(principal, s.municipality_id)
    return s


def update_service(
    session: Session, *, principal: Principal, service_id: int, data: ServiceUpdate
) -> ReportService:
    s = editable_service(session, principal=principal, service_id=service_id)
    values = data.model_dump(exclude_unset=True)
    for name, value in values.items():
        if value is None:
            raise ValidationFailed.one(f"body.{name}", "must not be null")
    if "attributes" in values and data.attributes is not None:
        # From the models, not from ``values``: that leaves out each attribute's unset defaults.
        s.attributes = check_attributes([a.model_dump() for a in data.attributes])
    if "object_types" in values:
        s.object_types = _check_object_types(session, s.municipality_id, values["object_types"])
    for name, column in (
        ("name", "name"),
        ("description", "description"),
        ("group", "group_name"),
        ("keywords", "keywords"),
        ("active", "active"),
    ):
        if name in values:
            setattr(s, column, values[name])
    session.flush()
    return s


def add_default_services(
    session: Session, *, principal: Principal, municipality_id: int
) -> list[ReportService]:
    """The standard categories the municipality does not have yet."""
    require_edit(principal, municipality_id)
    have = set(
        session.scalars(
            select(ReportService.code).where(ReportService.municipality_id == municipality_id)
        )
    )
    added = []
    for spec in DEFAULT_SERVICES:
        if spec["code"] in have:
            continue
        s = ReportService(municipality_id=municipality_id, active=True, **spec)
        session.add(s)
        added.append(s)
    session.flush()
    return added


# --- submission -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """A new report as it arrives (web form or Open311). Personal fields are stored only."""

    service_code: str
    lat: float | None = None
    long: float | None = None
    address: str | None = None
    address_id: str | None = None
    zipcode: str | None = None
    description: str | None = None
    attributes: Mapping[str, str | list[str]] = field(default_factory=dict)
    media_url: str | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    user_id: int | None = None
    channel: str = "web"


def _text(value: str | None, name: str, limit: int) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if "\x00" in text:
        raise ValidationFailed.one(name, "must not contain NUL characters")
    if len(text) > limit:
        raise ValidationFailed.one(name, f"must be at most {limit} characters")
    return text or None


def _coordinate(value: float | None, name: str, bound: float) -> float | None:
    if value is None:
        return None
    if not math.isfinite(value) or not -bound <= value <= bound:
        raise ValidationFailed.one(name, f"must be a number between -{bound:g} and {bound:g}")
    return float(value)


def _answers(
    s: ReportService, given: Mapping[str, str | list[str]]
) -> tuple[dict[str, Any], str | None]:
    """Check the attribute answers against the definition; returns them and the object id.
    Refused with the faults of every answer."""
    defined = {str(a["code"]): a for a in definition(s)}
    answers: dict[str, Any] = {}
    faults = Faults()
    for code, raw in given.items():
        attribute = defined.get(code)
        if attribute is None:
            faults.add(f"attribute[{code}]", f"is not an attribute of the service '{s.code}'")
            continue
        answer = faults.check(partial(_answer, code, raw, attribute))
        if answer is not None:
            answers[code] = answer
    faulty = {e.field for e in faults.errors}
    for code, a in defined.items():
        required = a.get("required") and a.get("variable", True)
        if required and code not in answers and f"attribute[{code}]" not in faulty:
            faults.add(f"attribute[{code}]", N_("is required"))
    faults.raise_any()
    return answers, answers.pop(OBJECT_ATTRIBUTE, None)


def _answer(code: str, raw: str | list[str], attribute: Mapping[str, Any]) -> Any:
    """One answer as stored (None: not answered, "optional" means an empty one is absent)."""
    name = f"attribute[{code}]"
    values = raw if isinstance(raw, list) else [raw]
    values = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if not values:
        return None
    if any(len(v) > 1000 or "\x00" in v for v in values):
        raise ValidationFailed.one(name, "is too long or holds NUL characters")
    kind = attribute["datatype"]
    keys = {str(v["key"]) for v in attribute.get("values", [])}
    if kind == "multivaluelist":
        if any(v not in keys for v in values):
            raise ValidationFailed.one(name, f"values must be among {', '.join(sorted(keys))}")
        return values
    if len(values) > 1:
        raise ValidationFailed.one(name, "takes one value")
    value = values[0]
    if kind == "singlevaluelist" and value not in keys:
        raise ValidationFailed.one(name, f"must be one of {', '.join(sorted(keys))}")
    if kind == "number":
        try:
            number = float(value.replace(",", "."))
        except ValueError as exc:
            raise ValidationFailed.one(name, N_("must be a number")) from exc
        if not math.isfinite(number):
            raise ValidationFailed.one(name, "must be a finite number")
    if kind == "datetime":
        parse_datetime(value, field=name)
    return value


def _object(session: Session, municipality_id: int, raw: str) -> AssetObject:
    name = f"attribute[{OBJECT_ATTRIBUTE}]"
    if not is_digits(raw) or not 1 <= int(raw) <= MAX_ID:
        raise ValidationFailed.one(name, "must be the number of an object")
    obj = session.get(AssetObject, int(raw))
    if (
        obj is None
        or obj.municipality_id != municipality_id
        or not obj.public
        or obj.status == "removed"
    ):
        raise ValidationFailed.one(name, f"no object {raw} in this municipality")
    return obj


def find_service(
    session: Session, municipality_id: int, code: str, *, field: str = "service_code"
) -> ReportService:
    s = session.scalar(
        select(ReportService).where(
            ReportService.municipality_id == municipality_id,
            ReportService.code == code,
            ReportService.active.is_(True),
        )
    )
    if s is None:
        raise ValidationFailed.one(field, f"no service '{code}' in this jurisdiction")
    return s


@dataclass(frozen=True)
class Checked:
    """A new report's values once every check passed."""

    service: ReportService
    description: str
    address: str | None
    address_id: str | None
    answers: dict[str, Any]
    obj: AssetObject | None
    geom: Point | None
    media_url: str | None
    email: str | None


def check_submission(session: Session, *, municipality_id: int, data: Submission) -> Checked:
    """Every check of a new report, refused with all faults at once (each naming its
    parameter). Without a category nothing else can be checked."""
    if not data.service_code:
        raise ValidationFailed.one("service_code", N_("is required"))
    s = find_service(session, municipality_id, data.service_code)
    faults = Faults()
    lat = faults.check(lambda: _coordinate(data.lat, "lat", 90))
    long = faults.check(lambda: _coordinate(data.long, "long", 180))
    placed = not faults.errors  # the coordinates can be judged
    if placed and (lat is None) != (long is None):
        faults.add("lat" if lat is None else "long", N_("lat and long go together"))
        placed = False
    address = faults.check(lambda: _text(data.address, "address_string", 300))
    address_id = faults.check(lambda: _text(data.address_id, "address_id", 100))
    description = faults.check(lambda: _text(data.description, "description", MAX_DESCRIPTION))
    answers, object_ref = faults.check(lambda: _answers(s, data.attributes)) or ({}, None)
    obj = (
        faults.check(lambda: _object(session, municipality_id, object_ref)) if object_ref else None
    )
    geom = None
    if lat is not None and long is not None:
        geom = Point(long, lat)
        boundary = session.scalar(select(Municipality).where(Municipality.id == municipality_id))
        if boundary is not None and boundary.geom is not None and not boundary.geom.covers(geom):
            faults.add("lat", f"the location lies outside {boundary.name}")
    elif obj is not None and obj.geom is not None:
        geom = obj.geom.representative_point()
    elif placed and not (object_ref and obj is None) and address is None and address_id is None:
        faults.add("lat", N_("a location is required: lat and long, address_string or address_id"))
    media_url = faults.check(lambda: _text(data.media_url, "media_url", 500))
    if media_url is not None and not URL.match(media_url):
        faults.add("media_url", N_("must be an http(s) URL"))
    email = faults.check(lambda: _text(data.email, "email", 254))
    if email is not None and not EMAIL.match(email):
        faults.add("email", N_("is not an e-mail address"))
    faults.raise_any()
    return Checked(
        service=s,
        description=description or "",
        address=address,
        address_id=address_id,
        answers=answers,
        obj=obj,
        geom=geom,
        media_url=media_url,
        email=email,
    )


def submit(session: Session, *, municipality_id: int, data: Submission, actor: Actor) -> Report:
    """Check and store a new report; every refusal names the parameter at fault."""
    checked = check_submission(session, municipality_id=municipality_id, data=data)
    s, obj, email = checked.service, checked.obj, checked.email
    now = utcnow()
    report = Report(
        municipality_id=municipality_id,
        service_id=s.id,
        object_id=obj.id if obj else None,
        description=checked.description,
        address=checked.address,
        address_id=checked.address_id,
        zipcode=_text(data.zipcode, "zipcode", 10),
        attributes=checked.answers,
        media_url=checked.media_url,
        state="received",
        public=True,
        token=secrets.token_urlsafe(18),
        channel=data.channel,
        contact_email=email,
        contact_phone=_text(data.phone, "phone", 50),
        contact_first_name=_text(data.first_name, "first_name", 100),
        contact_last_name=_text(data.last_name, "last_name", 100),
        device_id=_text(data.device_id, "device_id", 200),
        account_id=_text(data.account_id, "account_id", 200),
        user_id=data.user_id,
        created_at=now,
        updated_at=now,
    )
    report.geom = checked.geom
    session.add(report)
    session.flush()
    session.add(
        ReportNote(
            report_id=report.id,
            at=now,
            state="received",
            public=True,
            author=actor.name[:200],
            author_user_id=actor.user_id,
        )
    )
    if obj is not None:
        record(
            session, obj, actor, kind="report", summary=f"#{report.id} {s.name}", ref_id=report.id
        )
    emit(
        session,
        Event("assets.report.created", {"id": report.id, "municipality_id": municipality_id}),
    )
    mails.report_received(session, report)
    return report


# --- workflow -------------------------------------------------------------------------------


def add_note(
    session: Session, report: Report, actor: Actor, *, text: str, public: bool
) -> ReportNote:
    note = ReportNote(
        report_id=report.id,
        at=utcnow(),
        state=report.state,
        text=text,
        public=public,
        author_user_id=actor.user_id,
        author=actor.name[:200],
    )
    session.add(note)
    return note


def change_state(
    session: Session, report: Report, actor: Actor, *, state: str, text: str, public: bool = True
) -> None:
    previous = report.state
    now = utcnow()
    report.state = state
    report.updated_at = now
    report.closed_at = (report.closed_at or now) if state in CLOSED_STATES else None
    add_note(session, report, actor, text=text, public=public)
    mails.report_state_changed(session, report, previous=previous, note=text if public else "")
    if report.object_id is not None:
        obj = session.get(AssetObject, report.object_id)
        if obj is not None:
            record(
                session,
                obj,
                actor,
                kind="report",
                summary=f"#{report.id}: {previous} → {state}",
                ref_id=report.id,
            )
    if state in CLOSED_STATES and previous not in CLOSED_STATES:
        emit(session, Event("assets.report.closed", {"id": report.id}))


def get_report(session: Session, *, principal: Principal, report_id: int) -> Report:
    found = session.scalar(
        select(Report).where(
            Report.id == report_id,
            or_(Report.public.is_(True), internal_condition(principal, Report.municipality_id)),
        )
    )
    if found is None:
        raise not_found("report", report_id)
    return found


def update_report(
    session: Session, *, principal: Principal, report_id: int, data: ReportUpdate
) -> Report:
    report = get_report(session, principal=principal, report_id=report_id)
    require_edit(principal, report.municipality_id)
    actor = Actor.of(principal)
    text = data.note.strip()
    if "public" in data.model_fields_set:
        if data.public is None:
            raise ValidationFailed.one("body.public", "must not be null")
        report.public = data.public
    if data.object_id is not None and data.object_id != report.object_id:
        obj = session.get(AssetObject, data.object_id)
        if obj is None or obj.municipality_id != report.municipality_id:
            raise ValidationFailed.one("body.object_id", f"no object {data.object_id} here")
        report.object_id = obj.id
        record(session, obj, actor, kind="report", summary=f"#{report.id}", ref_id=report.id)
    if data.state is not None and data.state != report.state:
        change_state(session, report, actor, state=data.state, text=text, public=data.note_public)
    elif text:
        add_note(session, report, actor, text=text, public=data.note_public)
    report.updated_at = utcnow()
    session.flush()
    return report


@dataclass(frozen=True)
class ReportFilter:
    municipality_id: int | None = None
    states: Sequence[str] | None = None
    service_ids: Sequence[int] | None = None
    object_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    ids: Sequence[int] | None = None
    public_only: bool = False


def report_query(principal: Principal, f: ReportFilter) -> Any:
    visible = (
        Report.public.is_(True)
        if f.public_only
        else or_(Report.public.is_(True), internal_condition(principal, Report.municipality_id))
    )
    query = select(Report).where(visible)
    if f.ids is not None:
        return query.where(Report.id.in_(list(f.ids)))
    conditions = []
    if f.municipality_id is not None:
        conditions.append(Report.municipality_id == f.municipality_id)
    if f.states is not None:
        conditions.append(Report.state.in_(list(f.states)))
    if f.service_ids is not None:
        conditions.append(Report.service_id.in_(list(f.service_ids)))
    if f.object_id is not None:
        conditions.append(Report.object_id == f.object_id)
    if f.start is not None:
        conditions.append(Report.created_at >= f.start)
    if f.end is not None:
        conditions.append(Report.created_at <= f.end)
    return query.where(and_(*conditions)) if conditions else query


def list_reports(
    session: Session, *, principal: Principal, f: ReportFilter, limit: int = 100, offset: int = 0
) -> list[Report]:
    query = report_query(principal, f).order_by(Report.created_at.desc(), Report.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def status_note(state: str, text: str) -> str:
    label = REPORT_STATES_DE.get(state, state)
    return f"{label}: {text}" if text else label


@dataclass(frozen=True)
class ReportDetails:
    """What reading many reports needs, fetched in a fixed number of queries."""

    services: dict[int, ReportService]
    notes: dict[int, list[ReportNote]]
    photos: dict[int, int]
    keys: dict[int, str]


def details(
    session: Session, reports: Sequence[Report], *, internal_ids: set[int]
) -> ReportDetails:
    ids = [r.id for r in reports]
    services = {
        s.id: s
        for s in session.scalars(
            select(ReportService).where(ReportService.id.in_({r.service_id for r in reports}))
        )
    }
    notes: dict[int, list[ReportNote]] = {i: [] for i in ids}
    note_query = select(ReportNote).where(ReportNote.report_id.in_(ids))
    for note in session.scalars(note_query.order_by(ReportNote.at, ReportNote.id)):
        if note.public or note.report_id in internal_ids:
            notes[note.report_id].append(note)
    photos: dict[int, int] = {}
    for file_id, report_id in session.execute(
        select(StoredFile.id, StoredFile.report_id)
        .where(StoredFile.report_id.in_(ids), StoredFile.kind == "photo")
        .order_by(StoredFile.id)
    ):
        if report_id is not None:
            photos.setdefault(report_id, file_id)
    return ReportDetails(services, notes, photos, municipality_keys(session))


def photo_path(file_id: int) -> str:
    return f"/api/assets/files/{file_id}"


def answers(session: Session, report: Report) -> list[tuple[str, str]]:
    """The reporter's answers as staff read them: each question in its words and the names of
    the chosen choices (a code or key the category no longer has is shown as it is)."""
    service = session.get(ReportService, report.service_id)
    questions = {str(a.get("code")): a for a in (service.attributes if service else [])}
    found = []
    for code, value in (report.attributes or {}).items():
        question = questions.get(code, {})
        names = {str(v.get("key")): str(v.get("name")) for v in question.get("values", [])}
        given = value if isinstance(value, list) else [value]
        answer = ", ".join(names.get(str(v), str(v)) for v in given)
        found.append((str(question.get("description") or code), answer))
    return found


def report_reads(
    session: Session, principal: Principal, reports: Sequence[Report]
) -> list[ReportRead]:
    internal = {r.id for r in reports if may_read_internal(principal, r.municipality_id)}
    d = details(session, reports, internal_ids=internal)
    result = []
    for r in reports:
        s = d.services[r.service_id]
        point = r.geom if r.geom is not None and r.geom.geom_type == "Point" else None
        show = r.id in internal
        result.append(
            ReportRead(
                id=r.id,
                municipality=d.keys[r.municipality_id],
                service_code=s.code,
                service_name=s.name,
                state=r.state,
                status="open" if r.state in OPEN_STATES else "closed",
                description=r.description,
                address=r.address,
                lat=point.y if point is not None else None,
                long=point.x if point is not None else None,
                object_id=r.object_id,
                work_order_id=r.work_order_id if show else None,
                attributes=dict(r.attributes or {}),
                media_url=r.media_url or (photo_path(d.photos[r.id]) if r.id in d.photos else None),
                public=r.public,
                created_at=r.created_at,
                updated_at=r.updated_at,
                closed_at=r.closed_at,
                notes=[
                    NoteRead(
                        at=n.at,
                        state=n.state,
                        text=n.text,
                        public=n.public,
                        author=n.author if show else None,
                    )
                    for n in d.notes[r.id]
                ],
                contact=ContactRead(
                    email=r.contact_email,
                    phone=r.contact_phone,
                    first_name=r.contact_first_name,
                    last_name=r.contact_last_name,
                    device_id=r.device_id,
                    account_id=r.account_id,
                )
                if show
                else None,
            )
        )
    return result


def inbox(
    session: Session,
    *,
    principal: Principal,
    states: Sequence[str] | None,
    municipality_id: int | None,
    limit: int = 500,
) -> tuple[list[Report], dict[int, ReportService]]:
    """The staff's report inbox, newest first: reports in ``states`` (all with None) the
    caller reads internally, and their categories by id."""
    found = session.scalars(
        select(Report)
        .where(internal_condition(principal, Report.municipality_id))
        .where(*(() if states is None else (Report.state.in_(states),)))
        .where(*(() if municipality_id is None else (Report.municipality_id == municipality_id,)))
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(limit)
    ).all()
    services = {
        s.id: s
        for s in session.scalars(
            select(ReportService).where(ReportService.id.in_({r.service_id for r in found}))
        )
    }
    return list(found), services


def public_report(session: Session, *, report_id: int) -> Report:
    """A public report (404 for one that does not exist or is not public)."""
    report = session.scalar(select(Report).where(Report.id == report_id, Report.public.is_(True)))
    if report is None:
        raise not_found("report", report_id)
    return report


def photo_id(session: Session, *, report_id: int) -> int | None:
    """The id of the report's photo, if it has one."""
    return session.scalar(
        select(StoredFile.id).where(StoredFile.report_id == report_id, StoredFile.kind == "photo")
    )
