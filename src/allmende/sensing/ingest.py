"""Many Observations in one call: the path of CreateObservations, MQTT and single POSTs alike.

Ids are reserved up front (SQLite: the single writer holds the lock; PostgreSQL: a block from
the sequence), then multi-row INSERTs (``COPY`` on PostgreSQL) store the
batch: no RETURNING, no per-row transaction, no trigger. Each (Multi)Datastream is then updated
once per batch: count, time ranges, observed area and the latest Observation.

Duplicates (same Datastream and phenomenonTime, enforced by a unique index) are refused or
answered with the existing Observation, by :class:`DuplicatePolicy`. Only Datastreams whose
batch reaches back to their latest phenomenonTime need the index probe; appending data costs
nothing extra.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from itertools import chain
from typing import Any, NamedTuple

from sqlalchemy import Dialect, Float, Integer, Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from allmende.core.errors import AllmendeError, BadRequest, Conflict, NotFound
from allmende.core.events import Event
from allmende.core.timeutil import OUT_OF_RANGE
from allmende.sensing.limits import JSON_TOO_LARGE, MAX_JSON_BYTES, MAX_TEXT_CHARS, TEXT_TOO_LONG
from allmende.sensing.models import (
    Datastream,
    FeatureOfInterest,
    MultiDatastream,
    Observation,
    thing_locations,
)
from allmende.sensing.results import encode_result, to_json
from allmende.sensing.service import (
    OBSERVATIONS_CREATED,
    area_of,
    current_locations,
    features_for_things,
)
from allmende.sensing.times import MAX_MICROS, MIN_MICROS, now_micros
from allmende.storage.events import emit
from allmende.storage.geometry import geometry_values
from allmende.storage.id_sets import in_set, in_set_parameter
from allmende.storage.pg_arrays import BigintArray, DoubleArray, TextArray


class DuplicatePolicy(StrEnum):
    """What happens to an Observation whose Datastream already has one at its phenomenonTime."""

    REJECT = "reject"  # refused (409, or an error row in CreateObservations)
    IGNORE = "ignore"  # idempotent: the existing Observation is the answer, nothing is stored


class NewObservation(NamedTuple):
    """One Observation to ingest. Times are microseconds; ``phenomenon_time`` None means now."""

    datastream_id: int | None
    multi_datastream_id: int | None
    feature_id: int | None
    phenomenon_time: int | None
    phenomenon_time_end: int | None
    result_time: int | None
    valid_time_start: int | None
    valid_time_end: int | None
    result: Any
    result_quality: Any = None
    parameters: Any = None


@dataclass(frozen=True)
class IngestError:
    """Why one Observation of a batch was not stored (``status`` as HTTP would say it)."""

    status: int
    message: str

    def error(self) -> AllmendeError:
        if self.status == 409:
            return Conflict(detail=self.message)
        if self.status == 404:
            return NotFound(detail=self.message)
        return BadRequest(detail=self.message)

    def raise_(self) -> None:
        raise self.error()


@dataclass(frozen=True)
class _Pending:
    """An idempotent repeat within one batch: same answer as the row it repeats."""

    index: int


_Outcome = int | IngestError | _Pending | None


@dataclass(eq=False)
class _Stream:
    """What the ingest needs of one (Multi)Datastream, and the rows of the batch for it.

    The batch's statistics (``count`` …) are its own; the database merges them into the
    stored ones, so concurrent writers to one stream cannot undo each other's.
    """

    id: int
    thing_id: int
    municipality_id: int
    public: bool
    components: int | None  # MultiDatastream: number of results per Observation
    latest_time: int | None
    bbox: tuple[float, float, float, float] | None
    feature: int | None  # made from the Thing's current Location, if it has been
    feature_box: tuple[float, float, float, float] | None
    rows: list[int] = field(default_factory=list)  # indexes of the batch's rows
    count: int = 0
    pt_start: int | None = None
    pt_end: int | None = None
    rt_start: int | None = None
    rt_end: int | None = None
    latest: tuple[int, int] | None = None  # (phenomenon time, id) of the batch's newest
    features: set[int] = field(default_factory=set)

    @property
    def label(self) -> str:
        return "Datastream" if self.components is None else "MultiDatastream"


class StoredObservation(NamedTuple):
    """One Observation as the ingest stores it: the columns of the insert, in their order (the
    event of a batch and the answer to a single POST carry it as well)."""

    id: int
    datastream_id: int | None
    multi_datastream_id: int | None
    feature_id: int
    phenomenon_time: int
    phenomenon_time_end: int
    result_time: int | None
    valid_time_start: int | None
    valid_time_end: int | None
    result_kind: int
    result_number: float | None
    result_text: str | None
    result_json: str | None
    result_quality: str | None
    parameters: str | None


COLUMNS = StoredObservation._fields
_NO_STREAM = "An Observation needs exactly one Datastream or MultiDatastream."
_NO_LOCATION = (
    "The Observation has no FeatureOfInterest and its Thing has no Location with a GeoJSON "
    "geometry to derive one from."
)


def ingest_observations(
    session: Session,
    *,
    rows: Sequence[NewObservation],
    duplicates: DuplicatePolicy = DuplicatePolicy.REJECT,
    now: int | None = None,
    stored: dict[int, StoredObservation] | None = None,
    loaded: Streams | None = None,
) -> list[int | IngestError]:
    """Store many Observations at once; per row the new (or, if idempotent, existing) id or
    the reason it was refused. Rows that fail do not stop the others. ``stored``, when given,
    receives each inserted row as stored by its index in ``rows``: what a caller answers with,
    without reading it back. ``loaded``: the rows' streams, when the caller has loaded them
    (:func:`load_streams`) in this transaction already.

    The per-row work is kept to one pass to check and group the rows and one to build the
    records: this is the hot path of every sensor in the region.
    """
    now = now_micros() if now is None else now
    outcome: list[_Outcome] = [None] * len(rows)
    datastreams, multi = load_streams(session, rows) if loaded is None else loaded
    known_features = _existing_features(session, {r.feature_id for r in rows})
    spans: list[tuple[int, int]] = [(0, 0)] * len(rows)
    streams: list[_Stream | None] = [None] * len(rows)
    for index, row in enumerate(rows):
        placed = _place(row, now, datastreams, multi, known_features)
        if isinstance(placed, IngestError):
            outcome[index] = placed
            continue
        stream, spans[index] = placed
        streams[index] = stream
        stream.rows.append(index)
    groups = [s for s in (*datastreams.values(), *multi.values()) if s.rows]
    automatic = _automatic_features(session, rows, groups, outcome)
    accepted = _apply_duplicates(session, groups, spans, outcome, duplicates)
    ids = _reserve_ids(session, len(accepted))
    records: list[StoredObservation] = []
    for new_id, index in zip(ids, accepted, strict=True):
        row = rows[index]
        feature_id = row.feature_id
        if feature_id is None:
            owner = streams[index]
            assert owner is not None
            feature_id = automatic[owner.thing_id]
        record = _record(new_id, row, feature_id, spans[index])
        if isinstance(record, IngestError):
            outcome[index] = record
            continue
        records.append(record)
        outcome[index] = new_id
        if stored is not None:
            stored[index] = record
    _insert(session, records)
    _count(groups, rows, spans, outcome, automatic)
    _update_streams(session, Datastream, [g for g in groups if g.components is None])
    _update_streams(session, MultiDatastream, [g for g in groups if g.components is not None])
    if records:
        _announce(session, records, groups)
    if any(type(item) is _Pending for item in outcome):
        return [_final(outcome, item) for item in outcome]
    return outcome  # type: ignore[return-value]  # every row is answered (int or error)


def ingest_datastream(
    session: Session,
    *,
    datastream_id: int,
    times: Sequence[int],
    values: Sequence[Any],
    parameters: Sequence[Any] | None = None,
    duplicates: DuplicatePolicy = DuplicatePolicy.REJECT,
) -> list[int | IngestError]:
    """What :func:`ingest_observations` answers for the rows of one Datastream at ``times``
    (microseconds) with ``values`` and ``parameters`` (one each per time, or None), naming no
    FeatureOfInterest; the same rows, statistics and event.

    A series (the demo, imports, derived data) is mostly the simple case: an existing Datastream
    whose Thing has a Location, times it has no Observation at and none twice, every value
    storable. That case skips the per-row checks and grouping; any other goes the general way,
    which answers each row (nothing has been written before that choice).
    """
    extra: Sequence[Any] = parameters if parameters is not None else [None] * len(values)
    if len(times) != len(values) or len(extra) != len(values):
        raise ValueError("a series needs one value and one parameters entry per time")
    datastreams = _load_streams(session, Datastream, {datastream_id})
    stream = datastreams.get(datastream_id)
    first, last = (min(times), max(times)) if times else (0, 0)
    distinct = set(times)
    simple = (
        bool(times)
        and stream is not None
        and first >= MIN_MICROS
        and last <= MAX_MICROS
        and len(distinct) == len(times)
    )
    encoded = _encoded(values, extra) if simple else None
    feature = None
    if stream is not None and encoded is not None:
        # Reads first: the general way must find the database as it was.
        earlier = stream.latest_time is not None and first <= stream.latest_time
        if not (earlier and _existing_times(session, False, stream.id, sorted(distinct))):
            feature = stream.feature
            if feature is None:  # the Thing's first Observation since its Location was set
                feature = features_for_things(session, thing_ids={stream.thing_id}).get(
                    stream.thing_id
                )
    if stream is None or encoded is None or feature is None:
        rows = [
            NewObservation(datastream_id, None, None, t, None, None, None, None, v, None, p)
            for t, v, p in zip(times, values, extra, strict=True)
        ]
        loaded = Streams(datastreams, {}) if stream is not None else None
        return ingest_observations(session, rows=rows, duplicates=duplicates, loaded=loaded)
    ids = _reserve_ids(session, len(times))
    new = tuple.__new__  # by position, as in _record: this runs once per Observation
    records: list[StoredObservation] = [
        new(
            StoredObservation,
            (
                i,
                datastream_id,
                None,
                feature,
                t,
                t,
                None,
                None,
                None,
                kind,
                number,
                text,
                data,
                None,
                p,
            ),
        )
        for i, t, (kind, number, text, data, p) in zip(ids, times, encoded, strict=True)
    ]
    _insert(session, records)
    stream.count = len(records)
    stream.pt_start, stream.pt_end = first, last
    stream.latest = (last, ids[times.index(last)])
    stream.features = {feature}
    _update_streams(session, Datastream, [stream])
    _announce(session, records, [stream])
    return list(ids)


def _encoded(
    values: Sequence[Any], parameters: Sequence[Any]
) -> list[tuple[int, float | None, str | None, str | None, str | None]] | None:
    """(kind, number, text, JSON, parameters JSON) of each value as :func:`_record` stores it,
    or None if any cannot be stored (the general path then says which and why)."""
    try:
        encoded = [
            (*encode_result(v), None if p is None else to_json(p))
            for v, p in zip(values, parameters, strict=True)
        ]
    except ValueError:
        return None
    for _, _, text, data, p in encoded:
        if (text or data or p) and _refused_content(text, data, None, p) is not None:
            return None
    return encoded


def _place(
    row: NewObservation,
    now: int,
    datastreams: dict[int, _Stream],
    multi: dict[int, _Stream],
    known_features: set[int],
) -> tuple[_Stream, tuple[int, int]] | IngestError:
    """The stream a row belongs to and its phenomenonTime span, or why it is refused."""
    datastream_id, multi_id = row.datastream_id, row.multi_datastream_id
    stream: _Stream | None
    if multi_id is None and datastream_id is not None:
        stream = datastreams.get(datastream_id)
        if stream is None:
            return IngestError(404, f"No Datastream with id {datastream_id}.")
    elif datastream_id is None and multi_id is not None:
        stream = multi.get(multi_id)
        if stream is None:
            return IngestError(404, f"No MultiDatastream with id {multi_id}.")
        error = _check_components(row.result, stream.components or 0)
        if error is not None:
            return error
    else:
        return IngestError(400, _NO_STREAM)
    if row.feature_id is not None and row.feature_id not in known_features:
        return IngestError(404, f"No FeatureOfInterest with id {row.feature_id}.")
    start = now if row.phenomenon_time is None else row.phenomenon_time
    end = row.phenomenon_time_end
    beyond = _beyond_range(start, end, row)
    if beyond is not None:
        return IngestError(400, f"{beyond}: {OUT_OF_RANGE}")
    return stream, (start, start if end is None else end)


def _record(
    new_id: int, row: NewObservation, feature_id: int, span: tuple[int, int]
) -> StoredObservation | IngestError:
    """The row as it is stored, its result and JSON encoded, or why it cannot be."""
    try:
        kind, number, text, data = encode_result(row.result)
        quality = None if row.result_quality is None else to_json(row.result_quality)
        parameters = None if row.parameters is None else to_json(row.parameters)
    except ValueError as exc:  # NaN or a huge integer from a source other than JSON
        return IngestError(400, f"The result or its parameters {exc}.")
    if text or data or quality or parameters:
        refused = _refused_content(text, data, quality, parameters)
        if refused is not None:
            return IngestError(400, refused)
    # By position, in the order of the fields: keywords make this call four times as slow,
    # and it runs once per Observation.
    return StoredObservation(
        new_id,
        row.datastream_id,
        row.multi_datastream_id,
        feature_id,
        span[0],  # phenomenon_time
        span[1],  # phenomenon_time_end
        row.result_time,
        row.valid_time_start,
        row.valid_time_end,
        kind,
        number,
        text,
        data,
        quality,
        parameters,
    )


_NUL = "A NUL character (\\u0000) cannot be stored in a result, resultQuality or parameters."


def _refused_content(
    text: str | None, data: str | None, quality: str | None, parameters: str | None
) -> str | None:
    """Why the encoded result, resultQuality or parameters cannot be stored: a NUL character
    (PostgreSQL stores none, so neither backend does), or more than the limits allow."""
    encoded = (text, data, quality, parameters)
    if any(t is not None and ("\x00" in t or "\\u0000" in t) for t in encoded):
        return _NUL
    if text is not None and len(text) > MAX_TEXT_CHARS:
        return f"result: {TEXT_TOO_LONG}"
    for name, value in (("result", data), ("resultQuality", quality), ("parameters", parameters)):
        if value is not None and len(value) > MAX_JSON_BYTES:
            return f"{name}: {JSON_TOO_LARGE}"
    return None


def _beyond_range(start: int, end: int | None, row: NewObservation) -> str | None:
    """The first time of the row outside the supported range, by its name."""
    if not MIN_MICROS <= start <= MAX_MICROS or (
        end is not None and not MIN_MICROS <= end <= MAX_MICROS
    ):
        return "phenomenonTime"
    if row.result_time is not None and not MIN_MICROS <= row.result_time <= MAX_MICROS:
        return "resultTime"
    for moment in (row.valid_time_start, row.valid_time_end):
        if moment is not None and not MIN_MICROS <= moment <= MAX_MICROS:
            return "validTime"
    return None


def _final(outcome: Sequence[_Outcome], item: _Outcome) -> int | IngestError:
    if isinstance(item, _Pending):
        item = outcome[item.index]
    assert isinstance(item, int | IngestError), "every row is answered"
    return item


class Streams(NamedTuple):
    """The Datastreams and MultiDatastreams of a batch by id, as the ingest needs them."""

    datastreams: dict[int, _Stream]
    multi: dict[int, _Stream]


def load_streams(session: Session, rows: Sequence[NewObservation]) -> Streams:
    """The streams the rows name (those that exist), with their owners (``municipality_id``,
    ``public``) and what their rows need to be stored."""
    return Streams(
        _load_streams(session, Datastream, {r.datastream_id for r in rows}),
        _load_streams(session, MultiDatastream, {r.multi_datastream_id for r in rows}),
    )


def _load_streams(session: Session, model: Any, wanted: set[int | None]) -> dict[int, _Stream]:
    """The streams, each with the FeatureOfInterest of its Thing's current Location (and its
    box): most batches need nothing else to be stored."""
    ids = [i for i in wanted if i is not None]
    if not ids:
        return {}
    found: dict[int, _Stream] = {}
    # On the connection: the ORM's handling of a statement costs as much as running it.
    for r in session.connection().execute(_streams_query(model), {"ids": ids}):
        found[r[0]] = _Stream(
            id=r[0],
            thing_id=r[1],
            municipality_id=r[2],
            public=r[3],
            components=len(r[14]) if model is MultiDatastream else None,
            latest_time=r[4],
            bbox=None if r[5] is None else (r[5], r[6], r[7], r[8]),
            feature=r[9],
            feature_box=None if r[10] is None else (r[10], r[11], r[12], r[13]),
        )
    return found


@cache
def _streams_query(model: Any) -> Select[Any]:
    """Built once per model: building a statement costs more than running it for one row."""
    wanted = in_set_parameter(model.id, "ids")
    things = select(model.thing_id).where(wanted)
    current = current_locations(thing_locations.c.thing_id.in_(things))
    f = FeatureOfInterest
    columns = [
        model.id,
        model.thing_id,
        model.municipality_id,
        model.public,
        model.latest_phenomenon_time,
        model.bbox_minx,
        model.bbox_miny,
        model.bbox_maxx,
        model.bbox_maxy,
        f.id,
        f.bbox_minx,
        f.bbox_miny,
        f.bbox_maxx,
        f.bbox_maxy,
    ]
    if model is MultiDatastream:
        columns.append(model.multi_observation_data_types)
    return (
        select(*columns)
        .select_from(model)
        .outerjoin(current, current.c.thing_id == model.thing_id)
        .outerjoin(f, f.location_id == current.c.location_id)
        .where(wanted)
    )


def _existing_features(session: Session, wanted: set[int | None]) -> set[int]:
    ids = [i for i in wanted if i is not None]
    if not ids:
        return set()
    query = select(FeatureOfInterest.id).where(in_set(FeatureOfInterest.id, ids))
    return set(session.connection().scalars(query))


def _check_components(result: Any, components: int) -> IngestError | None:
    if not isinstance(result, list) or len(result) != components:
        return IngestError(
            400,
            f"The result of a MultiDatastream Observation must be an array of {components} "
            "values, one per ObservedProperty.",
        )
    return None


def _automatic_features(
    session: Session,
    rows: Sequence[NewObservation],
    groups: list[_Stream],
    outcome: list[_Outcome],
) -> dict[int, int]:
    """The FoI of each Thing whose rows name none; rows whose Thing has none are refused."""
    needing = [g for g in groups if any(rows[i].feature_id is None for i in g.rows)]
    features = {g.thing_id: g.feature for g in needing if g.feature is not None}
    missing = {g.thing_id for g in needing if g.feature is None}
    if missing:  # a Thing's first Observation since its Location was set: made now
        features.update(features_for_things(session, thing_ids=missing))
    for group in needing:
        if group.thing_id in features:
            continue
        kept = []
        for index in group.rows:
            if rows[index].feature_id is None:
                outcome[index] = IngestError(400, _NO_LOCATION)
            else:
                kept.append(index)
        group.rows = kept
    return features


def _apply_duplicates(
    session: Session,
    groups: list[_Stream],
    spans: list[tuple[int, int]],
    outcome: list[_Outcome],
    policy: DuplicatePolicy,
) -> list[int]:
    """Indexes of the rows to insert; duplicates are refused or answered with the existing id.

    A batch that only appends (every phenomenonTime after the stream's latest, none twice)
    needs no lookup at all.
    """
    accepted: list[int] = []
    for group in groups:
        moments = [spans[i] for i in group.rows]
        later = group.latest_time is None or min(moments)[0] > group.latest_time
        if later and len(set(moments)) == len(moments):
            accepted.extend(group.rows)
            continue
        existing: dict[tuple[int, int], int] = {}
        if not later:
            starts = sorted({start for start, _ in moments})
            existing = _existing_times(session, group.components is not None, group.id, starts)
        seen: dict[tuple[int, int], int] = {}
        kept = []
        for index, moment in zip(group.rows, moments, strict=True):
            earlier = existing.get(moment)
            if earlier is None and moment in seen:
                earlier = -1
            if earlier is None:
                seen[moment] = index
                kept.append(index)
            elif policy is DuplicatePolicy.IGNORE and earlier > 0:
                outcome[index] = earlier
            elif policy is DuplicatePolicy.IGNORE:
                outcome[index] = _Pending(seen[moment])  # answered after the insert
            else:
                where = f" (Observations({earlier}))" if earlier > 0 else " in this request"
                outcome[index] = IngestError(
                    409,
                    f"Duplicate Observation: {group.label} {group.id} already has one with "
                    f"this phenomenonTime{where}.",
                )
        group.rows = kept
        accepted.extend(kept)
    accepted.sort()
    return accepted


def _existing_times(
    session: Session, is_multi: bool, stream_id: int, starts: Sequence[int]
) -> dict[tuple[int, int], int]:
    column = Observation.multi_datastream_id if is_multi else Observation.datastream_id
    rows = session.connection().execute(
        select(Observation.phenomenon_time, Observation.phenomenon_time_end, Observation.id).where(
            column == stream_id, in_set(Observation.phenomenon_time, starts)
        )
    )
    return {(start, end): observation_id for start, end, observation_id in rows}


# The sequence's name as a subquery is looked up once, not once per id; the block comes back
# as one array: fetching ``count`` rows costs far more.
_LARGEST_ID = select(func.max(Observation.id))
_ID_BLOCK = select(
    func.array_agg(
        func.nextval(
            select(func.pg_get_serial_sequence(Observation.__tablename__, "id")).scalar_subquery()
        )
    )
).select_from(func.generate_series(1, bindparam("count", type_=Integer())))


def _reserve_ids(session: Session, count: int) -> list[int]:
    """Ids for ``count`` new Observations, taken before the insert so no RETURNING is needed.

    SQLite: one writer holds the write lock, so the next ids follow the largest. PostgreSQL:
    the column's sequence hands out the block (concurrent writers stay safe).
    """
    if count == 0:
        return []
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        top = connection.scalar(_LARGEST_ID) or 0
        return list(range(top + 1, top + 1 + count))
    block = connection.scalar(_ID_BLOCK, {"count": count})
    assert block is not None
    return list(block)


def _count(
    groups: list[_Stream],
    rows: Sequence[NewObservation],
    spans: list[tuple[int, int]],
    outcome: list[_Outcome],
    automatic: dict[int, int],
) -> None:
    """Each stream's count, time ranges, newest Observation and features in this batch: its
    rows that were answered with an id are exactly those stored."""
    for group in groups:
        stored = [i for i in group.rows if type(outcome[i]) is int]
        if not stored:
            continue
        group.count = len(stored)
        starts = [spans[i][0] for i in stored]
        first, last = min(starts), max(starts)
        newest = outcome[stored[starts.index(last)]]
        assert type(newest) is int
        group.latest = (last, newest)
        group.pt_start, group.pt_end = first, max(spans[i][1] for i in stored)
        results = [t for t in (rows[i].result_time for i in stored) if t is not None]
        if results:
            group.rt_start, group.rt_end = min(results), max(results)
        named = {rows[i].feature_id for i in stored}
        group.features = {automatic[group.thing_id] if f is None else f for f in named}


_FEW = 64  # rows up to which one INSERT beats COPY on PostgreSQL


@cache
def _insert_arrays(dialect: Dialect) -> tuple[str, tuple[type[list[Any]], ...]]:
    """PostgreSQL: an INSERT of one array per column, unnested, and the array type each
    column's values are sent as. Its text is the same for any number of rows, so the driver
    converts it once and the server prepares it once; a multi-row VALUES of more than three
    rows has more parameters than the driver caches, and each size is a statement of its
    own."""
    columns = Observation.__table__.c
    types = [columns[name].type for name in COLUMNS]
    arrays = ", ".join(f"%s::{kind.compile(dialect=dialect)}[]" for kind in types)
    # Table and column names are constants of this module, never input.
    table = Observation.__tablename__
    statement = f"INSERT INTO {table} ({', '.join(COLUMNS)}) SELECT * FROM unnest({arrays})"  # noqa: S608
    return statement, tuple(_array_of(kind) for kind in types)


def _array_of(kind: Any) -> type[list[Any]]:
    if isinstance(kind, Integer):
        return BigintArray
    if isinstance(kind, Float):
        return DoubleArray
    return TextArray  # text, and JSON as text (the statement casts it)


#: Rows per multi-row INSERT on SQLite: 1 024 rows of 15 columns stay below the 32 766
#: parameters SQLite allows.
_SQLITE_ROWS = 1024


def _sqlite_chunks(count: int) -> list[int]:
    """The sizes of the multi-row INSERTs that store ``count`` rows on SQLite: as many of
    ``_SQLITE_ROWS`` as fit, then powers of two, so a few statement texts recur and stay in
    the driver's statement cache.

    One statement for many rows, not ``executemany``: the driver releases the interpreter
    lock around each step of a statement, and every row of an ``executemany`` is a step.
    Under load each of them waited for the event loop's thread to hand the lock back."""
    sizes = [_SQLITE_ROWS] * (count // _SQLITE_ROWS)
    rest = count % _SQLITE_ROWS
    size = _SQLITE_ROWS // 2
    while rest:
        if rest >= size:
            sizes.append(size)
            rest -= size
        size //= 2
    return sizes


def _insert(session: Session, records: list[StoredObservation]) -> None:
    if not records:
        return
    connection = session.connection()
    names = ", ".join(COLUMNS)
    table = Observation.__tablename__
    # Table and column names are constants of this module, never input.
    if connection.dialect.name == "sqlite":
        row = f"({', '.join('?' for _ in COLUMNS)})"
        start = 0
        for size in _sqlite_chunks(len(records)):
            values = ", ".join(row for _ in range(size))
            statement = f"INSERT INTO {table} ({names}) VALUES {values}"  # noqa: S608
            chunk = records[start : start + size]
            connection.exec_driver_sql(statement, tuple(chain.from_iterable(chunk)))
            start += size
        return
    if len(records) <= _FEW:  # COPY costs two round trips, one INSERT one
        statement, arrays = _insert_arrays(connection.dialect)
        columns = zip(arrays, zip(*records, strict=True), strict=True)
        connection.exec_driver_sql(statement, tuple(array(values) for array, values in columns))
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for record in records:
            copy.write_row(record)


# The stored statistics merged with a batch's, in the database: counts add up, ranges widen and
# the latest pointer moves only forward. ``{least}``/``{greatest}`` are the dialect's two-argument
# minimum and maximum; wrapped in coalesce they ignore a NULL on either side on both backends.
_STATISTICS = """
UPDATE {table} SET
  observation_count = observation_count + {n},
  phenomenon_time_start = coalesce({least}(phenomenon_time_start, {pt_start}),
                                   phenomenon_time_start, {pt_start}),
  phenomenon_time_end = coalesce({greatest}(phenomenon_time_end, {pt_end}),
                                 phenomenon_time_end, {pt_end}),
  result_time_start = coalesce({least}(result_time_start, {rt_start}), result_time_start,
                               {rt_start}),
  result_time_end = coalesce({greatest}(result_time_end, {rt_end}), result_time_end, {rt_end}),
  latest_observation_id = CASE
    WHEN latest_phenomenon_time IS NULL OR {latest_time} > latest_phenomenon_time
    THEN {latest_id} ELSE latest_observation_id END,
  latest_phenomenon_time = coalesce({greatest}(latest_phenomenon_time, {latest_time}),
                                    {latest_time})
{source}WHERE {where}
"""
_FIELDS = ("n", "pt_start", "pt_end", "rt_start", "rt_end", "latest_time", "latest_id")


def _announce(
    session: Session, records: list[StoredObservation], streams: Iterable[_Stream]
) -> None:
    """The stored rows as one event, with the municipality and visibility of each stream that
    got some (what MQTT, webhooks and the caches act on once the transaction commits)."""
    emit(
        session,
        Event(
            OBSERVATIONS_CREATED,
            {
                "entity": "Observation",
                "columns": COLUMNS,
                "rows": records,
                "streams": {
                    (g.label, g.id): {"municipality_id": g.municipality_id, "public": g.public}
                    for g in streams
                    if g.count
                },
            },
        ),
    )


def _update_streams(session: Session, model: Any, streams: Iterable[_Stream]) -> None:
    """One statement for all of a batch's streams (PostgreSQL: arrays unnested in one round
    trip; SQLite: one executemany in the writer), then the observed area of those it grew."""
    changed = [s for s in streams if s.count]
    if not changed:
        return
    values = [
        (s.id, s.count, s.pt_start, s.pt_end, s.rt_start, s.rt_end, *(s.latest or (None, None)))
        for s in changed
    ]
    connection = session.connection()
    table = model.__tablename__
    # Table names are constants of the models, never input.
    if connection.dialect.name == "postgresql":
        arrays = ", ".join(["%s::bigint[]"] * (len(_FIELDS) + 1))
        statement = _STATISTICS.format(
            table=table,
            least="LEAST",
            greatest="GREATEST",
            source=f"FROM unnest({arrays}) AS v(id, {', '.join(_FIELDS)})\n",
            where=f"{table}.id = v.id",
            **{name: f"v.{name}" for name in _FIELDS},
        )
        columns = tuple(BigintArray(c) for c in zip(*values, strict=True))
        connection.exec_driver_sql(statement, columns)
    else:
        statement = _STATISTICS.format(
            table=table,
            least="min",
            greatest="max",
            source="",
            where="id = :id",
            **{name: f":{name}" for name in _FIELDS},
        )
        names = ("id", *_FIELDS)
        connection.exec_driver_sql(statement, [dict(zip(names, v, strict=True)) for v in values])
    _grow_areas(session, model, changed)
    # A Core update leaves loaded objects as they were (a deep insert holds its Datastreams).
    ids = {s.id for s in changed}
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, model) and loaded.id in ids:
            session.expire(loaded)


def _grow_areas(session: Session, model: Any, streams: list[_Stream]) -> None:
    """Widen the observed area of the streams whose new features reach outside it: boxes are
    compared first, and a geometry is made only for a box that grew (rare once a stream has
    data)."""
    boxes = {s.feature: s.feature_box for s in streams if s.feature and s.feature_box}
    others = {f for s in streams for f in s.features} - boxes.keys()
    if others:
        boxes.update(_feature_boxes(session, others))
    grown: list[dict[str, Any]] = []
    for stream in streams:
        mine = [boxes[f] for f in stream.features if f in boxes]
        if not mine or (stream.bbox is not None and all(_inside(b, stream.bbox) for b in mine)):
            continue
        # Some box reaches outside the stored one (or there is none yet): the area grew.
        area = area_of(mine if stream.bbox is None else [*mine, stream.bbox])
        values = geometry_values(area) | {"id": stream.id}
        grown.append({f"b_{name}": value for name, value in values.items()})
    if not grown:
        return
    table = model.__table__
    names = ("geom", "bbox_minx", "bbox_miny", "bbox_maxx", "bbox_maxy")
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}", type_=table.c[name].type) for name in names})
    )
    session.execute(statement, grown)


def _inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    minx, miny, maxx, maxy = inner
    return minx >= outer[0] and miny >= outer[1] and maxx <= outer[2] and maxy <= outer[3]


def _feature_boxes(session: Session, ids: set[int]) -> dict[int, tuple[float, float, float, float]]:
    found: dict[int, tuple[float, float, float, float]] = {}
    if ids:
        for fid, minx, miny, maxx, maxy in session.execute(
            select(
                FeatureOfInterest.id,
                FeatureOfInterest.bbox_minx,
                FeatureOfInterest.bbox_miny,
                FeatureOfInterest.bbox_maxx,
                FeatureOfInterest.bbox_maxy,
            ).where(in_set(FeatureOfInterest.id, ids), FeatureOfInterest.bbox_minx.is_not(None))
        ):
            if minx is not None and miny is not None and maxx is not None and maxy is not None:
                found[fid] = (minx, miny, maxx, maxy)
    return found
