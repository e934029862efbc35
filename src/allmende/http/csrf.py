"""CSRF protection for forms and for cookie-authenticated API calls.

A random seed lives in a cookie; the token is an HMAC of it under the secret key. A cross-site
page can make the browser send the cookie but can neither read it nor compute the token.
Requests that authenticate with a header (API key, bearer token) are not exposed to CSRF.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from allmende.core.errors import Forbidden
from allmende.http.context import app_context

SEED_COOKIE = "allmende_csrf"
FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _seed(connection: HTTPConnection) -> str:
    seed = connection.cookies.get(SEED_COOKIE)
    if seed and 20 <= len(seed) <= 100:
        return seed
    new: str | None = getattr(connection.state, "new_csrf_seed", None)
    if new is None:
        new = secrets.token_urlsafe(24)
        connection.state.new_csrf_seed = new
    return new


def csrf_token(connection: HTTPConnection) -> str:
    key = app_context(connection).settings.signing_key.encode()
    return hmac.new(key, _seed(connection).encode(), hashlib.sha256).hexdigest()


class LazyToken:
    """The token for a template: computed, and the seed cookie planned, only when a page prints
    it. A page without a form then sets no cookie and stays cacheable for anonymous readers."""

    __slots__ = ("_connection", "_value")

    def __init__(self, connection: HTTPConnection) -> None:
        self._connection = connection
        self._value: str | None = None

    def __str__(self) -> str:
        if self._value is None:
            self._value = csrf_token(self._connection)
        return self._value

    def __html__(self) -> str:  # hex digits: nothing to escape
        return str(self)


def token_valid(connection: HTTPConnection, token: str | None) -> bool:
    if not token or connection.cookies.get(SEED_COOKIE) is None:
        return False
    return hmac.compare_digest(token, csrf_token(connection))


def remember_seed(connection: HTTPConnection, response: Response) -> None:
    """Set the seed cookie if this request created one."""
    new = getattr(connection.state, "new_csrf_seed", None)
    if new is not None:
        response.set_cookie(
            SEED_COOKIE,
            new,
            httponly=True,
            samesite="lax",
            secure=cookies_secure(connection),
            path="/",
        )


def cookies_secure(connection: HTTPConnection) -> bool:
    configured = app_context(connection).settings.cookie_secure
    if configured is not None:
        return configured
    base = app_context(connection).settings.base_url
    return (base or str(connection.base_url)).startswith("https://")


async def check_request(request: Request) -> None:
    """Refuse an unsafe request without a valid token in the header or the form."""
    if request.method in SAFE_METHODS:
        return
    if token_valid(request, request.headers.get(HEADER)):
        return
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(FORM_FIELD)
        if isinstance(value, str) and token_valid(request, value):
            return
    raise Forbidden(detail="The form has expired or was not sent from this site. Please reload it.")
