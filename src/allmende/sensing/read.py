"""A small, typed facade over the observation core for modules (``allmende.sdk.sensing``).

Reading: the Things a caller may see with their position, Datastreams and latest values; one
Datastream's Observations in a time range; the same aggregated per fixed interval. The latest
value comes from the pointer each Datastream keeps current on ingest (a primary-key join), so
listing every sensor never scans the Observations.

Reading many Datastreams at once for models: :func:`series` gives each stream's numeric
Observations as numpy arrays from one query.

Writing (for demo data, importers and the modules' derived values): Things with a point
Location, Sensors, Observed Properties, Datastreams, and a whole series of Observations through
the batched ingest. :func:`ensure_thing` and :func:`ensure_datastream` get or create, so a job
that publishes what it derives can call them on every run.

Times are timezone-aware ``datetime`` values in UTC; the tables store microseconds.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import (
    BigInteger,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from allmende.core.errors import Conflict, NotFound, ValidationFailed
from allmende.identity.permissions import readable_municipalities, visible_to
from allmende.identity.principal import Principal
from allmende.sensing import service
from allmende.sensing.ingest import DuplicatePolicy, IngestError, ingest_datastream
from allmende.sensing.models import (
    Datastream,
    Location,
    Observation,
    ObservedProperty,
    ResultKind,
    Sensor,
    Thing,
    thing_locations,
)
from allmende.sensing.results import decode_result
from allmende.sensing.times import from_micros, to_micros
from allmende.storage.id_sets import in_set, in_set_parameter

__all__ = [
    "DERIVED_SENSOR_METADATA",
    "MEASUREMENT",
    "Bucket",
    "DuplicatePolicy",
    "Point",
    "Series",
    "StreamSet",
    "StreamSummary",
    "ThingSummary",
    "aggregate",
    "busiest_streams",
    "count_things",
    "create_datastream",
    "create_observed_property",
    "create_sensor",
    "create_thing",
    "ensure_datastream",
    "ensure_thing",
    "every_thing",
    "get_datastream",
    "get_thing",
    "ingest_series",
    "list_things",
    "observations",
    "series",
    "stream_ids",
    "stream_sets",
    "thing_municipalities",
]

#: The scope an API key needs to read internal entities: they are SensorThings entities.
READ_SCOPE = "sensorthings"
#: Things per list; a region has hundreds, not hundreds of thousands, of sensor stations.
MAX_THINGS = 5000
#: Observations per range read (a month of one-minute values).
MAX_POINTS = 50_000
#: Observations per :func:`series` read: a year of quarter-hours of 100 streams.
MAX_SERIES_POINTS = 5_000_000
#: What the Sensor of derived Datastreams points to (STA needs a document for every Sensor).
DERIVED_SENSOR_METADATA = "https://allmende.example/docs/sensorthings.html"


@dataclass(frozen=True)
class StreamSummary:
    """A Datastream with its ObservedProperty and its latest Observation (None if empty)."""

    id: int
    name: str
    description: str
    unit_name: str
    unit_symbol: str
    unit_definition: str
    observed_property_id: int
    observed_property_name: str
    definition: str
    public: bool
    observation_count: int
    latest_value: Any
    latest_time: datetime | None
    #: The earliest phenomenonTime of its Observations (None if it has none).
    first_time: datetime | None = None


@dataclass(frozen=True)
class ThingSummary:
    """A Thing with the position of its first located Location (lon/lat, or None)."""

    id: int
    name: str
    description: str
    properties: dict[str, Any]
    municipality_id: int
    public: bool
    lon: float | None
    lat: float | None
    location_name: str | None
    streams: list[StreamSummary] = field(default_factory=list)

    @property
    def latest_time(self) -> datetime | None:
        times = [s.latest_time for s in self.streams if s.latest_time is not None]
        return max(times) if times else None


@dataclass(frozen=True)
class StreamSet:
    """The Datastreams of one municipality's Things of one kind (their property ``kind``; None
    for Things without one) that a caller may see, summed up in the database."""

    municipality_id: int
    kind: str | None
    #: The earliest and the latest phenomenonTime of their Observations.
    first_time: datetime | None
    latest_time: datetime | None
    #: The extent (lon/lat) of the Things' Locations the caller may see; None without any.
    bbox: tuple[float, float, float, float] | None
    #: The names of what they observe, sorted.
    observed_properties: tuple[str, ...]


@dataclass(frozen=True)
class Point:
    time: datetime
    value: float


@dataclass(frozen=True)
class Bucket:
    """Numeric Observations of one interval ``[start, start + step)``."""

    start: datetime
    count: int
    low: float
    high: float
    mean: float
    total: float


# --- reading ---------------------------------------------------------------------------------


# The listing's statements without their conditions, built once: building one of a dozen
# columns costs more than SQLite's run of it, and a page of sensors runs three.
_THING_ROWS = select(
    Thing.id,
    Thing.name,
    Thing.description,
    Thing.properties,
    Thing.municipality_id,
    Thing.public,
).order_by(Thing.name, Thing.id)
_POSITION_ROWS = (
    select(
        thing_locations.c.thing_id,
        Location.name,
        Location.bbox_minx,
        Location.bbox_miny,
        Location.bbox_maxx,
        Location.bbox_maxy,
    )
    .join(Location, Location.id == thing_locations.c.location_id)
    .where(Location.bbox_minx.is_not(None), in_set_parameter(thing_locations.c.thing_id, "things"))
    .order_by(thing_locations.c.thing_id, Location.id)
)
_STREAM_ROWS = (
    select(
        Datastream.thing_id,
        Datastream.id,
        Datastream.name,
        Datastream.description,
        Datastream.unit_of_measurement,
        Datastream.public,
        Datastream.observation_count,
        ObservedProperty.id,
        ObservedProperty.name,
        ObservedProperty.definition,
        Observation.phenomenon_time,
        Observation.result_kind,
        Observation.result_number,
        Observation.result_text,
        Observation.result_json,
        Datastream.phenomenon_time_start,
    )
    .join(ObservedProperty, ObservedProperty.id == Datastream.observed_property_id)
    .outerjoin(Observation, Observation.id == Datastream.latest_observation_id)
    .order_by(Datastream.thing_id, Datastream.id)
)


def list_things(
    session: Session,
    *,
    principal: Principal,
    municipality_ids: Collection[int] | None = None,
    definitions: Collection[str] | None = None,
    thing_ids: Collection[int] | None = None,
    limit: int = MAX_THINGS,
    offset: int = 0,
) -> list[ThingSummary]:
    """The Things ``principal`` may see (public ones, internal ones of readable municipalities),
    ordered by name, optionally only those of some municipalities or with a Datastream of an
    ObservedProperty ``definition``; ``offset`` and ``limit`` cut one page of them. Each
    carries only the Datastreams the caller may see."""
    shape = _listing(
        readable_municipalities(principal, scope=READ_SCOPE),
        municipality_ids is not None,
        definitions is not None,
        thing_ids is not None,
    )
    filters = _filter_values(municipality_ids, definitions, thing_ids)
    things = session.execute(
        shape.things,
        {**filters, "offset": max(0, offset), "limit": max(0, min(limit, MAX_THINGS))},
    ).all()
    ids = [t.id for t in things]
    places = _positions(session, ids)
    streams = _streams(session, shape.streams, ids)
    return [
        ThingSummary(
            id=t.id,
            name=t.name,
            description=t.description,
            properties=t.properties if isinstance(t.properties, dict) else {},
            municipality_id=t.municipality_id,
            public=t.public,
            lon=places[t.id][0] if t.id in places else None,
            lat=places[t.id][1] if t.id in places else None,
            location_name=places[t.id][2] if t.id in places else None,
            streams=streams.get(t.id, []),
        )
        for t in things
    ]


def every_thing(
    session: Session,
    *,
    principal: Principal,
    municipality_ids: Collection[int] | None = None,
    definitions: Collection[str] | None = None,
    thing_ids: Collection[int] | None = None,
) -> list[ThingSummary]:
    """What :func:`list_things` finds with the same filter, every page of it: for work on the
    whole region (a balance, the heat stations), which must not stop at the first 5 000
    Things."""
    found: list[ThingSummary] = []
    while True:
        page = list_things(
            session,
            principal=principal,
            municipality_ids=municipality_ids,
            definitions=definitions,
            thing_ids=thing_ids,
            limit=MAX_THINGS,
            offset=len(found),
        )
        found.extend(page)
        if len(page) < MAX_THINGS:
            return found


def count_things(
    session: Session,
    *,
    principal: Principal,
    municipality_ids: Collection[int] | None = None,
    definitions: Collection[str] | None = None,
) -> int:
    """How many Things :func:`list_things` finds with the same filter, over all its pages."""
    shape = _listing(
        readable_municipalities(principal, scope=READ_SCOPE),
        municipality_ids is not None,
        definitions is not None,
        False,
    )
    filters = _filter_values(municipality_ids, definitions, None)
    return int(session.scalar(shape.how_many, filters) or 0)


def stream_sets(session: Session, *, principal: Principal) -> list[StreamSet]:
    """Every :class:`StreamSet` of the region that ``principal`` may see, by municipality and
    kind: three grouped statements, however many Things there are (for the open-data
    catalogue, which every anonymous request builds)."""
    readable = readable_municipalities(principal, scope=READ_SCOPE)
    seen = _seen_streams(readable)
    key = (Thing.municipality_id, _KIND)
    totals = session.execute(
        select(
            *key,
            func.min(Datastream.phenomenon_time_start),
            func.max(Datastream.latest_phenomenon_time),
        )
        .select_from(Datastream)
        .join(Thing, Thing.id == Datastream.thing_id)
        .where(seen)
        .group_by(*key)
    ).all()
    names: dict[tuple[int, str | None], list[str]] = {}
    for municipality_id, kind, name in session.execute(
        select(*key, ObservedProperty.name)
        .select_from(Datastream)
        .join(Thing, Thing.id == Datastream.thing_id)
        .join(ObservedProperty, ObservedProperty.id == Datastream.observed_property_id)
        .where(seen)
        .group_by(*key, ObservedProperty.name)
    ):
        names.setdefault((municipality_id, kind), []).append(name)
    measured = select(Datastream.thing_id).where(
        visible_to(readable, Datastream.municipality_id, Datastream.public)
    )
    extents = {
        (row[0], row[1]): (row[2], row[3], row[4], row[5])
        for row in session.execute(
            select(
                *key,
                func.min(Location.bbox_minx),
                func.min(Location.bbox_miny),
                func.max(Location.bbox_maxx),
                func.max(Location.bbox_maxy),
            )
            .select_from(thing_locations)
            .join(Thing, Thing.id == thing_locations.c.thing_id)
            .join(Location, Location.id == thing_locations.c.location_id)
            .where(
                Location.bbox_minx.is_not(None),
                visible_to(readable, Location.municipality_id, Location.public),
                visible_to(readable, Thing.municipality_id, Thing.public),
                Thing.id.in_(measured),
            )
            .group_by(*key)
        )
    }
    return [
        StreamSet(
            municipality_id=int(municipality_id),
            kind=kind,
            first_time=None if first is None else from_micros(first),
            latest_time=None if latest is None else from_micros(latest),
            bbox=extents.get((municipality_id, kind)),
            observed_properties=tuple(sorted(names.get((municipality_id, kind), []))),
        )
        for municipality_id, kind, first, latest in totals
    ]


def stream_ids(
    session: Session,
    *,
    principal: Principal,
    municipality_id: int,
    kinds: Collection[str] | None = None,
    other_than: Collection[str] = (),
) -> list[int]:
    """The ids of one :class:`StreamSet`'s Datastreams, or of several: those of the
    municipality's Things of ``kinds`` (None: of any kind) and of none of ``other_than``
    (Things without a kind count as none of them)."""
    readable = readable_municipalities(principal, scope=READ_SCOPE)
    condition = and_(_seen_streams(readable), Thing.municipality_id == municipality_id)
    if kinds is not None:
        condition = and_(condition, _KIND.in_(sorted(kinds)))
    if other_than:
        condition = and_(condition, or_(_KIND.is_(None), _KIND.not_in(sorted(other_than))))
    query = select(Datastream.id).join(Thing, Thing.id == Datastream.thing_id).where(condition)
    return [int(i) for i in session.scalars(query.order_by(Datastream.id))]


def busiest_streams(
    session: Session,
    *,
    principal: Principal,
    municipality_id: int,
    definitions: Collection[str],
) -> dict[str, int]:
    """For each ObservedProperty ``definition``, the Datastream of the municipality's Things
    with the most Observations that ``principal`` may see (the oldest among equals): "the"
    weather station's temperature rather than a street sensor's that measured one summer.
    Definitions without one are left out."""
    if not definitions:
        return {}
    readable = readable_municipalities(principal, scope=READ_SCOPE)
    rows = session.execute(
        select(ObservedProperty.definition, Datastream.id, Datastream.observation_count)
        .select_from(Datastream)
        .join(Thing, Thing.id == Datastream.thing_id)
        .join(ObservedProperty, ObservedProperty.id == Datastream.observed_property_id)
        .where(
            _seen_streams(readable),
            Thing.municipality_id == municipality_id,
            ObservedProperty.definition.in_(sorted(set(definitions))),
        )
    )
    best: dict[str, tuple[int, int]] = {}
    for definition, stream_id, count in rows:
        rank = (int(count or 0), -int(stream_id))
        best[definition] = max(best.get(definition, rank), rank)
    return {definition: -rank[1] for definition, rank in best.items()}


#: A Thing's kind as text (None without one), the same on both backends.
_KIND = Thing.properties["kind"].as_string()


def _seen_streams(readable: frozenset[int] | None) -> ColumnElement[bool]:
    """Datastreams the caller may see, of Things the caller may see."""
    return and_(
        visible_to(readable, Thing.municipality_id, Thing.public),
        visible_to(readable, Datastream.municipality_id, Datastream.public),
    )


class _Listing(NamedTuple):
    things: Select[Any]
    how_many: Select[Any]
    streams: Select[Any]


@functools.lru_cache(maxsize=256)
def _listing(
    readable: frozenset[int] | None, by_municipality: bool, by_definition: bool, by_id: bool
) -> _Listing:
    """The listing's statements for callers who read the same municipalities and a filter of
    the same kind, its values bound at each run: built and keyed once, not per request."""
    condition = visible_to(readable, Thing.municipality_id, Thing.public)
    if by_municipality:
        condition = and_(condition, in_set_parameter(Thing.municipality_id, "municipalities"))
    if by_id:
        condition = and_(condition, in_set_parameter(Thing.id, "ids"))
    if by_definition:
        measured = (
            select(Datastream.thing_id)
            .join(ObservedProperty, ObservedProperty.id == Datastream.observed_property_id)
            .where(
                ObservedProperty.definition.in_(bindparam("definitions", expanding=True)),
                visible_to(readable, Datastream.municipality_id, Datastream.public),
            )
        )
        condition = and_(condition, Thing.id.in_(measured))
    return _Listing(
        things=_THING_ROWS.where(condition).offset(bindparam("offset")).limit(bindparam("limit")),
        how_many=select(func.count()).select_from(Thing).where(condition),
        streams=_STREAM_ROWS.where(
            in_set_parameter(Datastream.thing_id, "things"),
            visible_to(readable, Datastream.municipality_id, Datastream.public),
        ),
    )


def _filter_values(
    municipality_ids: Collection[int] | None,
    definitions: Collection[str] | None,
    thing_ids: Collection[int] | None,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if municipality_ids is not None:
        values["municipalities"] = sorted({int(m) for m in municipality_ids})
    if definitions is not None:
        values["definitions"] = sorted(set(definitions))
    if thing_ids is not None:
        values["ids"] = sorted({int(t) for t in thing_ids})
    return values


def get_thing(session: Session, *, principal: Principal, thing_id: int) -> ThingSummary:
    """One Thing as :func:`list_things` describes it; NotFound if absent or not visible."""
    found = list_things(session, principal=principal, thing_ids=[thing_id], limit=1)
    if not found:
        raise NotFound(detail=f"No Thing with id {thing_id}.")
    return found[0]


def get_datastream(
    session: Session, *, principal: Principal, datastream_id: int
) -> tuple[ThingSummary, StreamSummary] | None:
    """One Datastream the caller may see, with its Thing (as :func:`get_thing` describes it);
    None if absent or not visible."""
    thing_id = session.scalar(select(Datastream.thing_id).where(Datastream.id == datastream_id))
    found = (
        list_things(session, principal=principal, thing_ids=[thing_id], limit=1)
        if thing_id is not None
        else []
    )
    for thing in found:
        for stream in thing.streams:
            if stream.id == datastream_id:
                return thing, stream
    return None


def thing_municipalities(session: Session, *, thing_ids: Collection[int]) -> dict[int, int]:
    """The municipality of each Thing of ``thing_ids`` that exists (for links to Things)."""
    rows = session.execute(
        select(Thing.id, Thing.municipality_id).where(in_set(Thing.id, sorted(set(thing_ids))))
    )
    return {int(row[0]): int(row[1]) for row in rows}


def _positions(session: Session, ids: Sequence[int]) -> dict[int, tuple[float, float, str]]:
    """Each Thing's first Location with a geometry: the centre of its bounding box."""
    found: dict[int, tuple[float, float, str]] = {}
    if ids:
        rows = session.execute(_POSITION_ROWS, {"things": list(ids)}).all()
        for thing_id, name, minx, miny, maxx, maxy in rows:
            if thing_id not in found:
                found[thing_id] = ((minx + maxx) / 2, (miny + maxy) / 2, name)
    return found


def _streams(
    session: Session, statement: Select[Any], ids: Sequence[int]
) -> dict[int, list[StreamSummary]]:
    found: dict[int, list[StreamSummary]] = {}
    if ids:
        rows = session.execute(statement, {"things": list(ids)}).all()
        for r in rows:
            unit = r[4] if isinstance(r[4], dict) else {}
            found.setdefault(r[0], []).append(
                StreamSummary(
                    id=r[1],
                    name=r[2],
                    description=r[3],
                    unit_name=str(unit.get("name") or ""),
                    unit_symbol=str(unit.get("symbol") or ""),
                    unit_definition=str(unit.get("definition") or ""),
                    public=r[5],
                    observation_count=int(r[6] or 0),
                    observed_property_id=r[7],
                    observed_property_name=r[8],
                    definition=r[9],
                    latest_time=None if r[10] is None else from_micros(r[10]),
                    latest_value=None
                    if r[11] is None
                    else decode_result(r[11], r[12], r[13], r[14]),
                    first_time=None if r[15] is None else from_micros(r[15]),
                )
            )
    return found


def _range(start: datetime, end: datetime) -> tuple[int, int]:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed.one("time", "needs a time zone")
    if end < start:
        raise ValidationFailed.one("time", "the range ends before it starts")
    return to_micros(start), to_micros(end)


_NUMERIC = case(
    (
        Observation.result_kind.in_([ResultKind.INTEGER, ResultKind.FLOAT, ResultKind.BOOLEAN]),
        Observation.result_number,
    ),
    else_=None,
)


# The charts' two queries are built once, for all Datastreams of a page at a time: a
# station's page of charts ran two per Datastream, and building and keying a statement costs
# about as much as SQLite's run of it.
_OBSERVATIONS_IN_RANGE = (
    select(Observation.datastream_id, Observation.phenomenon_time, _NUMERIC)
    .where(
        in_set_parameter(Observation.datastream_id, "streams"),
        Observation.phenomenon_time >= bindparam("low"),
        Observation.phenomenon_time < bindparam("high"),
    )
    .order_by(Observation.datastream_id, Observation.phenomenon_time)
    .limit(bindparam("limit"))
)
# Times are after 1970, so integer division rounds down on both backends.
_BUCKET = (
    (Observation.phenomenon_time + bindparam("offset", type_=BigInteger))
    // bindparam("width", type_=BigInteger)
) * bindparam("width", type_=BigInteger)
_BUCKETS_IN_RANGE = (
    select(
        Observation.datastream_id,
        _BUCKET.label("start"),
        func.count(_NUMERIC),
        func.min(_NUMERIC),
        func.max(_NUMERIC),
        func.sum(_NUMERIC),
    )
    .where(
        in_set_parameter(Observation.datastream_id, "streams"),
        Observation.phenomenon_time >= bindparam("low"),
        Observation.phenomenon_time < bindparam("high"),
    )
    .group_by(Observation.datastream_id, _BUCKET)
)


def observations(
    session: Session,
    *,
    datastream_id: int,
    start: datetime,
    end: datetime,
    limit: int = MAX_POINTS,
) -> list[Point]:
    """The numeric Observations of one Datastream with ``start <= phenomenonTime < end``, in
    time order. The caller has checked that it may see the Datastream (:func:`get_thing`)."""
    return observations_of(
        session, datastream_ids=[datastream_id], start=start, end=end, limit=limit
    )[datastream_id]


def observations_of(
    session: Session,
    *,
    datastream_ids: Collection[int],
    start: datetime,
    end: datetime,
    limit: int = MAX_POINTS,
) -> dict[int, list[Point]]:
    """:func:`observations` of several Datastreams (at most ``limit`` rows each), read in one
    query; every asked id is a key of the answer."""
    low, high = _range(start, end)
    ids = sorted({int(i) for i in datastream_ids})
    limit = max(0, min(limit, MAX_POINTS))
    found: dict[int, list[Point]] = {i: [] for i in ids}
    if not ids or not limit:
        return found
    cap = limit * len(ids)
    rows = session.execute(
        _OBSERVATIONS_IN_RANGE, {"streams": ids, "low": low, "high": high, "limit": cap}
    ).all()
    taken = dict.fromkeys(ids, 0)
    moments: dict[int, datetime] = {}  # the streams of a station share their times
    for stream, t, v in rows:
        taken[stream] += 1
        if v is None or taken[stream] > limit:
            continue
        moment = moments.get(t)
        if moment is None:
            moment = moments[t] = from_micros(t)
        found[stream].append(Point(moment, float(v)))
    if len(rows) == cap and len(ids) > 1:
        # A dense stream took others' share: those from the last one read on, short of their
        # limit, may be cut (rows come by stream), and are read again each on its own.
        last = rows[-1][0]
        for i in ids:
            if i >= last and taken[i] < limit:
                found[i] = observations(session, datastream_id=i, start=start, end=end, limit=limit)
    return found


def aggregate(
    session: Session,
    *,
    datastream_id: int,
    start: datetime,
    end: datetime,
    step: timedelta,
    zone: tzinfo = UTC,
) -> list[Bucket]:
    """Count, min, max, mean and sum of the numeric Observations per interval of ``step``,
    computed in SQL. Intervals are aligned to midnight in ``zone``: a day is a day of its
    clock (23 or 25 hours long where summer time begins or ends)."""
    return aggregate_of(
        session, datastream_ids=[datastream_id], start=start, end=end, step=step, zone=zone
    )[datastream_id]


def aggregate_of(
    session: Session,
    *,
    datastream_ids: Collection[int],
    start: datetime,
    end: datetime,
    step: timedelta,
    zone: tzinfo = UTC,
) -> dict[int, list[Bucket]]:
    """:func:`aggregate` of several Datastreams in one query (one per change of the zone's
    UTC offset in the range); every asked id is a key of the answer."""
    return aggregates_of(
        session, datastream_ids=datastream_ids, start=start, end=end, steps=[step], zone=zone
    )[step]


def aggregates_of(
    session: Session,
    *,
    datastream_ids: Collection[int],
    start: datetime,
    end: datetime,
    steps: Sequence[timedelta],
    zone: tzinfo = UTC,
) -> dict[timedelta, dict[int, list[Bucket]]]:
    """:func:`aggregate_of` in several steps (a chart's hours and its table's days) from one
    pass over the Observations: the database aggregates by the finest step, and each coarser
    one, a multiple of it, merges those buckets (all are aligned to the zone's midnight, so a
    coarse bucket is exactly the fine ones that start in it)."""
    low, high = _range(start, end)
    widths = {step: step // timedelta(microseconds=1) for step in steps}
    finest = min(widths.values(), default=0)
    if finest < 1_000_000:
        raise ValidationFailed.one("step", "must be at least one second")
    if any(width % finest for width in widths.values()):
        raise ValidationFailed.one("step", "each step must be a multiple of the finest")
    ids = sorted({int(i) for i in datastream_ids})
    # per stream: local bucket → count, min, max, sum
    fine: dict[int, dict[int, list[float]]] = {i: {} for i in ids}
    for part_low, part_high, offset in _constant_offsets(low, high, zone) if ids else []:
        rows = session.execute(
            _BUCKETS_IN_RANGE,
            {
                "streams": ids,
                "low": part_low,
                "high": part_high,
                "offset": offset,
                "width": finest,
            },
        ).all()
        for stream, local, n, lo, hi, total in rows:
            if n:
                _merge(fine[stream], int(local), int(n), float(lo), float(hi), float(total))
    starts: dict[int, datetime] = {}  # the streams' buckets share their starts
    answer: dict[timedelta, dict[int, list[Bucket]]] = {}
    for step, width in widths.items():
        merged = fine
        if width != finest:
            merged = {i: {} for i in ids}
            for stream, buckets in fine.items():
                for local, (n, lo, hi, total) in buckets.items():
                    _merge(merged[stream], local // width * width, int(n), lo, hi, total)
        answer[step] = {
            stream: [
                Bucket(_start(starts, local, zone), int(n), lo, hi, total / n, total)
                for local, (n, lo, hi, total) in sorted(buckets.items())
            ]
            for stream, buckets in merged.items()
        }
    return answer


def _merge(
    buckets: dict[int, list[float]], local: int, n: int, lo: float, hi: float, total: float
) -> None:
    """Add a count, minimum, maximum and sum to the bucket at ``local`` (a fine bucket, or
    one that a change of summer time splits into two parts)."""
    found = buckets.get(local)
    if found is None:
        buckets[local] = [n, lo, hi, total]
        return
    found[0] += n
    found[1], found[2] = min(found[1], lo), max(found[2], hi)
    found[3] += total


def _start(starts: dict[int, datetime], local: int, zone: tzinfo) -> datetime:
    found = starts.get(local)
    if found is None:
        found = starts[local] = _local_start(local, zone)
    return found


def _constant_offsets(low: int, high: int, zone: tzinfo) -> list[tuple[int, int, int]]:
    """``[low, high)`` (µs since the epoch) cut where ``zone``'s UTC offset changes, each part
    with its offset in µs (changes are found to the hour, as every zone in use makes them)."""
    hour = 3_600_000_000

    def offset(moment: int) -> int:
        delta = from_micros(moment).astimezone(zone).utcoffset() or timedelta(0)
        return delta // timedelta(microseconds=1)

    parts: list[tuple[int, int, int]] = []
    part_start, current = low, offset(low)
    moment = (low // hour + 1) * hour
    while moment < high:
        if offset(moment) != current:
            parts.append((part_start, moment, current))
            part_start, current = moment, offset(moment)
        moment += hour
    parts.append((part_start, high, current))
    return parts


def _local_start(local: int, zone: tzinfo) -> datetime:
    """The UTC time at which the bucket that starts at ``local`` on the zone's clock begins."""
    wall = from_micros(local).replace(tzinfo=None)
    return wall.replace(tzinfo=zone).astimezone(UTC)


class Series(NamedTuple):
    """The numeric Observations of one Datastream: times (``datetime64[us]``, UTC) and values,
    in time order."""

    times: NDArray[np.datetime64]
    values: NDArray[np.float64]


_SERIES_ROW = np.dtype([("stream", np.int64), ("time", np.int64), ("value", np.float64)])


def series(
    session: Session,
    *,
    datastream_ids: Collection[int],
    start: datetime,
    end: datetime,
    limit: int = MAX_SERIES_POINTS,
) -> dict[int, Series]:
    """The numeric Observations (numbers and booleans as 1/0; text and JSON results left out)
    of many Datastreams with ``start <= phenomenonTime < end``, read in one query.

    Every asked id is a key of the answer (empty arrays when it has nothing in the range). For
    models: the caller decides what it may read (jobs read everything of their region). More
    than ``limit`` Observations in all is refused rather than cut short silently.
    """
    low, high = _range(start, end)
    ids = sorted(set(datastream_ids))
    if not ids:
        return {}
    result = session.connection().execute(
        select(Observation.datastream_id, Observation.phenomenon_time, Observation.result_number)
        .where(
            in_set(Observation.datastream_id, ids),
            Observation.phenomenon_time >= low,
            Observation.phenomenon_time < high,
            Observation.result_kind.in_([ResultKind.INTEGER, ResultKind.FLOAT, ResultKind.BOOLEAN]),
        )
        .order_by(Observation.datastream_id, Observation.phenomenon_time)
        .limit(max(0, limit) + 1)
    )
    # The driver's own rows (plain tuples: two integers and a float, which no result processor
    # changes) straight into one array: result Row objects cost five times as much, and a
    # model reads hundreds of thousands of values at once.
    rows = result.cursor.fetchall()
    result.close()
    if len(rows) > limit:
        raise ValidationFailed.one(
            "datastream_ids", f"more than {limit} Observations in the range; read less at once"
        )
    found = {
        i: Series(np.empty(0, dtype="datetime64[us]"), np.empty(0, dtype=np.float64)) for i in ids
    }
    if rows:
        table = np.array(rows, dtype=_SERIES_ROW)  # a NULL number becomes NaN, as before
        stream_array = table["stream"]
        time_array = table["time"].astype("datetime64[us]")
        value_array = np.ascontiguousarray(table["value"])
        keys, starts = np.unique(stream_array, return_index=True)
        ends = [*starts[1:], len(stream_array)]
        for key, first, last in zip(keys.tolist(), starts.tolist(), ends, strict=True):
            found[key] = Series(time_array[first:last], value_array[first:last])
    return found


# --- writing ---------------------------------------------------------------------------------


def create_thing(
    session: Session,
    *,
    municipality_id: int,
    name: str,
    lon: float,
    lat: float,
    description: str = "",
    properties: dict[str, Any] | None = None,
    location_name: str | None = None,
    public: bool = True,
) -> int:
    """A Thing at a point (a GeoJSON Location of the same visibility); returns its id."""
    owner = {"municipality_id": municipality_id, "public": public}
    thing = service.create_entity(
        session,
        kind="Thing",
        values={**owner, "name": name, "description": description, "properties": properties},
    )
    location = service.create_entity(
        session,
        kind="Location",
        values={
            **owner,
            "name": location_name or name,
            "description": "",
            "encoding_type": "application/geo+json",
            "location": {"type": "Point", "coordinates": [lon, lat]},
        },
    )
    service.set_thing_locations(session, thing_id=thing.id, location_ids=[location.id])
    return int(thing.id)


def create_sensor(
    session: Session,
    *,
    municipality_id: int,
    name: str,
    description: str = "",
    metadata: str = "",
    encoding_type: str = "text/html",
    public: bool = True,
) -> int:
    sensor = service.create_entity(
        session,
        kind="Sensor",
        values={
            "municipality_id": municipality_id,
            "public": public,
            "name": name,
            "description": description,
            "encoding_type": encoding_type,
            "metadata_": metadata,
        },
    )
    return int(sensor.id)


def create_observed_property(
    session: Session,
    *,
    municipality_id: int,
    name: str,
    definition: str,
    description: str = "",
    public: bool = True,
) -> int:
    observed = service.create_entity(
        session,
        kind="ObservedProperty",
        values={
            "municipality_id": municipality_id,
            "public": public,
            "name": name,
            "definition": definition,
            "description": description,
        },
    )
    return int(observed.id)


MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


def create_datastream(
    session: Session,
    *,
    thing_id: int,
    sensor_id: int,
    observed_property_id: int,
    name: str,
    unit: dict[str, str],
    description: str = "",
    properties: dict[str, Any] | None = None,
    public: bool | None = None,
    observation_type: str = MEASUREMENT,
) -> int:
    """A Datastream (of measurements unless ``observation_type`` says otherwise); it belongs
    to its Thing's municipality and, unless ``public`` says otherwise, visibility. ``unit``:
    ``{"name", "symbol", "definition"}`` (UCUM symbols)."""
    thing = service.get(session, Thing, thing_id)
    stream = service.create_entity(
        session,
        kind="Datastream",
        values={
            "municipality_id": thing.municipality_id,
            "public": thing.public if public is None else public,
            "name": name,
            "description": description,
            "observation_type": observation_type,
            "unit_of_measurement": unit,
            "properties": properties,
            "thing_id": thing_id,
            "sensor_id": sensor_id,
            "observed_property_id": observed_property_id,
        },
    )
    return int(stream.id)


def ingest_series(
    session: Session,
    *,
    datastream_id: int,
    times: Sequence[datetime] | Sequence[int],
    values: Sequence[float | int | bool | str | None],
    duplicates: DuplicatePolicy = DuplicatePolicy.REJECT,
    parameters: Sequence[dict[str, Any] | None] | None = None,
) -> int:
    """Store a series of Observations of one Datastream in one batched ingest; returns how many
    were stored. ``times`` are aware datetimes or microseconds since the epoch (UTC); values
    must be Python scalars (convert numpy arrays with ``.tolist()``); ``parameters`` (one per
    value, or None) become each Observation's ``parameters`` (how a value was derived). The
    first refused row raises its error (a duplicate as Conflict)."""
    if len(times) != len(values):
        raise ValidationFailed.one("values", "needs one value per time")
    if parameters is not None and len(parameters) != len(values):
        raise ValidationFailed.one("parameters", "needs one entry per value")
    micros = [t if isinstance(t, int) else to_micros(t) for t in times]
    stored = 0
    for outcome in ingest_datastream(
        session,
        datastream_id=datastream_id,
        times=micros,
        values=values,
        parameters=parameters,
        duplicates=duplicates,
    ):
        if isinstance(outcome, IngestError):
            outcome.raise_()
        stored += 1
    return stored


# --- get or create ---------------------------------------------------------------------------


def _serialise(session: Session, *key: object) -> None:
    """On PostgreSQL, one get-or-create of ``key`` at a time until the transaction ends (the
    tables have no unique name, so two workers could otherwise both create). SQLite's single
    writer serialises every write already."""
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(repr(key).encode()).digest()[:8]
        session.execute(
            text("SELECT pg_advisory_xact_lock(:id)"),
            {"id": int.from_bytes(digest, "big", signed=True)},
        )


def ensure_thing(
    session: Session,
    *,
    name: str,
    municipality_id: int,
    public: bool,
    lon: float,
    lat: float,
    properties: dict[str, Any] | None = None,
    description: str = "",
) -> int:
    """The Thing named ``name`` in the municipality, made at the point (lon, lat) if missing.
    An existing one keeps its Location and properties; its visibility follows ``public``."""
    _serialise(session, "thing", municipality_id, name)
    found = session.scalar(
        select(Thing.id)
        .where(Thing.municipality_id == municipality_id, Thing.name == name)
        .order_by(Thing.id)
        .limit(1)
    )
    if found is None:
        return create_thing(
            session,
            municipality_id=municipality_id,
            name=name,
            lon=lon,
            lat=lat,
            description=description,
            properties=properties,
            public=public,
        )
    thing = service.get(session, Thing, found)
    if thing.public != public:
        service.update_entity(session, kind="Thing", entity_id=found, values={"public": public})
    return int(found)


def ensure_datastream(
    session: Session,
    *,
    thing_id: int,
    name: str,
    definition: str,
    observed_property_name: str,
    unit_name: str,
    unit_symbol: str,
    unit_definition: str,
    description: str = "",
    public: bool,
    sensor_name: str = "Allmende",
    sensor_description: str = "Values that Allmende derives from other Observations.",
    sensor_metadata: str = DERIVED_SENSOR_METADATA,
    properties: dict[str, Any] | None = None,
    observation_type: str = MEASUREMENT,
) -> int:
    """The Datastream ``name`` of a Thing, made if missing; returns its id.

    A new one reuses the ObservedProperty of the municipality with ``definition`` (a public
    one for a public Datastream) and the Sensor named ``sensor_name``, making either when
    there is none; it belongs to the Thing's municipality. An existing one keeps everything
    but its visibility, which follows ``public``. Conflict if a Datastream of that name
    measures another ``definition``.
    """
    thing = service.get(session, Thing, thing_id)
    _serialise(session, "datastream", thing_id, name)
    found = session.execute(
        select(Datastream.id, Datastream.public, ObservedProperty.definition)
        .join(ObservedProperty, ObservedProperty.id == Datastream.observed_property_id)
        .where(Datastream.thing_id == thing_id, Datastream.name == name)
        .order_by(Datastream.id)
        .limit(1)
    ).first()
    if found is not None:
        if found.definition != definition:
            raise Conflict(
                detail=f"Thing {thing_id} has a Datastream '{name}' of {found.definition}, "
                f"not {definition}."
            )
        if found.public != public:
            service.update_entity(
                session, kind="Datastream", entity_id=found.id, values={"public": public}
            )
        return int(found.id)
    municipality_id = thing.municipality_id
    observed_property_id = _reusable(
        session,
        ObservedProperty,
        municipality_id,
        public,
        ObservedProperty.definition == definition,
    ) or create_observed_property(
        session,
        municipality_id=municipality_id,
        name=observed_property_name,
        definition=definition,
        public=public,
    )
    sensor_id = _reusable(
        session, Sensor, municipality_id, public, Sensor.name == sensor_name
    ) or create_sensor(
        session,
        municipality_id=municipality_id,
        name=sensor_name,
        description=sensor_description,
        metadata=sensor_metadata,
        public=public,
    )
    return create_datastream(
        session,
        thing_id=thing_id,
        sensor_id=sensor_id,
        observed_property_id=observed_property_id,
        name=name,
        unit={"name": unit_name, "symbol": unit_symbol, "definition": unit_definition},
        description=description,
        properties=properties,
        public=public,
        observation_type=observation_type,
    )


def _reusable(
    session: Session, model: Any, municipality_id: int, public: bool, condition: Any
) -> int | None:
    """An entity of the municipality that fits, public first; only a public one for ``public``
    (a public Datastream must not lead to an internal Sensor or ObservedProperty)."""
    query = select(model.id).where(model.municipality_id == municipality_id, condition)
    if public:
        query = query.where(model.public.is_(True))
    found = session.scalar(query.order_by(model.public.desc(), model.id).limit(1))
    return None if found is None else int(found)
