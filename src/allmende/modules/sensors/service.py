"""The rules of the sensor pages: keyword-only functions taking a session; no HTTP here.

Everything about Things and Observations goes through ``allmende.sdk.sensing``, which reads
the latest value of each Datastream from the pointer the ingest keeps current.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.sensors.catalogue import KINDS, LOCAL_ZONE, N_, PERIODS, Kind, Period
from allmende.modules.sensors.models import SensorKind
from allmende.sdk import (
    Municipality,
    Page,
    Principal,
    ValidationFailed,
    page_count,
    sensing,
)


def kinds(session: Session) -> list[Kind]:
    """The built-in kinds, with the rows of ``sensors_kinds`` replacing or adding to them."""
    local = [
        Kind(k.key, k.definition, k.label, k.style, k.decimals)
        for k in session.scalars(select(SensorKind).order_by(SensorKind.key))
    ]
    replaced = {k.key for k in local} | {k.definition for k in local}
    kept = [k for k in KINDS if k.key not in replaced and k.definition not in replaced]
    return [*kept, *local]


def add_kind(
    session: Session,
    *,
    key: str,
    definition: str,
    label: str,
    style: str = "line",
    decimals: int = 1,
) -> SensorKind:
    """A kind of measurement of this installation (an operator's addition)."""
    if style not in ("line", "bar"):
        raise ValidationFailed.one("style", N_("must be line or bar"))
    if not 0 <= decimals <= 6:
        raise ValidationFailed.one("decimals", N_("must be between 0 and 6"))
    row = SensorKind(key=key, definition=definition, label=label, style=style, decimals=decimals)
    session.add(row)
    session.flush()
    return row


def kind_of(stream: sensing.StreamSummary, known: Sequence[Kind]) -> Kind:
    """The kind of a Datastream by its ObservedProperty; unknown ones are drawn as lines."""
    for kind in known:
        if kind.definition == stream.definition:
            return kind
    return Kind(
        f"op-{stream.observed_property_id}", stream.definition, stream.observed_property_name
    )


@dataclass(frozen=True)
class Filter:
    municipality: Municipality | None
    kind: Kind | None


def resolve_filter(
    session: Session, *, municipality: str | None, kind: str | None, known: Sequence[Kind]
) -> Filter:
    """The filter of the list and map; unknown keys are refused naming the parameter."""
    place = None
    if municipality:
        place = session.scalar(select(Municipality).where(Municipality.key == municipality))
        if place is None:
            raise ValidationFailed.one("municipality", N_("is not a municipality of the region"))
    chosen = None
    if kind:
        chosen = next((k for k in known if k.key == kind), None)
        if chosen is None:
            raise ValidationFailed.one("kind", N_("is not a known kind of measurement"))
    return Filter(place, chosen)


def things(
    session: Session,
    *,
    principal: Principal,
    f: Filter,
    offset: int = 0,
    limit: int = sensing.MAX_THINGS,
) -> list[sensing.ThingSummary]:
    """The Things of the filter, ordered by name; ``offset`` and ``limit`` cut a page."""
    return sensing.list_things(
        session,
        principal=principal,
        municipality_ids=_municipality_ids(f),
        definitions=_definitions(f),
        offset=offset,
        limit=limit,
    )


def page_of_things(
    session: Session, *, principal: Principal, f: Filter, number: int, size: int
) -> Page[sensing.ThingSummary]:
    """Page ``number`` of the Things of the filter (past the end: the last page), read from
    the database alone: a region's list may hold thousands of stations."""
    total = sensing.count_things(
        session,
        principal=principal,
        municipality_ids=_municipality_ids(f),
        definitions=_definitions(f),
    )
    pages = page_count(total, size)
    number = min(number, pages)
    found = things(session, principal=principal, f=f, offset=(number - 1) * size, limit=size)
    return Page(found, number, pages, total)


def _municipality_ids(f: Filter) -> list[int] | None:
    return None if f.municipality is None else [f.municipality.id]


def _definitions(f: Filter) -> list[str] | None:
    return None if f.kind is None else [f.kind.definition]


@dataclass(frozen=True)
class Series:
    """What a chart draws: points (time, value), or per-interval buckets (mean and range)."""

    start: datetime
    end: datetime
    points: list[tuple[datetime, float]]
    low: list[float] | None
    high: list[float] | None
    table: list[sensing.Bucket]
    step: timedelta | None


def series(
    session: Session,
    *,
    streams: Sequence[tuple[sensing.StreamSummary, Kind]],
    period: Period,
    end: datetime,
) -> dict[int, Series]:
    """The data of each stream's chart, by Datastream id: raw values for short periods, hourly
    aggregates for long ones (amounts are summed, states averaged), and a coarser table for
    screen readers. Two queries for all of them (one more where summer time begins or ends)."""
    start = end - period.span
    ids = [stream.id for stream, _ in streams]
    raw = (
        sensing.observations_of(session, datastream_ids=ids, start=start, end=end)
        if period.step is None
        else {}
    )
    steps = [period.table_step] if period.step is None else [period.step, period.table_step]
    aggregated = sensing.aggregates_of(
        session, datastream_ids=ids, start=start, end=end, steps=steps, zone=LOCAL_ZONE
    )
    hourly = aggregated[period.step] if period.step is not None else {}
    tables = aggregated[period.table_step]
    found = {}
    for stream, kind in streams:
        low: list[float] | None = None
        high: list[float] | None = None
        if period.step is None:
            points = [(p.time, p.value) for p in raw[stream.id]]
        elif kind.style == "bar":
            points = [(b.start, b.total) for b in hourly[stream.id]]
        else:
            buckets = hourly[stream.id]
            points = [(b.start, b.mean) for b in buckets]
            low = [b.low for b in buckets]
            high = [b.high for b in buckets]
        found[stream.id] = Series(start, end, points, low, high, tables[stream.id], period.step)
    return found


def period_of(key: str) -> Period:
    return PERIODS[key]
