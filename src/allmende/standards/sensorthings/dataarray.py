"""``POST /v1.1/CreateObservations``: many Observations as data arrays (OGC 18-088 §14.3).

The fast path of the platform: rows are checked and converted with little per-row work, then
go to the batched ingest in one call. The answer lists, per row and in order, the new
Observation's link or ``error: …`` — one bad row does not stop the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.core.errors import AllmendeError, BadRequest, Unauthorized
from allmende.identity.permissions import Action, can
from allmende.sensing.ingest import IngestError, NewObservation, ingest_observations
from allmende.sensing.models import Datastream, MultiDatastream
from allmende.sensing.times import parse_instant, parse_interval, parse_time
from allmende.standards.sensorthings.handlers import StaResponse, _json_body
from allmende.standards.sensorthings.model import entity_type
from allmende.standards.sensorthings.query.options import parse_query
from allmende.standards.sensorthings.writer import SCOPE

if TYPE_CHECKING:
    from allmende.standards.sensorthings.handlers import Api, StaRequest

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


def create_observations(api: Api, session: Session, request: StaRequest) -> StaResponse:
    if not request.principal.is_authenticated:
        raise Unauthorized(detail="Sign in or send an API key to create Observations.")
    data = _json_body(request)
    if not isinstance(data, list):
        raise BadRequest(detail="CreateObservations takes an array of data array objects.")
    context = api.write_context(request, parse_query(request.query))
    rows: list[NewObservation] = []
    answers: list[str | None] = []  # None: to be filled from the ingest
    for index, group in enumerate(data):
        _group(group, index, rows, answers)
    allowed = _allowed_streams(api, session, request, rows)
    to_ingest: list[NewObservation] = []
    slots: list[int] = []
    row_iter = iter(rows)
    for slot, answer in enumerate(answers):
        if answer is not None:
            continue
        row = next(row_iter)
        key = _stream_key(row)
        reason = allowed.get(key)
        if reason is not None:
            answers[slot] = f"error: {reason}"
            continue
        to_ingest.append(row)
        slots.append(slot)
    outcome = ingest_observations(session, rows=to_ingest, duplicates=context.duplicates)
    root = request.root
    for slot, result in zip(slots, outcome, strict=True):
        if isinstance(result, IngestError):
            answers[slot] = f"error: {result.message}"
        else:
            answers[slot] = f"{root}/Observations({result})"
    return StaResponse(201, orjson.dumps(answers))


def _stream_key(row: NewObservation) -> tuple[str, int]:
    if row.datastream_id is not None:
        return ("Datastream", row.datastream_id)
    assert row.multi_datastream_id is not None
    return ("MultiDatastream", row.multi_datastream_id)


def _allowed_streams(
    api: Api, session: Session, request: StaRequest, rows: list[NewObservation]
) -> dict[tuple[str, int], str | None]:
    """Per (Multi)Datastream: None if the caller may add to it, else why not."""
    verdict: dict[tuple[str, int], str | None] = {}
    seen = api.read_context(request).visibility
    for name, model in (("Datastream", Datastream), ("MultiDatastream", MultiDatastream)):
        ids = sorted({k[1] for k in map(_stream_key, rows) if k[0] == name})
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            query = select(model.id, model.municipality_id).where(model.id.in_(chunk))
            visible = seen(entity_type(name), model)
            if visible is not None:
                query = query.where(visible)
            found = dict(session.execute(query).all())
            for stream_id in chunk:
                municipality = found.get(stream_id)
                if municipality is None:
                    verdict[(name, stream_id)] = f"No {name} with id {stream_id}."
                elif not can(
                    request.principal, Action.EDIT, municipality_id=municipality, scope=SCOPE
                ):
                    verdict[(name, stream_id)] = (
                        f"You may not add Observations to {name} {stream_id}."
                    )
                else:
                    verdict[(name, stream_id)] = None
    return verdict


def _group(group: Any, index: int, rows: list[NewObservation], answers: list[str | None]) -> None:
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
    position = {name: components.index(name) for name in components}
    width = len(components)
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
            continue
        rows.append(
            NewObservation(
                datastream_id,
                multi_id,
                feature_id,
                start,
                end,
                result_time,
                valid[0],
                valid[1],
                values[result],
                values[quality] if quality is not None else None,
                extra,
            )
        )
        answers.append(None)


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
