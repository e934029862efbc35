"""Errors as GeoReport v2 wants them: an array of ``{code, description}`` (XML ``errors/error``).

The HTTP status follows the specification: 404 for what does not exist, 403 for a missing or
wrong ``api_key`` (so also for any refused credential), 400 for every other mistake; 405, 413
and 429 keep their meaning. Descriptions are for end users, in the request's language (German
unless the client asks for English); reasons are English msgids translated here.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from allmende.core.errors import AllmendeError
from allmende.http.context import app_context
from allmende.http.i18n import N_
from allmende.standards.open311.wire import Format, respond

KEPT = frozenset({400, 403, 404, 405, 413, 429})

# What the kernel and the framework say without a field (titles, credential checks), so the
# catalogue translates them for both adapters (catalogues are merged).
KERNEL_MESSAGES = (
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("The API key is malformed."),
    N_("The API key is not valid."),
    N_("The API key has been revoked."),
    N_("The API key has expired."),
    N_("The Authorization header must be 'Bearer <API key or token>'."),
    N_("A value cannot be stored: it holds a NUL character or is out of range."),
    N_("The address holds a NUL character (%00), which no field accepts."),
    N_("Something went wrong on our side."),
    N_("The form has expired or was not sent from this site. Please reload it."),
    N_("This installation accepts no OIDC tokens."),
    N_("Bad request"),
    N_("Not allowed"),
    N_("Not found"),
    N_("Method not allowed"),
    N_("Payload too large"),
    N_("Too many requests"),
    N_("Internal error"),
    N_("Invalid input"),
    N_("Authentication required"),
)


def open311_status(status: int) -> int:
    if status == 401:
        return 403
    if status in KEPT or status >= 500:
        return status
    return 400


def format_of(request: Request) -> Format:
    return "xml" if request.url.path.endswith(".xml") else "json"


def render_error(request: Request, error: AllmendeError) -> Response:
    context = app_context(request)
    translate = context.catalogs.translator(request, "open311")
    status = open311_status(error.status)
    if error.errors:
        descriptions = [f"{e.field}: {translate(e.reason)}" for e in error.errors]
    else:
        descriptions = [translate(str(error))]
    document = [{"code": status, "description": d} for d in descriptions]
    return respond(format_of(request), "errors", document, status_code=status)
