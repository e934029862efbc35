"""Errors under ``/v1.1``: RFC 9457 problem documents that also carry the ``code`` and
``message`` members SensorThings clients (FROST's among them) read."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from allmende.core.errors import AllmendeError
from allmende.http.problems import PROBLEM_JSON, challenge, problem_body


def error_body(error: AllmendeError) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"https://allmende.example/problems/{error.code}",
        "title": error.title,
        "status": error.status,
        "detail": str(error),
        "code": error.status,
        "message": str(error),
    }
    if error.errors:
        body["errors"] = [{"field": e.field, "reason": e.reason} for e in error.errors]
    return body


def render_error(request: Request, error: AllmendeError) -> Response:
    body = {**problem_body(request, error), "code": error.status, "message": str(error)}
    headers = {"WWW-Authenticate": challenge(request)} if error.status == 401 else None
    return Response(
        orjson.dumps(body), status_code=error.status, media_type=PROBLEM_JSON, headers=headers
    )
