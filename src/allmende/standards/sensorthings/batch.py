"""``POST /v1.1/$batch``: many requests in one (OGC 18-088 §11, OData 4.0 multipart/mixed, and
the OData 4.01 JSON format).

Reads run one by one. A change set (multipart) or an atomicity group (JSON) is one write
transaction: every request in it succeeds, or none is kept. A later request in a change set
names an entity created earlier by its Content-ID / id: ``$1/Datastreams`` in the URL, or
``{"@iot.id": "$1"}`` in the body.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import orjson
from sqlalchemy.orm import Session

from allmende.core.digits import is_digits
from allmende.core.errors import BadRequest, UnsupportedMediaType
from allmende.http.jsonbody import load_json
from allmende.standards.sensorthings.budget import result_too_large
from allmende.standards.sensorthings.dataarray import prepare, store
from allmende.standards.sensorthings.errors import error_body
from allmende.standards.sensorthings.exchange import JSON, StaRequest, StaResponse, error_of

if TYPE_CHECKING:
    from allmende.standards.sensorthings.handlers import Api

MAX_PARTS = 1000
_REFERENCE = re.compile(r"^\$([A-Za-z0-9_.\-]+)")
_ID_IN_LOCATION = re.compile(r"\((\d+)\)$")


@dataclass
class Part:
    method: str
    url: str
    body: bytes = b""
    content_type: str = ""
    content_id: str | None = None


@dataclass
class Done:
    part: Part
    response: StaResponse


@dataclass
class Batch:
    """Requests in order; a change set is a list of parts run together."""

    items: list[Part | list[Part]] = field(default_factory=list)


def run_batch(api: Api, request: StaRequest) -> StaResponse:
    kind = request.content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        return _run_json(api, request)
    if kind == "multipart/mixed":
        boundary = _boundary(request.content_type)
        batch = Batch(_parse_multipart(request.body, boundary, top=True))
        return _run_multipart(api, request, batch)
    raise UnsupportedMediaType(
        detail="A batch is multipart/mixed (with a boundary) or application/json."
    )


# --- running ---------------------------------------------------------------------------------


def _target(request: StaRequest, part: Part, created: dict[str, int | str]) -> StaRequest:
    """The request a part stands for: its URL relative to the version root, references
    replaced by the entities they name."""
    url = part.url.strip()
    if url.startswith(("http://", "https://")):
        pieces = urlsplit(url)
        url = pieces.path + (f"?{pieces.query}" if pieces.query else "")
    path, _, query = url.partition("?")
    match = _REFERENCE.match(path)
    if match:
        reference = created.get(match.group(1))
        if reference is None:
            raise BadRequest(detail=f"${match.group(1)} names no entity created before it.")
        path = f"{reference}{path[match.end() :]}"
    path = unquote(path).lstrip("/")
    root_path = urlsplit(request.root).path.strip("/")
    for prefix in (root_path, "v1.1"):
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            path = path[len(prefix) :].lstrip("/")
            break
    body = part.body
    if body and created and b'"$' in body:
        body = _substitute(body, created)
    return replace(
        request,
        method=part.method.upper(),
        path=path,
        query=query,
        body=body,
        content_type=part.content_type or ("application/json" if body else ""),
    )


def _substitute(body: bytes, created: dict[str, int | str]) -> bytes:
    """``{"@iot.id": "$name"}`` → the id of the entity created under Content-ID ``name``."""
    try:
        data = load_json(body)
    except BadRequest as refused:
        if refused.errors:  # nested too deeply
            raise
        return body  # not JSON: the part's own handler says so

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if key == "@iot.id" and isinstance(item, str) and item.startswith("$"):
                    reference = created.get(item[1:])
                    if reference is None:
                        raise BadRequest(detail=f"{item} names no entity created before it.")
                    found = _ID_IN_LOCATION.search(str(reference))
                    out[key] = int(found.group(1)) if found else reference
                else:
                    out[key] = walk(item)
            return out
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return orjson.dumps(walk(data))


def _read(api: Api, request: StaRequest, part: Part) -> StaResponse:
    try:
        return api.handle(_target(request, part, {}))
    except Exception as exc:  # one failing read does not stop the batch
        return _error_response(exc)


def _change_set(api: Api, request: StaRequest, parts: list[Part]) -> list[StaResponse]:
    """Run ``parts`` in one transaction; all responses, or the one error for all of them."""
    for part in parts:
        if part.method.upper() not in ("POST", "PATCH", "PUT", "DELETE"):
            raise BadRequest(detail="A change set holds POST, PATCH, PUT and DELETE only.")

    def run(session: Session) -> list[StaResponse]:
        created: dict[str, int | str] = {}
        responses = []
        for part in parts:
            target = _target(request, part, created)
            if target.method == "POST" and target.path == "CreateObservations":
                response = store(api, session, target, prepare(target))
            else:
                response = api.write(session, target)
            location = response.headers.get("Location")
            if part.content_id and location:
                created[part.content_id] = location[len(request.root) :].lstrip("/")
            responses.append(response)
        return responses

    return api.writing(run)


def _error_response(exc: Exception) -> StaResponse:
    error = error_of(exc)
    return StaResponse(error.status, orjson.dumps(error_body(error)), JSON)


def _run_parts(
    api: Api, request: StaRequest, items: list[Part | list[Part]]
) -> list[Part | list[Done] | Done]:
    out: list[Part | list[Done] | Done] = []
    if sum(len(i) if isinstance(i, list) else 1 for i in items) > MAX_PARTS:
        raise BadRequest(detail=f"A batch holds at most {MAX_PARTS} requests.")
    limits = api.limits
    answered = 0  # bytes of the answers so far: a batch answer is bounded like one read
    for item in items:
        if isinstance(item, list):
            try:
                responses = _change_set(api, request, item)
                out.append([Done(p, r) for p, r in zip(item, responses, strict=True)])
            except Exception as exc:
                failed = _error_response(exc)
                out.append([Done(item[0], failed)])
        elif item.method.upper() in ("GET", "HEAD"):
            if answered > limits.response_bytes:
                response = _error_response(result_too_large(limits))
            else:
                response = _read(api, request, item)
                answered += len(response.body)
            out.append(Done(item, response))
        else:
            try:
                response = _change_set(api, request, [item])[0]
            except Exception as exc:
                response = _error_response(exc)
            out.append(Done(item, response))
    return out


# --- multipart/mixed -------------------------------------------------------------------------


def _boundary(content_type: str) -> str:
    match = re.search(r'boundary\s*=\s*"?([^";]+)"?', content_type, re.IGNORECASE)
    if not match:
        raise BadRequest(detail="multipart/mixed needs a boundary parameter.")
    return match.group(1).strip()


def _split(body: bytes, boundary: str) -> list[bytes]:
    delimiter = b"--" + boundary.encode("latin-1")
    pieces = body.split(delimiter)
    if len(pieces) < 2:
        raise BadRequest(detail="The batch has no parts for its boundary.")
    parts = []
    for piece in pieces[1:]:
        if piece.startswith(b"--"):
            break
        parts.append(piece.strip(b"\r\n"))
    return parts


def _headers(block: bytes) -> tuple[dict[str, str], bytes]:
    text = block.replace(b"\r\n", b"\n")
    head, _, rest = text.partition(b"\n\n")
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").split("\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def _parse_multipart(body: bytes, boundary: str, *, top: bool) -> list[Part | list[Part]]:
    items: list[Part | list[Part]] = []
    for raw in _split(body, boundary):
        headers, content = _headers(raw)
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "multipart/mixed":
            if not top:
                raise BadRequest(detail="Change sets cannot be nested.")
            inner = _parse_multipart(content, _boundary(headers["content-type"]), top=False)
            items.append([p for p in inner if isinstance(p, Part)])
            continue
        if kind != "application/http":
            raise BadRequest(
                detail="Each batch part is application/http or a multipart change set."
            )
        items.append(_http_part(content, headers.get("content-id")))
    return items


def _http_part(content: bytes, content_id: str | None) -> Part:
    text = content.replace(b"\r\n", b"\n")
    line, _, rest = text.partition(b"\n")
    words = line.decode("utf-8", "replace").split()
    if len(words) < 2:
        raise BadRequest(detail="A batch part starts with a request line: METHOD URL HTTP/1.1.")
    headers, body = _headers(rest)
    length = headers.get("content-length")
    if length and is_digits(length):
        body = body[: int(length)]
    return Part(
        method=words[0],
        url=words[1],
        body=body.strip(b"\n") if not length else body,
        content_type=headers.get("content-type", ""),
        content_id=content_id,
    )


def _run_multipart(api: Api, request: StaRequest, batch: Batch) -> StaResponse:
    results = _run_parts(api, request, batch.items)
    boundary = f"batchresponse_{uuid.uuid4()}"
    lines: list[bytes] = []
    for result in results:
        lines.append(f"--{boundary}".encode())
        if isinstance(result, list):
            inner = f"changesetresponse_{uuid.uuid4()}"
            lines.append(f"Content-Type: multipart/mixed; boundary={inner}".encode())
            lines.append(b"")
            for done in result:
                lines.append(f"--{inner}".encode())
                lines.extend(_http_response(done))
            lines.append(f"--{inner}--".encode())
        elif isinstance(result, Done):
            lines.extend(_http_response(result))
    lines.append(f"--{boundary}--".encode())
    return StaResponse(200, b"\r\n".join(lines) + b"\r\n", f"multipart/mixed; boundary={boundary}")


def _http_response(done: Done) -> list[bytes]:
    response = done.response
    out = [b"Content-Type: application/http"]
    if done.part.content_id:
        out.append(f"Content-ID: {done.part.content_id}".encode())
    out.append(b"")
    reason = HTTPStatus(response.status).phrase
    out.append(f"HTTP/1.1 {response.status} {reason}".encode())
    if response.content_type and response.body:
        out.append(f"Content-Type: {response.content_type}".encode())
    for name, value in response.headers.items():
        out.append(f"{name}: {value}".encode())
    out.append(b"")
    out.append(response.body)
    return out


# --- JSON batch ------------------------------------------------------------------------------


def _run_json(api: Api, request: StaRequest) -> StaResponse:
    data = load_json(request.body)
    requests = data.get("requests") if isinstance(data, dict) else None
    if not isinstance(requests, list):
        raise BadRequest(detail='A JSON batch is {"requests": [...]}.')
    items: list[Part | list[Part]] = []
    group_of: dict[str, list[Part]] = {}
    for index, entry in enumerate(requests):
        part = _json_part(entry, index)
        group = entry.get("atomicityGroup")
        if group is None:
            items.append(part)
            continue
        if not isinstance(group, str):
            raise BadRequest(detail=f"requests[{index}].atomicityGroup must be a string.")
        if group in group_of:
            if items[-1] is not group_of[group]:
                raise BadRequest(detail=f"The requests of group '{group}' must follow each other.")
            group_of[group].append(part)
        else:
            group_of[group] = [part]
            items.append(group_of[group])
    results = _run_parts(api, request, items)
    responses: list[dict[str, Any]] = []
    for result in results:
        if isinstance(result, list):
            group_parts = next(i for i in items if isinstance(i, list) and i[0] is result[0].part)
            if len(result) == 1 and len(group_parts) > 1:  # the group failed as a whole
                responses.extend(_json_response(replace(result[0], part=p)) for p in group_parts)
            else:
                responses.extend(_json_response(done) for done in result)
        elif isinstance(result, Done):
            responses.append(_json_response(result))
    return StaResponse.json({"responses": responses})


def _json_part(entry: Any, index: int) -> Part:
    where = f"requests[{index}]"
    if not isinstance(entry, dict):
        raise BadRequest(detail=f"{where} must be an object.")
    method, url = entry.get("method"), entry.get("url")
    if not isinstance(method, str) or not isinstance(url, str):
        raise BadRequest(detail=f"{where} needs a method and a url.")
    identifier = entry.get("id")
    body = entry.get("body")
    headers = entry.get("headers") or {}
    content_type = ""
    if isinstance(headers, dict):
        content_type = next(
            (str(v) for k, v in headers.items() if str(k).lower() == "content-type"), ""
        )
    return Part(
        method=method,
        url=url,
        body=b"" if body is None else orjson.dumps(body),
        content_type=content_type or ("application/json" if body is not None else ""),
        content_id=None if identifier is None else str(identifier),
    )


def _json_response(done: Done) -> dict[str, Any]:
    response = done.response
    out: dict[str, Any] = {"status": response.status}
    if done.part.content_id is not None:
        out["id"] = done.part.content_id
    if response.headers:
        out["headers"] = {k.lower(): v for k, v in response.headers.items()}
    if response.body:
        if response.content_type and "json" in response.content_type:
            out["body"] = orjson.loads(response.body)
        else:
            out["body"] = response.body.decode("utf-8", "replace")
    return out
