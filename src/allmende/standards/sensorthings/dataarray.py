"""``POST /v1.1/CreateObservations``: many Observations as data arrays (OGC 18-088 §14.3).

The fast path of the platform: rows are checked and converted with little per-row work, then
go to the batched ingest in one call. The answer lists, per row and in order, the new
Observation's link or ``error: …`` — one bad row does not stop the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.core.errors import AllmendeError, BadRequest, Unauthorized
from allmende.core.timeutil import parse_datetime
from allmende.identity.permissions import Action, can
from allmende.sensing.bulk import paused_gc
from allmende.sensing.ingest import IngestError, NewObservation, ingest_observations
from allmende.sensing.models import Datastream, MultiDatastream
from allmende.sensing.times import EPOCH, ONE_MICRO, parse_instant, parse_interval, parse_time
from allmende.standards.sensorthings.exchange import StaRequest, StaResponse, json_body
from allmende.standards.sensorthings.model import entity_type
from allmende.standards.sensorthings.query.options import parse_query
from allmende.standards.sensorthings.writer import SCOPE
from allmende.storage.id_sets import in_set

if TYPE_CHECKING:
    from allmende.standards.sensorthings.handlers import Api

ALLOWED = frozenset(
    {
        "id",
        "phenomenonTime",
        "resultTime",
        "result",
        "resultQuality",
        "validTime",
        "parameters",
        "FeatureOfInterest/id",
    }
)


class RowError(Exception):
    pass


def create_observations(api: Api, request: StaRequest) -> StaResponse:
    """Parse and check the rows in the request's thread, then ingest them in one write."""
    with paused_gc():
        groups = prepare(request)
        return api.writing(lambda session: store(api, session, request, groups))


def prepare(request: StaRequest) -> list[_Group]:
    if not request.principal.is_authenticated:
        raise Unauthorized(detail="Sign in or send an API key to create Observations.")
    data = json_body(request)
    if not isinstance(data, list):
        raise BadRequest(detail="CreateObservations takes an array of data array objects.")
    return [_group(group, index) for index, group in enumerate(data)]


def store(api: Api, session: Session, request: StaRequest, groups: list[_Group]) -> StaResponse:
    context = api.write_context(request, parse_query(request.query))
    refused = _refused_streams(api, session, request, {g.stream for g in groups})
    answers: list[str] = []
    rows: list[NewObservation] = []
    slots: list[int] = []
    for group in groups:
        reason = refused.get(group.stream)
        for answer, row in zip(group.answers, group.rows, strict=True):
            if answer is None and reason is None:
                slots.append(len(answers))
                rows.append(row)
            answers.append(answer or (f"error: {reason}" if reason else ""))
    with paused_gc():
        outcome = ingest_observations(session, rows=rows, duplicates=context.duplicates)
    link = f"{request.root}/Observations("
    for slot, result in zip(slots, outcome, strict=True):
        answers[slot] = (
            f"error: {result.message}" if type(result) is IngestError else f"{link}{result})"
        )
    return StaResponse(201, orjson.dumps(answers))


@dataclass
class _Group:
    """One data array object: its stream, and per row the Observation or why not."""

    stream: tuple[str, int]
    rows: list[NewObservation]
    answers: list[str | None]


def _refused_streams(
    api: Api, session: Session, request: StaRequest, streams: set[tuple[str, int]]
) -> dict[tuple[str, int], str]:
    """Why the caller may not add to some of the streams (absent ones are fine)."""
    refused: dict[tuple[str, int], str] = {}
    seen = api.read_context(request).visibility
    for name, model in (("Datastream", Datastream), ("MultiDatastream", MultiDatastream)):
        ids = [i for kind, i in streams if kind == name]
        if not ids:
            continue
        query = select(model.id, model.municipality_id).where(in_set(model.id, ids))
        visible = seen(entity_type(name), model)
        if visible is not None:
            query = query.where(visible)
        found = dict(session.execute(query).all())
        for stream_id in ids:
            municipality = found.get(stream_id)
            if municipality is None:
                refused[(name, stream_id)] = f"No {name} with id {stream_id}."
            elif not can(request.principal, Action.EDIT, municipality_id=municipality, scope=SCOPE):
                refused[(name, stream_id)] = f"You may not add Observations to {name} {stream_id}."
    return refused


def _group(group: Any, index: int) -> _Group:
    where = f"body[{index}]"
    if not isinstance(group, dict):
        raise BadRequest(detail=f"{where} must be an object with components and dataArray.")
    datastream_id = _link(group.get("Datastream"), f"{where}.Datastream")
    multi_id = _link(group.get("MultiDatastream"), f"{where}.MultiDatastream")
    if (datastream_id is None) == (multi_id is None):
        raise BadRequest(detail=f"{where} needs either a Datastream or a MultiDatastream link.")
    components = group.get("components")
    if (
        not isinstance(components, list)
        or not components
        or not all(isinstance(c, str) for c in components)
        or len(set(components)) != len(components)
    ):
        raise BadRequest(detail=f"{where}.components must be a list of distinct names.")
    unknown = [c for c in components if c not in ALLOWED]
    if unknown:
        raise BadRequest(
            detail=f"{where}.components: unknown {', '.join(unknown)[:80]}; "
            f"known are {', '.join(sorted(ALLOWED))}."
        )
    if "result" not in components:
        raise BadRequest(detail=f"{where}.components must include result.")
    array = group.get("dataArray")
    if not isinstance(array, list):
        raise BadRequest(detail=f"{where}.dataArray must be an array of rows.")
    stream = ("Datastream", datastream_id) if datastream_id else ("MultiDatastream", multi_id)
    position = {name: components.index(name) for name in components}
    if set(components) <= {"phenomenonTime", "result"}:
        rows, answers = _simple_rows(array, datastream_id, multi_id, position)
    else:
        rows, answers = _general_rows(array, datastream_id, multi_id, position)
    return _Group((stream[0], int(stream[1] or 0)), rows, answers)


_BLANK = NewObservation(None, None, None, None, None, None, None, None, None)


def _simple_rows(
    array: list[Any], datastream_id: int | None, multi_id: int | None, position: dict[str, int]
) -> tuple[list[NewObservation], list[str | None]]:
    """The common case (phenomenonTime and result only), with the per-row work inlined."""
    rows: list[NewObservation] = []
    answers: list[str | None] = []
    width = len(position)
    pt = position.get("phenomenonTime")
    result = position["result"]
    new = tuple.__new__
    for values in array:
        if type(values) is not list or len(values) != width:
            answers.append(f"error: a row must be an array of {width} values")
            rows.append(_BLANK)
            continue
        start = end = None
        if pt is not None:
            text = values[pt]
            if text is not None:
                try:
                    start, end = _phenomenon(text)
                except RowError as exc:
                    answers.append(f"error: {exc}")
                    rows.append(_BLANK)
                    continue
        rows.append(
            new(NewObservation, (datastream_id, multi_id, None, start, end, None, None, None,
                                 values[result], None, None))
        )  # fmt: skip
        answers.append(None)
    return rows, answers


def _general_rows(
    array: list[Any], datastream_id: int | None, multi_id: int | None, position: dict[str, int]
) -> tuple[list[NewObservation], list[str | None]]:
    rows: list[NewObservation] = []
    answers: list[str | None] = []
    width = len(position)
    pt = position.get("phenomenonTime")
    rt = position.get("resultTime")
    vt = position.get("validTime")
    result = position["result"]
    quality = position.get("resultQuality")
    parameters = position.get("parameters")
    feature = position.get("FeatureOfInterest/id")
    for values in array:
        if type(values) is not list or len(values) != width:
            answers.append(f"error: a row must be an array of {width} values")
            rows.append(_BLANK)
            continue
        try:
            start, end = _phenomenon(values[pt]) if pt is not None else (None, None)
            valid = _valid(values[vt]) if vt is not None else (None, None)
            feature_id = _feature(values[feature]) if feature is not None else None
            result_time = _instant(values[rt]) if rt is not None else None
            extra = values[parameters] if parameters is not None else None
            if extra is not None and not isinstance(extra, dict):
                raise RowError("parameters must be an object")
        except RowError as exc:
            answers.append(f"error: {exc}")
            rows.append(_BLANK)
            continue
        rows.append(
            NewObservation(
                datastream_id=datastream_id,
                multi_datastream_id=multi_id,
                feature_id=feature_id,
                phenomenon_time=start,
                phenomenon_time_end=end,
                result_time=result_time,
                valid_time_start=valid[0],
                valid_time_end=valid[1],
                result=values[result],
                result_quality=values[quality] if quality is not None else None,
                parameters=extra,
            )
        )
        answers.append(None)
    return rows, answers


def _link(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("@iot.id")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**63 - 1:
        raise BadRequest(detail=f'{where} must be a link {{"@iot.id": <integer>}}.')
    return value


def _phenomenon(value: Any) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    try:
        if type(value) is str and "/" not in value:  # the common case, with the least work
            return (parse_datetime(value, field="phenomenonTime") - EPOCH) // ONE_MICRO, None
        start, end = parse_time(value, field="phenomenonTime")
    except AllmendeError as exc:
        raise RowError(str(exc)) from None
    return start, None if end == start else end


def _valid(value: Any) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    try:
        return parse_interval(value, field="validTime")
    except AllmendeError as exc:
        raise RowError(str(exc)) from None


def _instant(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return parse_instant(value, field="resultTime")
    except AllmendeError as exc:
        raise RowError(str(exc)) from None


def _feature(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**63 - 1:
        raise RowError("FeatureOfInterest/id must be an integer id")
    return value
