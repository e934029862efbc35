"""Errors in the OGC API exception format: ``{"code": …, "description": …}`` with the status.

OGC API - Features wants 400 for an invalid or unknown parameter (never 422) and 404 for an
unknown collection or feature. Descriptions follow the request's language like the pages do.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from allmende.core.errors import AllmendeError
from allmende.http.context import app_context
from allmende.http.problems import challenge
from allmende.standards.ogcapi_features.encoding import json_response

CODES = {
    400: "InvalidParameterValue",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    413: "PayloadTooLarge",
    429: "TooManyRequests",
}

SCHEMA = {
    "type": "object",
    "description": "OGC API exception",
    "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
    "required": ["code"],
}


def ogc_status(status: int) -> int:
    return 400 if status == 422 else status


def render_error(request: Request, error: AllmendeError) -> Response:
    context = app_context(request)
    translate = context.catalogs.translator(request, "ogcapi")
    status = ogc_status(error.status)
    if error.errors:
        description = "; ".join(f"{e.field}: {translate(e.reason)}" for e in error.errors)
    else:
        description = translate(str(error))
    code = CODES.get(status, "ServerError" if status >= 500 else "InvalidRequest")
    response = json_response({"code": code, "description": description}, status_code=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = challenge(request)
    return response
