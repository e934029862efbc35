"""JSON bodies, bounded in depth where they are parsed.

Deeply nested JSON costs nothing to send and breaks what walks it later: recursive encoders
and validators hit Python's recursion limit, ``orjson`` refuses to write more than 254 levels,
so a stored value nested too deeply would break every page that shows it. Every JSON body
is therefore refused with a 400 when it nests deeper than :data:`MAX_JSON_DEPTH` levels:
:class:`JsonDepthMiddleware` does so for every request before any handler (kernel, modules,
standards) parses it, :func:`load_json` for the JSON that arrives another way (the parts of a
multipart batch, MQTT messages), and :func:`json_loads` for JSON in form fields and files.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import partial
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from allmende.core.errors import AllmendeError, BadRequest, FieldError
from allmende.http.middleware import ErrorRenderer

#: Objects and arrays inside each other; GeoJSON, deep inserts and JSON Patch need far fewer.
MAX_JSON_DEPTH = 64
TOO_DEEP = f"nests objects and arrays deeper than {MAX_JSON_DEPTH} levels"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CONTAINERS = (dict, list)
#: Larger bodies are checked in a worker thread, so the event loop stays free.
_INLINE_BYTES = 64 * 1024
#: The request's body and its value, as checked by the middleware, for :func:`load_json`
#: (the handlers run in the request's context, worker threads included).
_CHECKED: ContextVar[tuple[bytes, Any] | None] = ContextVar("allmende_checked_json", default=None)


def json_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """How many objects and arrays ``value`` nests inside each other (0 for a scalar), counted
    level by level, up to ``limit + 1`` (deeper is not walked): safe at any depth."""
    level = [value] if type(value) in _CONTAINERS else []
    depth = 0
    while level and depth <= limit:
        depth += 1
        level = [
            child
            for item in level
            for child in (item.values() if type(item) is dict else item)
            if type(child) in _CONTAINERS
        ]
    return depth


#: PostgreSQL stores no NUL character in text; SQLite would: refused on both, naming where.
NUL_REFUSED = "must not contain a NUL character (\\u0000)"


def nul_place(value: Any, field: str = "body") -> str | None:
    """Where the first text of a parsed JSON body (a string or an object's key) holds a NUL
    character, as a field path (``body.defects.2.description``); None if none does."""
    stack: list[tuple[str, Any]] = [(field, value)]
    while stack:
        path, item = stack.pop()
        kind = type(item)
        if kind is str:
            if "\x00" in item:
                return path
        elif kind is dict:
            for key in item:
                if "\x00" in key:
                    return path
            stack.extend((f"{path}.{key}", child) for key, child in reversed(item.items()))
        elif kind is list:
            stack.extend((f"{path}.{i}", child) for i, child in reversed(list(enumerate(item))))
    return None


def too_deep(field: str) -> BadRequest:
    return BadRequest(detail=f"{field}: {TOO_DEEP}.", errors=[FieldError(field, TOO_DEEP)])


class TooDeep(ValueError):
    """JSON text nested deeper than :data:`MAX_JSON_DEPTH`."""


def json_loads(text: bytes | str) -> Any:
    """``json.loads`` with the depth bound, for JSON in form fields and uploaded files: invalid
    or too deeply nested text raises :class:`ValueError` (:class:`TooDeep` for the latter)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc) or "recursion" in str(exc).lower():  # beyond orjson's own 1024
            raise TooDeep(TOO_DEEP) from None
        raise
    if _openings(text) > MAX_JSON_DEPTH and json_depth(value) > MAX_JSON_DEPTH:
        raise TooDeep(TOO_DEEP)
    return value


def _openings(text: bytes | str) -> int:
    """How many ``{`` and ``[`` the text holds (in strings too): a bound on its depth that
    costs a scan in C, so the walk is left out for the many small bodies (an MQTT message)."""
    if isinstance(text, str):
        return text.count("{") + text.count("[")
    return text.count(b"{") + text.count(b"[")


def load_json(body: bytes | str, *, field: str = "body") -> Any:
    """Parse a JSON body, refusing invalid or too deeply nested text with a 400 naming
    ``field``. The request's body as :class:`JsonDepthMiddleware` parsed it is taken from
    there, once: a large body is not parsed and walked twice."""
    checked = _CHECKED.get()
    if checked is not None and checked[0] == body:
        _CHECKED.set(None)
        return checked[1]
    try:
        return json_loads(body)
    except TooDeep:
        raise too_deep(field) from None
    except orjson.JSONDecodeError as exc:
        raise BadRequest(detail=f"{field} is not JSON: {exc}") from None


def _checked(body: bytes, *, nul_allowed: bool = False) -> tuple[bytes, Any] | BadRequest | None:
    """The body and its value when it is JSON within the bound; the 400 for a body nested too
    deeply or, unless ``nul_allowed``, with a NUL character in its text (JSON must escape it
    as ``\\u0000``: bodies without that pass at the cost of one search); None for text that
    is not JSON (which the endpoint refuses in its own words)."""
    try:
        value = load_json(body)
    except BadRequest as refused:
        return refused if refused.errors else None
    place = None if nul_allowed or b"\\u0000" not in body else nul_place(value)
    if place is not None:
        return BadRequest(
            detail=f"{place}: {NUL_REFUSED}.", errors=[FieldError(place, NUL_REFUSED)]
        )
    return body, value


def _is_json(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key.lower() == b"content-type":
            kind: str = value.decode("latin-1").split(";")[0].strip().lower()
            return kind == "application/json" or kind.endswith("+json")
    return False


class JsonDepthMiddleware:
    """Refuses JSON request bodies nested too deeply, before the application reads them.

    The body (already bounded in size by the request middleware) is read, checked, and
    handed on unchanged; bodies that are not valid JSON go on as they are, so each endpoint
    still answers them in its own words."""

    def __init__(
        self, app: ASGIApp, *, render: ErrorRenderer, nul_refused_by: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.render = render
        #: Path prefixes whose handlers refuse NUL characters themselves.
        self.nul_refused_by = nul_refused_by

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = bytearray()
        try:
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                if not message.get("more_body", False):
                    break
        except AllmendeError as too_large:  # the size limit of the request middleware
            await self.render(Request(scope), too_large)(scope, receive, send)
            return
        data = bytes(body)
        nul_allowed = scope["path"].startswith(self.nul_refused_by)
        if len(data) > _INLINE_BYTES:  # parsed, walked and searched off the event loop
            checked = await run_in_threadpool(partial(_checked, data, nul_allowed=nul_allowed))
        else:
            checked = _checked(data, nul_allowed=nul_allowed) if data.strip() else None
        if isinstance(checked, BadRequest):
            response: Response = self.render(Request(scope), checked)
            await response(scope, receive, send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        token = _CHECKED.set(checked)
        try:
            await self.app(scope, replay, send)
        finally:
            _CHECKED.reset(token)
