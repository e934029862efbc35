"""Many Observations in one call: the path of CreateObservations, MQTT and single POSTs alike.

Ids are reserved up front (SQLite: the single writer holds the lock; PostgreSQL: a block from
the sequence), then one multi-row insert (``executemany``; ``COPY`` on PostgreSQL) stores the
batch: no RETURNING, no per-row transaction, no trigger. Each (Multi)Datastream is then updated
once per batch: count, time ranges, observed area and the latest Observation.

Duplicates (same Datastream and phenomenonTime, enforced by a unique index) are refused or
answered with the existing Observation, by :class:`DuplicatePolicy`. Only Datastreams whose
batch reaches back to their latest phenomenonTime need the index probe; appending data costs
nothing extra.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from allmende.core.errors import BadRequest, Conflict, NotFound
from allmende.core.events import Event
from allmende.sensing.models import Datastream, FeatureOfInterest, MultiDatastream, Observation
from allmende.sensing.results import encode_result, to_json
from allmende.sensing.service import OBSERVATIONS_CREATED, area_of, chunks, features_for_things
from allmende.sensing.times import now_micros
from allmende.storage.events import emit
from allmende.storage.geometry import geometry_values


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

    def raise_(self) -> None:
        if self.status == 409:
            raise Conflict(detail=self.message)
        if self.status == 404:
            raise NotFound(detail=self.message)
        raise BadRequest(detail=self.message)


@dataclass(frozen=True)
class _Pending:
    """An idempotent repeat within one batch: same answer as the row it repeats."""

    index: int


_Outcome = int | IngestError | _Pending | None


@dataclass
class _Stream:
    """What the ingest needs of one (Multi)Datastream, and what the batch changes on it."""

    id: int
    thing_id: int
    municipality_id: int
    public: bool
    components: int | None  # MultiDatastream: number of results per Observation
    latest_time: int | None
    pt_start: int | None
    pt_end: int | None
    rt_start: int | None
    rt_end: int | None
    bbox: tuple[float, float, float, float] | None
    count: int = 0
    latest: tuple[int, int] | None = None  # (phenomenon time, id) of the batch's newest
    times: set[int] = field(default_factory=set)
    features: set[int] = field(default_factory=set)


COLUMNS = (
    "id",
    "datastream_id",
    "multi_datastream_id",
    "feature_id",
    "phenomenon_time",
    "phenomenon_time_end",
    "result_time",
    "valid_time_start",
    "valid_time_end",
    "result_kind",
    "result_number",
    "result_text",
    "result_json",
    "result_quality",
    "parameters",
)


def ingest_observations(
    session: Session,
    *,
    rows: Sequence[NewObservation],
    duplicates: DuplicatePolicy = DuplicatePolicy.REJECT,
    now: int | None = None,
) -> list[int | IngestError]:
    """Store many Observations at once; per row the new (or, if idempotent, existing) id or
    the reason it was refused. Rows that fail do not stop the others."""
    now = now_micros() if now is None else now
    outcome: list[_Outcome] = [None] * len(rows)
    datastreams = _load_streams(session, Datastream, {r.datastream_id for r in rows})
    multi = _load_streams(session, MultiDatastream, {r.multi_datastream_id for r in rows})
    known_features = _existing_features(session, {r.feature_id for r in rows})
    streams: list[_Stream | None] = []
    for index, row in enumerate(rows):
        stream, error = _stream_of(row, datastreams, multi)
        streams.append(stream)
        if error is None and row.feature_id is not None and row.feature_id not in known_features:
            error = IngestError(404, f"No FeatureOfInterest with id {row.feature_id}.")
        if error is None and stream is not None and stream.components is not None:
            error = _check_components(row.result, stream.components)
        if error is not None:
            outcome[index] = error
    automatic = _automatic_features(session, rows, streams, outcome)
    accepted = _apply_duplicates(session, rows, streams, outcome, duplicates, now)
    ids = _reserve_ids(session, len(accepted))
    records: list[tuple[Any, ...]] = []
    for new_id, index in zip(ids, accepted, strict=True):
        row = rows[index]
        stream = streams[index]
        assert stream is not None
        try:
            kind, number, text, data = encode_result(row.result)
            quality = None if row.result_quality is None else to_json(row.result_quality)
            parameters = None if row.parameters is None else to_json(row.parameters)
        except ValueError as exc:  # NaN or a huge integer from a source other than JSON
            outcome[index] = IngestError(400, f"The result or its parameters {exc}.")
            continue
        phenomenon, phenomenon_end = _span(row, now)
        feature_id = row.feature_id if row.feature_id is not None else automatic[stream.thing_id]
        records.append(
            (
                new_id,
                row.datastream_id,
                row.multi_datastream_id,
                feature_id,
                phenomenon,
                phenomenon_end,
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
        )
        outcome[index] = new_id
        _count(stream, new_id, phenomenon, phenomenon_end, row, feature_id)
    _insert(session, records)
    _update_streams(session, Datastream, datastreams.values())
    _update_streams(session, MultiDatastream, multi.values())
    if records:
        emit(
            session,
            Event(
                OBSERVATIONS_CREATED,
                {
                    "entity": "Observation",
                    "columns": COLUMNS,
                    "rows": records,
                    "streams": _owners(datastreams, multi),
                },
            ),
        )
    return [_final(outcome, item) for item in outcome]


def _owners(
    datastreams: dict[int, _Stream], multi: dict[int, _Stream]
) -> dict[tuple[str, int], dict[str, Any]]:
    return {
        (label, s.id): {"municipality_id": s.municipality_id, "public": s.public}
        for label, group in (("Datastream", datastreams), ("MultiDatastream", multi))
        for s in group.values()
        if s.count
    }


def _final(outcome: Sequence[_Outcome], item: _Outcome) -> int | IngestError:
    if isinstance(item, _Pending):
        item = outcome[item.index]
    assert isinstance(item, int | IngestError), "every row is answered"
    return item


def _load_streams(session: Session, model: Any, wanted: set[int | None]) -> dict[int, _Stream]:
    ids = sorted(i for i in wanted if i is not None)
    found: dict[int, _Stream] = {}
    for chunk in chunks(ids):
        columns = [
            model.id,
            model.thing_id,
            model.municipality_id,
            model.public,
            model.latest_phenomenon_time,
            model.phenomenon_time_start,
            model.phenomenon_time_end,
            model.result_time_start,
            model.result_time_end,
            model.bbox_minx,
            model.bbox_miny,
            model.bbox_maxx,
            model.bbox_maxy,
        ]
        if model is MultiDatastream:
            columns.append(model.multi_observation_data_types)
        for r in session.execute(select(*columns).where(model.id.in_(chunk))):
            found[r[0]] = _Stream(
                id=r[0],
                thing_id=r[1],
                municipality_id=r[2],
                public=r[3],
                components=len(r[13]) if model is MultiDatastream else None,
                latest_time=r[4],
                pt_start=r[5],
                pt_end=r[6],
                rt_start=r[7],
                rt_end=r[8],
                bbox=None if r[9] is None else (r[9], r[10], r[11], r[12]),
            )
    return found


def _existing_features(session: Session, wanted: set[int | None]) -> set[int]:
    ids = sorted(i for i in wanted if i is not None)
    found: set[int] = set()
    for chunk in chunks(ids):
        found.update(
            session.scalars(select(FeatureOfInterest.id).where(FeatureOfInterest.id.in_(chunk)))
        )
    return found


def _stream_of(
    row: NewObservation, datastreams: dict[int, _Stream], multi: dict[int, _Stream]
) -> tuple[_Stream | None, IngestError | None]:
    if (row.datastream_id is None) == (row.multi_datastream_id is None):
        return None, IngestError(
            400, "An Observation needs exactly one Datastream or MultiDatastream."
        )
    if row.datastream_id is not None:
        stream = datastreams.get(row.datastream_id)
        if stream is None:
            return None, IngestError(404, f"No Datastream with id {row.datastream_id}.")
        return stream, None
    assert row.multi_datastream_id is not None
    stream = multi.get(row.multi_datastream_id)
    if stream is None:
        return None, IngestError(404, f"No MultiDatastream with id {row.multi_datastream_id}.")
    return stream, None


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
    streams: Sequence[_Stream | None],
    outcome: list[_Outcome],
) -> dict[int, int]:
    things = {
        stream.thing_id
        for row, stream, done in zip(rows, streams, outcome, strict=True)
        if done is None and stream is not None and row.feature_id is None
    }
    features = features_for_things(session, thing_ids=things)
    for index, (row, stream) in enumerate(zip(rows, streams, strict=True)):
        if (
            outcome[index] is None
            and stream is not None
            and row.feature_id is None
            and stream.thing_id not in features
        ):
            outcome[index] = IngestError(
                400,
                "The Observation has no FeatureOfInterest and its Thing has no Location "
                "with a GeoJSON geometry to derive one from.",
            )
    return features


def _apply_duplicates(
    session: Session,
    rows: Sequence[NewObservation],
    streams: Sequence[_Stream | None],
    outcome: list[_Outcome],
    policy: DuplicatePolicy,
    now: int,
) -> list[int]:
    """Indexes of the rows to insert; duplicates are refused or answered with the existing id."""
    by_stream: dict[tuple[bool, int], list[int]] = defaultdict(list)
    for index, stream in enumerate(streams):
        if outcome[index] is None and stream is not None:
            by_stream[(stream.components is not None, stream.id)].append(index)
    accepted: list[int] = []
    for (is_multi, stream_id), indexes in by_stream.items():
        stream = streams[indexes[0]]
        assert stream is not None
        moments = [_span(rows[i], now) for i in indexes]
        existing: dict[tuple[int, int], int] = {}
        if stream.latest_time is not None and min(moments)[0] <= stream.latest_time:
            starts = sorted({start for start, _ in moments})
            existing = _existing_times(session, is_multi, stream_id, starts)
        seen: dict[tuple[int, int], int] = {}
        label = "MultiDatastream" if is_multi else "Datastream"
        for index, moment in zip(indexes, moments, strict=True):
            earlier = existing.get(moment)
            if earlier is None and moment in seen:
                earlier = -1
            if earlier is None:
                seen[moment] = index
                accepted.append(index)
            elif policy is DuplicatePolicy.IGNORE and earlier > 0:
                outcome[index] = earlier
            elif policy is DuplicatePolicy.IGNORE:
                outcome[index] = _Pending(seen[moment])  # answered after the insert
            else:
                where = f" (Observations({earlier}))" if earlier > 0 else " in this request"
                outcome[index] = IngestError(
                    409,
                    f"Duplicate Observation: {label} {stream_id} already has one with this "
                    f"phenomenonTime{where}.",
                )
    accepted.sort()
    return accepted


def _span(row: NewObservation, now: int) -> tuple[int, int]:
    """(start, end) of a row's phenomenonTime; an instant ends when it starts."""
    start = now if row.phenomenon_time is None else row.phenomenon_time
    return start, start if row.phenomenon_time_end is None else row.phenomenon_time_end


def _existing_times(
    session: Session, is_multi: bool, stream_id: int, starts: Sequence[int]
) -> dict[tuple[int, int], int]:
    column = Observation.multi_datastream_id if is_multi else Observation.datastream_id
    found: dict[tuple[int, int], int] = {}
    for chunk in chunks(starts):
        rows = session.execute(
            select(
                Observation.phenomenon_time, Observation.phenomenon_time_end, Observation.id
            ).where(column == stream_id, Observation.phenomenon_time.in_(chunk))
        )
        found.update(((start, end), observation_id) for start, end, observation_id in rows)
    return found


def _reserve_ids(session: Session, count: int) -> list[int]:
    """Ids for ``count`` new Observations, taken before the insert so no RETURNING is needed.

    SQLite: one writer holds the write lock, so the next ids follow the largest. PostgreSQL:
    the column's sequence hands out the block (concurrent writers stay safe).
    """
    if count == 0:
        return []
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        top = session.scalar(select(func.max(Observation.id))) or 0
        return list(range(top + 1, top + 1 + count))
    sequence = func.pg_get_serial_sequence(Observation.__tablename__, "id")
    return list(
        session.scalars(select(func.nextval(sequence)).select_from(func.generate_series(1, count)))
    )


def _count(
    stream: _Stream, new_id: int, phenomenon: int, end: int, row: NewObservation, feature_id: int
) -> None:
    stream.count += 1
    stream.pt_start = phenomenon if stream.pt_start is None else min(stream.pt_start, phenomenon)
    stream.pt_end = end if stream.pt_end is None else max(stream.pt_end, end)
    if row.result_time is not None:
        rt = row.result_time
        stream.rt_start = rt if stream.rt_start is None else min(stream.rt_start, rt)
        stream.rt_end = rt if stream.rt_end is None else max(stream.rt_end, rt)
    if stream.latest is None or phenomenon > stream.latest[0]:
        stream.latest = (phenomenon, new_id)
    stream.features.add(feature_id)


def _insert(session: Session, records: list[tuple[Any, ...]]) -> None:
    if not records:
        return
    connection = session.connection()
    names = ", ".join(COLUMNS)
    table = Observation.__tablename__
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
        return
    marks = ", ".join("?" for _ in COLUMNS)
    # Table and column names are constants of this module, never input.
    statement = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
    connection.exec_driver_sql(statement, records)


def _update_streams(session: Session, model: Any, streams: Iterable[_Stream]) -> None:
    changed = [s for s in streams if s.count]
    if not changed:
        return
    boxes = _feature_boxes(session, {f for s in changed for f in s.features})
    for stream in changed:
        values: dict[str, Any] = {
            "observation_count": model.observation_count + stream.count,
            "phenomenon_time_start": stream.pt_start,
            "phenomenon_time_end": stream.pt_end,
            "result_time_start": stream.rt_start,
            "result_time_end": stream.rt_end,
        }
        if stream.latest is not None and (
            stream.latest_time is None or stream.latest[0] > stream.latest_time
        ):
            values["latest_phenomenon_time"] = stream.latest[0]
            values["latest_observation_id"] = stream.latest[1]
        grown = [boxes[f] for f in stream.features if f in boxes]
        if grown:
            everything = grown if stream.bbox is None else [*grown, stream.bbox]
            area = area_of(everything)
            if stream.bbox is None or not _same_box(stream.bbox, area):
                values.update(geometry_values(area))
        session.execute(update(model).where(model.id == stream.id).values(**values))


def _same_box(old: tuple[float, float, float, float], area: BaseGeometry | None) -> bool:
    return area is not None and tuple(shapely.bounds(area)) == old


def _feature_boxes(session: Session, ids: set[int]) -> dict[int, tuple[float, float, float, float]]:
    found: dict[int, tuple[float, float, float, float]] = {}
    for chunk in chunks(sorted(ids)):
        for fid, minx, miny, maxx, maxy in session.execute(
            select(
                FeatureOfInterest.id,
                FeatureOfInterest.bbox_minx,
                FeatureOfInterest.bbox_miny,
                FeatureOfInterest.bbox_maxx,
                FeatureOfInterest.bbox_maxy,
            ).where(FeatureOfInterest.id.in_(chunk), FeatureOfInterest.bbox_minx.is_not(None))
        ):
            if minx is not None and miny is not None and maxx is not None and maxy is not None:
                found[fid] = (minx, miny, maxx, maxy)
    return found
