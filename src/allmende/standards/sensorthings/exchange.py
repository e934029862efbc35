"""What a SensorThings request and its answer are without HTTP framework types, and the
helpers that every handler shares (the JSON body, the path as text, the error of an
exception): the handlers, the batch, CreateObservations and the aggregation import them
from here, so none of them imports another's private parts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.exc import DataError, IntegrityError

from allmende.core.errors import (
    AllmendeError,
    BadRequest,
    Conflict,
    UnsupportedMediaType,
    ValidationFailed,
)
from allmende.http.jsonbody import load_json
from allmende.identity.principal import Principal
from allmende.standards.sensorthings.paths import ResourcePath

JSON = "application/json; charset=UTF-8"
STORAGE_REFUSED = "A value cannot be stored: it holds a NUL character or is out of range."

log = logging.getLogger(__name__)


@dataclass
class StaRequest:
    method: str
    path: str  # below the version root, without the leading '/'
    query: str  # the raw query string
    principal: Principal
    root: str  # absolute URL of the version root
    body: bytes = b""
    content_type: str = ""
    #: ``time.monotonic()`` by which it must be answered (set on entry; a batch's parts
    #: share the batch's).
    deadline: float | None = None


@dataclass
class StaResponse:
    status: int
    body: bytes = b""
    content_type: str | None = JSON
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, value: Any, status: int = 200, **headers: str) -> StaResponse:
        return cls(status, orjson.dumps(value), JSON, dict(headers))


def path_text(path: ResourcePath) -> str:
    parts = []
    for step in path.steps:
        name = step.etype.plural if step.nav is None else step.nav.name
        parts.append(f"{name}({step.id})" if step.id is not None else name)
    if path.ref:
        parts.append("$ref")
    return "/".join(parts)


def is_json(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    return not kind or kind == "application/json" or kind.endswith("+json")


def is_json_patch(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "application/json-patch+json"


def json_body(request: StaRequest, *, patch: bool = False) -> Any:
    kind = request.content_type.split(";")[0].strip().lower()
    if not is_json(kind):
        raise UnsupportedMediaType(
            detail=f"Send JSON (Content-Type: application/json), not {kind[:60]}."
        )
    if not request.body.strip():
        raise BadRequest(detail="The request has no body; send the entity as JSON.")
    return load_json(request.body)


def conflict(exc: IntegrityError) -> str:
    text = str(exc.orig).lower()
    if "sensing_observations" in text or "phenomenon_time" in text or "unique" in text:
        return (
            "The change conflicts with existing data (a duplicate Observation: same "
            "Datastream and phenomenonTime, or a second link to the same entity)."
        )
    return "The change conflicts with existing data."


def error_of(exc: Exception) -> AllmendeError:
    """Any exception of a batch part as the error a client sees."""
    if isinstance(exc, ValidationFailed):
        return BadRequest(detail=exc.detail, errors=exc.errors)
    if isinstance(exc, AllmendeError):
        return exc
    if isinstance(exc, IntegrityError):
        return Conflict(detail=conflict(exc))
    if isinstance(exc, DataError):
        return BadRequest(detail=STORAGE_REFUSED)
    log.exception("batch part failed unexpectedly", exc_info=exc)
    return AllmendeError(detail="Something went wrong on our side.")
