"""Errors for people: an HTML page in the shell's layout, in the reader's language."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from allmende.core.errors import AllmendeError
from allmende.http.context import app_context
from allmende.http.problems import problem_response

log = logging.getLogger(__name__)


def html_error(request: Request, error: AllmendeError) -> Response:
    context = app_context(request)
    translate = context.catalogs.translator(request)
    try:
        return context.templates.render(
            request,
            "error.html",
            {"error": error, "detail": translate(str(error))},
            status_code=error.status,
        )
    except Exception:  # the error page must not fail; fall back to plain problem JSON
        log.exception("error page failed")
        return problem_response(request, error)
