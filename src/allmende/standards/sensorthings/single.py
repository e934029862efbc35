"""A POST of one Observation, as sensors send them: stored together with the others of the
moment, answered from the row as stored.

``POST Datastreams(id)/Observations`` (or ``MultiDatastreams(id)/Observations``, or
``Observations`` naming its stream by a link) with a plain Observation — its times, result,
resultQuality and parameters, no FeatureOfInterest of its own, no query options — goes to the
installation's :class:`~allmende.sensing.group.GroupIngest` instead of a transaction of its
own (group commit), and the answer is rendered from the stored row instead of read back.
Everything else, and every body with a mistake, takes the general path, which words each
refusal; the checks here (the stream visible, the caller allowed to add to it) give the same
answers as the general path's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from allmende.core.digits import is_digits
from allmende.core.errors import AllmendeError, NotFound
from allmende.http.jsonbody import load_json
from allmende.identity.permissions import Action, readable_municipalities, require
from allmende.identity.principal import Principal
from allmende.sensing.group import Check, Owner
from allmende.sensing.ingest import NewObservation, StoredObservation
from allmende.sensing.times import now_micros
from allmende.standards.sensorthings.model import Kind, entity_type
from allmende.standards.sensorthings.render import Renderer, Selection
from allmende.standards.sensorthings.writer import SCOPE, _parse, invalid

OBSERVATION = entity_type("Observation")
#: The Observation's own properties a plain POST may hold (besides ``result``).
_PROPS = {p.name: p for p in OBSERVATION.props if p.writable and p.kind is not Kind.RESULT}
_STREAMS = ("Datastream", "MultiDatastream")
_JSON_COLUMNS = ("result_json", "result_quality", "parameters")
#: Every property of an Observation, as a GET without $select shows it (read only by rendering).
_EVERYTHING = Selection.of(OBSERVATION, None)
MAX_ID = 2**63 - 1


def stream_target(path: str) -> tuple[str, int | None] | None:
    """``(kind, id)`` of the stream in ``Datastreams(id)/Observations``, ``("", None)`` for
    ``Observations`` (the body names it); None for any other path."""
    if path == "Observations":
        return ("", None)
    head, _, tail = path.partition("/")
    if tail != "Observations" or not head.endswith(")"):
        return None
    name, _, key = head[:-1].partition("(")
    if name not in ("Datastreams", "MultiDatastreams") or not is_digits(key):
        return None
    stream_id = int(key)
    return (name[:-1], stream_id) if 1 <= stream_id <= MAX_ID else None


def observation_of(body: bytes, target: tuple[str, int | None]) -> NewObservation | None:
    """The Observation of a plain body, or None when the general path must decide."""
    try:
        data = load_json(body)
    except AllmendeError:
        return None
    if not isinstance(data, dict) or "result" not in data:
        return None
    kind, stream_id = target
    values: dict[str, Any] = {}
    for key, raw in data.items():
        prop = _PROPS.get(key)
        if prop is not None:
            try:
                values.update(_parse(prop, raw, f"body.{key}"))
            except AllmendeError:
                return None
        elif key in _STREAMS and not kind:
            if stream_id is not None or not isinstance(raw, dict) or set(raw) != {"@iot.id"}:
                return None
            linked = raw["@iot.id"]
            if type(linked) is not int or not 1 <= linked <= MAX_ID:
                return None
            kind, stream_id = key, linked
        elif key != "result":
            return None
    if stream_id is None:
        return None
    start = values.get("phenomenon_time")
    return NewObservation(
        datastream_id=stream_id if kind == "Datastream" else None,
        multi_datastream_id=stream_id if kind == "MultiDatastream" else None,
        feature_id=None,
        # Now, as the general path takes it; here, so that a group stores each at its own.
        phenomenon_time=now_micros() if start is None else start,
        phenomenon_time_end=values.get("phenomenon_time_end"),
        result_time=values.get("result_time"),
        valid_time_start=values.get("valid_time_start"),
        valid_time_end=values.get("valid_time_end"),
        result=data["result"],
        result_quality=values.get("result_quality"),
        parameters=values.get("parameters"),
    )


def checker(principal: Principal, target: tuple[str, int | None], row: NewObservation) -> Check:
    """The general path's checks of the stream: it exists and the caller may see it (for a
    path a 404, for a link a 400 naming it), and the caller may add to it (403)."""
    readable = readable_municipalities(principal, scope=SCOPE)
    kind = "Datastream" if row.datastream_id is not None else "MultiDatastream"
    stream_id = row.datastream_id if row.datastream_id is not None else row.multi_datastream_id

    def check(owner: Owner | None) -> None:
        if owner is None or not (
            owner.public or readable is None or owner.municipality_id in readable
        ):
            if target[0]:
                raise NotFound(detail=f"No {kind} at this path.")
            raise invalid(f"body.{kind}", f"there is no {kind} with id {stream_id}")
        require(principal, Action.EDIT, municipality_id=owner.municipality_id, scope=SCOPE)

    return check


def render(root: str, record: StoredObservation) -> dict[str, Any]:
    """The stored row rendered as the general path renders what it reads back."""
    return _rendered(root, record._asdict())


def render_row(root: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """An Observation's row as stored (the columns of
    :data:`~allmende.sensing.ingest.COLUMNS`, JSON columns as text) rendered as a GET of the
    Observation renders it."""
    return _rendered(root, dict(row))


def _rendered(root: str, mapping: dict[str, Any]) -> dict[str, Any]:
    for column in _JSON_COLUMNS:
        if isinstance(mapping[column], str):
            mapping[column] = orjson.loads(mapping[column])
    return Renderer(root).entity(OBSERVATION, mapping, _EVERYTHING, links=True)
