"""Errors as responses: RFC 9457 ``application/problem+json`` unless a standard has its own format.

Standards adapters register their own renderer for their path prefix (SensorThings, Open311…);
browsers asking for HTML get an error page. Nothing ever answers with a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from re import Pattern
from typing import Any
from weakref import WeakKeyDictionary

import fastapi.routing
import orjson
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, IntegrityError
from starlette._utils import get_route_path
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from allmende.core.errors import (
    AllmendeError,
    BadRequest,
    Conflict,
    FieldError,
    Forbidden,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
)
from allmende.core.logging import request_id
from allmende.http.routing import routes_version

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"

Renderer = Callable[[Request, AllmendeError], Response]


@dataclass
class ErrorFormats:
    """Which renderer answers errors under which path prefix (longest prefix wins)."""

    by_prefix: list[tuple[str, Renderer]]
    html: Renderer | None = None

    def renderer(self, request: Request) -> Renderer:
        path = request.url.path
        root = request.scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        for prefix, renderer in sorted(self.by_prefix, key=lambda p: -len(p[0])):
            if path.startswith(prefix):
                return renderer
        if self.html is not None and _wants_html(request, path):
            return self.html
        return problem_response


def _wants_html(request: Request, path: str) -> bool:
    if path.startswith("/api/") or path in ("/healthz", "/readyz"):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept


def problem_body(request: Request, error: AllmendeError) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"https://allmende.example/problems/{error.code}",
        "title": error.title,
        "status": error.status,
        "detail": str(error),
        "instance": request.url.path,
    }
    if error.errors:
        body["errors"] = [{"field": e.field, "reason": e.reason} for e in error.errors]
    rid = request_id.get()
    if rid:
        body["request_id"] = rid
    return body


BEARER_CHALLENGE = 'Bearer realm="allmende"'
BASIC_CHALLENGE = 'Basic realm="allmende", charset="UTF-8"'


def challenge(request: Request) -> str:
    """The ``WWW-Authenticate`` value of a 401: Basic for a caller that sent Basic (so its
    client may ask again), else Bearer (a Basic challenge makes browsers pop up a login)."""
    sent = request.headers.get("authorization", "")
    return BASIC_CHALLENGE if sent[:6].lower() == "basic " else BEARER_CHALLENGE


def problem_response(request: Request, error: AllmendeError) -> Response:
    headers = {"WWW-Authenticate": challenge(request)} if error.status == 401 else None
    return Response(
        orjson.dumps(problem_body(request, error)),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def from_validation(exc: RequestValidationError) -> ValidationFailed:
    errors = []
    for item in exc.errors():
        loc = [str(part) for part in item.get("loc", ())]
        errors.append(FieldError(".".join(loc) or "body", str(item.get("msg", "is invalid"))))
    detail = "; ".join(f"{e.field}: {e.reason}" for e in errors[:5])
    return ValidationFailed(detail=detail, errors=errors)


_BY_STATUS: dict[int, type[AllmendeError]] = {
    kind.status: kind
    for kind in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        NotAcceptable,
        Conflict,
        PayloadTooLarge,
        UnsupportedMediaType,
        ValidationFailed,
        TooManyRequests,
    )
}


def from_http(exc: HTTPException) -> AllmendeError:
    kind = _BY_STATUS.get(exc.status_code)
    if kind is None:
        kind = BadRequest if 400 <= exc.status_code < 500 else AllmendeError
    detail = str(exc.detail) if exc.detail and exc.detail != kind.title else ""
    return kind(detail=detail)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
#: A route's path pattern, the methods it serves, and the route.
_RouteRow = tuple[Pattern[str] | None, frozenset[str], Any]


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's).

    Each route's path pattern is tried once, from a table of the app's routes kept until they
    change: asking the router once per method walked every included router seven times, and
    flattening the included routers anew for each answer cost milliseconds more (a fuzzer, or
    anyone, can send many requests with a wrong method)."""
    path = get_route_path(request.scope)
    methods: set[str] = set()
    for pattern, served, route in _route_table(app):
        if pattern is not None:
            if pattern.match(path):
                methods |= served
        else:  # a mount or host: only its own matching knows what it serves
            methods |= {
                method
                for method in _METHODS
                if route.matches({**request.scope, "method": method})[0] is Match.FULL
            }
    return sorted(methods)


#: Per app: the routes' version and, per route, its path pattern and methods (no pattern for
#: a mount or host, which must be asked).
_ROUTE_TABLES: WeakKeyDictionary[FastAPI, tuple[tuple[str, int, int], list[_RouteRow]]] = (
    WeakKeyDictionary()
)


def _route_table(app: FastAPI) -> list[_RouteRow]:
    version = routes_version(app)
    kept = _ROUTE_TABLES.get(app)
    if version is not None and kept is not None and kept[0] == version:
        return kept[1]
    table: list[_RouteRow] = []
    for route in _routes(app):
        pattern, served = getattr(route, "path_regex", None), getattr(route, "methods", None)
        if pattern is not None and served is not None:
            table.append((pattern, frozenset(served) & frozenset(_METHODS), route))
        else:
            table.append((None, frozenset(), route))
    if version is not None:
        _ROUTE_TABLES[app] = (version, table)
    return table


def _routes(app: FastAPI) -> Iterable[Any]:
    """The app's routes with the path each is served at (FastAPI 0.16x keeps included routers
    whole; earlier versions copied their routes into the app's)."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    return app.router.routes if contexts is None else contexts(app.router.routes)


def install_error_handlers(app: FastAPI, formats: ErrorFormats) -> None:
    def respond(request: Request, error: AllmendeError) -> Response:
        response = formats.renderer(request)(request, error)
        response.headers.update(error.headers)
        return response

    async def on_allmende(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AllmendeError)
        return respond(request, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return respond(request, from_validation(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        response = respond(request, from_http(exc))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(_allowed_methods(app, request))
        return response

    async def on_data_error(request: Request, exc: Exception) -> Response:
        # The database refused a value the validation let through (a NUL character, a number
        # beyond the column's range): the input is at fault, not the server.
        log.info("database refused a value: %s", type(getattr(exc, "orig", exc)).__name__)
        return respond(
            request,
            BadRequest(
                detail="A value cannot be stored: it holds a NUL character or is out of range."
            ),
        )

    async def on_integrity(request: Request, exc: Exception) -> Response:
        # Two requests made the same record at once and the check before the insert saw
        # neither (PostgreSQL runs them side by side): the later one conflicts, nothing is kept.
        if _unique_violation(exc):
            log.info("unique constraint: %s", type(getattr(exc, "orig", exc)).__name__)
            return respond(
                request, Conflict(detail="The record exists already (made at the same moment).")
            )
        return await on_unexpected(request, exc)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", extra={"path": request.url.path})
        return respond(request, AllmendeError(detail="Something went wrong on our side."))

    app.add_exception_handler(AllmendeError, on_allmende)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(DataError, on_data_error)
    app.add_exception_handler(IntegrityError, on_integrity)
    app.add_exception_handler(Exception, on_unexpected)


def _unique_violation(exc: Exception) -> bool:
    """A duplicate key: PostgreSQL's SQLSTATE 23505, SQLite's "UNIQUE constraint failed"."""
    original = getattr(exc, "orig", None)
    if getattr(original, "sqlstate", None) == "23505":
        return True
    return "UNIQUE constraint failed" in str(original)
