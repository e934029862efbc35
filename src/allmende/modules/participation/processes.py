"""Processes and their timeline: phases, on-site events and frequently asked questions."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

from shapely.geometry.base import BaseGeometry
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from allmende.modules.participation import plans
from allmende.modules.participation.models import (
    Contribution,
    Event,
    FaqEntry,
    Phase,
    Process,
    Survey,
)
from allmende.modules.participation.schemas import (
    EventIn,
    EventRead,
    FaqIn,
    FaqRead,
    PhaseIn,
    PhaseRead,
    ProcessCreate,
    ProcessDetail,
    ProcessRead,
    ProcessUpdate,
    SurveySummary,
)
from allmende.modules.participation.service import (
    SCOPE,
    allowed_actions,
    current_phase,
    get_process,
    municipality_keys,
    refuse,
    require_moderator,
    state_of,
)
from allmende.sdk import (
    Action,
    Municipality,
    NotFound,
    Principal,
    ValidationFailed,
    geometry_from_geojson,
    geometry_to_geojson,
    readable_municipalities,
    require,
    utcnow,
    visible,
)

AREA_TYPES = ("Polygon", "MultiPolygon")


def process_path(process_id: int) -> str:
    return f"/participation/{process_id}"


def parse_geometry(value: object, *, field: str, types: Sequence[str]) -> BaseGeometry:
    geom = geometry_from_geojson(value, field=field)
    if geom.geom_type not in types:
        raise refuse(ValidationFailed, field, f"must be a {' or '.join(types)}")
    return geom


def _phase_read(phase: Phase, current: Phase | None) -> PhaseRead:
    return PhaseRead(
        id=phase.id,
        title=phase.title,
        description=phase.description,
        starts_at=phase.starts_at,
        ends_at=phase.ends_at,
        allows=list(phase.allows),
        current=current is not None and phase.id == current.id,
    )


def process_read(
    process: Process, key: str, *, contributions: int, now: datetime | None = None
) -> ProcessRead:
    now = now or utcnow()
    current = current_phase(process, now)
    return ProcessRead(
        id=process.id,
        municipality=key,
        title=process.title,
        summary=process.summary,
        description=process.description,
        area=geometry_to_geojson(process.geom) if process.geom is not None else None,
        object_name=process.object_name,
        categories=list(process.categories),
        contact=process.contact,
        public=process.public,
        allow_anonymous=process.allow_anonymous,
        state=state_of(process, now).value,
        allowed_actions=sorted(allowed_actions(process, now)),
        phases=[_phase_read(p, current) for p in process.phases],
        created_at=process.created_at,
        updated_at=process.updated_at,
        contribution_count=contributions,
        url=process_path(process.id),
    )


def contribution_counts(session: Session, process_ids: Sequence[int]) -> dict[int, int]:
    """Visible (not hidden) contributions per process, in one query."""
    if not process_ids:
        return {}
    rows = session.execute(
        select(Contribution.process_id, func.count(Contribution.id))
        .where(Contribution.process_id.in_(sorted(set(process_ids))))
        .where(Contribution.hidden.is_(False))
        .group_by(Contribution.process_id)
    )
    return {pid: int(n) for pid, n in rows}


def list_processes(
    session: Session,
    *,
    principal: Principal,
    municipality: str | None = None,
    state: str | None = None,
    now: datetime | None = None,
) -> list[ProcessRead]:
    now = now or utcnow()
    query = (
        select(Process, Municipality.key)
        .join(Municipality, Municipality.id == Process.municipality_id)
        .where(visible(principal, Process.municipality_id, Process.public, scope=SCOPE))
        .order_by(Process.created_at.desc(), Process.id.desc())
    )
    if municipality is not None:
        query = query.where(Municipality.key == municipality)
    rows = session.execute(query).all()
    counts = contribution_counts(session, [p.id for p, _ in rows])
    reads = [process_read(p, key, contributions=counts.get(p.id, 0), now=now) for p, key in rows]
    return [r for r in reads if state is None or r.state == state]


def _phases(data: Sequence[PhaseIn]) -> list[Phase]:
    phases = []
    for index, item in enumerate(data):
        if item.ends_at <= item.starts_at:
            raise refuse(
                ValidationFailed, f"body.phases.{index}.ends_at", "must be after starts_at"
            )
        phases.append(
            Phase(
                title=item.title,
                description=item.description,
                starts_at=item.starts_at,
                ends_at=item.ends_at,
                allows=sorted(set(item.allows)),
            )
        )
    ordered = sorted(phases, key=lambda p: p.starts_at)
    for before, after in itertools.pairwise(ordered):
        if after.starts_at < before.ends_at:
            raise refuse(
                ValidationFailed,
                "body.phases",
                f"phases '{before.title}' and '{after.title}' overlap",
            )
    return ordered


def _categories(values: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        text = value.strip()
        if text and text not in seen:
            seen.append(text)
    return seen


def create_process(session: Session, *, principal: Principal, data: ProcessCreate) -> ProcessRead:
    municipality = session.scalar(select(Municipality).where(Municipality.key == data.municipality))
    if municipality is None:
        raise refuse(
            ValidationFailed, "body.municipality", f"no municipality '{data.municipality}'"
        )
    require(principal, Action.EDIT, municipality_id=municipality.id, scope="participation")
    process = Process(
        municipality_id=municipality.id,
        title=data.title,
        summary=data.summary,
        description=data.description,
        object_name=data.object_name,
        categories=_categories(data.categories),
        contact=data.contact,
        public=data.public,
        allow_anonymous=data.allow_anonymous,
    )
    if data.area is not None:
        process.geom = parse_geometry(data.area, field="body.area", types=AREA_TYPES)
    process.phases = _phases(data.phases)
    session.add(process)
    session.flush()
    return process_read(process, municipality.key, contributions=0)


def moderated_process(session: Session, *, principal: Principal, process_id: int) -> Process:
    """The process, if the caller may change it (404 before 403)."""
    process = get_process(session, principal=principal, process_id=process_id)
    require_moderator(principal, process)
    return process


def update_process(
    session: Session, *, principal: Principal, process_id: int, data: ProcessUpdate
) -> ProcessRead:
    process = moderated_process(session, principal=principal, process_id=process_id)
    values = data.model_dump(exclude_unset=True)
    for name in ("title", "summary", "description", "contact", "public", "allow_anonymous"):
        if name in values:
            if values[name] is None:
                raise refuse(ValidationFailed, f"body.{name}", "must not be null")
            setattr(process, name, values[name])
    if "object_name" in values:
        process.object_name = values["object_name"]
    if "categories" in values:
        process.categories = _categories(data.categories or [])
    if "area" in values:
        process.geom = (
            parse_geometry(data.area, field="body.area", types=AREA_TYPES)
            if data.area is not None
            else None
        )
    if "phases" in values:
        if data.phases is None:
            raise refuse(ValidationFailed, "body.phases", "must not be null")
        process.phases = _phases(data.phases)
    process.updated_at = utcnow()
    session.flush()
    key = municipality_keys(session, {process.municipality_id})[process.municipality_id]
    counts = contribution_counts(session, [process.id])
    return process_read(process, key, contributions=counts.get(process.id, 0))


def delete_process(session: Session, *, principal: Principal, process_id: int) -> list[str]:
    """Delete the process; returns the stored file names to remove after the commit."""
    process = moderated_process(session, principal=principal, process_id=process_id)
    files = plans.stored_names(session, process_id=process.id)
    session.delete(process)
    return files


# What a process's page reads about it, built once (see plans._DRAFTS).
_SURVEYS = (
    select(Survey)
    .where(Survey.process_id == bindparam("process"))
    .order_by(Survey.position, Survey.id)
)
_EVENTS = (
    select(Event)
    .where(Event.process_id == bindparam("process"))
    .order_by(Event.starts_at, Event.id)
)
_FAQ = (
    select(FaqEntry)
    .where(FaqEntry.process_id == bindparam("process"))
    .order_by(FaqEntry.position, FaqEntry.id)
)


def process_detail(
    session: Session, *, principal: Principal, process_id: int, now: datetime | None = None
) -> ProcessDetail:
    process = get_process(session, principal=principal, process_id=process_id)
    # By its key: a page that holds the municipality already takes it from the session.
    place = session.get(Municipality, process.municipality_id)
    assert place is not None  # a foreign key
    counts = contribution_counts(session, [process.id])
    base = process_read(process, place.key, contributions=counts.get(process.id, 0), now=now)
    surveys = session.scalars(_SURVEYS, {"process": process.id})
    return ProcessDetail(
        **base.model_dump(),
        events=list_events(session, process_id=process.id),
        faq=list_faq(session, process_id=process.id),
        drafts=plans.list_drafts(session, process_id=process.id),
        layers=plans.list_layers(session, process_id=process.id),
        documents=plans.list_documents(session, process_id=process.id),
        surveys=[
            SurveySummary(
                id=s.id, title=s.title, results_public=s.results_public, is_open=s.is_open
            )
            for s in surveys
        ],
    )


# --- events -----------------------------------------------------------------------------------


def _event_read(event: Event) -> EventRead:
    return EventRead(
        id=event.id,
        title=event.title,
        description=event.description,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        place=event.place,
        geometry=geometry_to_geojson(event.geom) if event.geom is not None else None,
    )


def list_events(session: Session, *, process_id: int) -> list[EventRead]:
    events = session.scalars(_EVENTS, {"process": process_id})
    return [_event_read(e) for e in events]


def create_event(
    session: Session, *, principal: Principal, process_id: int, data: EventIn
) -> EventRead:
    process = moderated_process(session, principal=principal, process_id=process_id)
    if data.ends_at is not None and data.ends_at < data.starts_at:
        raise refuse(ValidationFailed, "body.ends_at", "must not be before starts_at")
    event = Event(
        process_id=process.id,
        title=data.title,
        description=data.description,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        place=data.place,
    )
    if data.geometry is not None:
        event.geom = parse_geometry(data.geometry, field="body.geometry", types=("Point",))
    session.add(event)
    session.flush()
    return _event_read(event)


def delete_event(session: Session, *, principal: Principal, event_id: int) -> None:
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound(detail=f"No event {event_id}.")
    moderated_process(session, principal=principal, process_id=event.process_id)
    session.delete(event)


# --- FAQ --------------------------------------------------------------------------------------


def list_faq(session: Session, *, process_id: int) -> list[FaqRead]:
    entries = session.scalars(_FAQ, {"process": process_id})
    return [
        FaqRead(id=e.id, question=e.question, answer=e.answer, position=e.position) for e in entries
    ]


def create_faq(session: Session, *, principal: Principal, process_id: int, data: FaqIn) -> FaqRead:
    process = moderated_process(session, principal=principal, process_id=process_id)
    entry = FaqEntry(
        process_id=process.id, question=data.question, answer=data.answer, position=data.position
    )
    session.add(entry)
    session.flush()
    return FaqRead(
        id=entry.id, question=entry.question, answer=entry.answer, position=entry.position
    )


def delete_faq(session: Session, *, principal: Principal, faq_id: int) -> None:
    entry = session.get(FaqEntry, faq_id)
    if entry is None:
        raise NotFound(detail=f"No FAQ entry {faq_id}.")
    moderated_process(session, principal=principal, process_id=entry.process_id)
    session.delete(entry)


def startable_municipalities(session: Session, *, principal: Principal) -> list[Municipality]:
    """Where ``principal`` may start processes: their municipalities (admins: all)."""
    readable = readable_municipalities(principal, scope=SCOPE)
    query = select(Municipality).order_by(Municipality.name)
    if readable is not None:
        query = query.where(Municipality.id.in_(sorted(readable)))
    return list(session.scalars(query))


def municipality_names(session: Session) -> dict[str, str]:
    """The name of every municipality by its key."""
    return {
        row.key: row.name for row in session.execute(select(Municipality.key, Municipality.name))
    }
