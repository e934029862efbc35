"""The request side of taking part, shared by the API and the pages: from a request to a
:class:`Participant` (rate limits, the challenge for anonymous callers and their browser key,
kept in a cookie), plus the reader's translations and the upload folder."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from allmende.modules.participation import challenge
from allmende.modules.participation.challenge import (
    ACCOUNT_LIMITS,
    ANONYMOUS_LIMITS,
    PARTICIPANT_COOKIE,
)
from allmende.modules.participation.service import Participant
from allmende.sdk import Principal, app_context
from allmende.sdk import rate_limit as count_attempt

#: The reader's gettext: pages translate what the services say in English.
Translate = Callable[[str], str]


def participant_for(
    request: Request,
    principal: Principal,
    *,
    action: str,
    token: str | None,
    field: str = "body.challenge",
    honeypot: str | None = None,
    name: str | None = None,
) -> Participant:
    """Count the attempt, and for anonymous callers check the challenge (and honeypot)."""
    user_id = principal.user_id if principal.kind == "user" else None
    if principal.kind != "api_key":  # integrators are bounded by their key, not by address
        rate_limit(request, action, user_id=user_id)
    if principal.is_authenticated:
        return Participant(principal, name=name)
    challenge.check_honeypot(honeypot)
    settings = app_context(request).settings
    secret = settings.signing_key
    challenge.verify(
        secret, token, min_seconds=settings.participation_min_form_seconds, field=field
    )
    browser = browser_id(request) or new_browser(request)
    return Participant(principal, voter_key=challenge.voter_key(secret, browser), name=name)


def viewer(request: Request, principal: Principal) -> Participant:
    """The reader as a participant, for showing what they already did (no checks)."""
    if principal.is_authenticated:
        return Participant(principal)
    browser = browser_id(request)
    if browser is None:
        return Participant(principal)
    secret = app_context(request).settings.signing_key
    return Participant(principal, voter_key=challenge.voter_key(secret, browser))


def translator(request: Request) -> Translate:
    return app_context(request).catalogs.translator(request, "participation")


def data_dir(request: Request) -> Path:
    return Path(app_context(request).settings.data_dir)


def browser_id(connection: HTTPConnection) -> str | None:
    value = connection.cookies.get(PARTICIPANT_COOKIE)
    return value if value and 20 <= len(value) <= 64 else None


def new_browser(connection: HTTPConnection) -> str:
    """A random id for a browser taking part for the first time; the response sets it."""
    value = secrets.token_urlsafe(24)
    connection.state.new_participant = value
    return value


def remember_browser(
    connection: HTTPConnection, response: Response, *, always: bool = False
) -> None:
    """Set the browser's id cookie when this request gave it one (or, with ``always``, when it
    has none). Reading pages sets nothing: only taking part does."""
    if browser_id(connection) is not None:
        return
    value = getattr(connection.state, "new_participant", None)
    if value is None and always:
        value = new_browser(connection)
    if value is None:
        return
    base = app_context(connection).settings.base_url or str(connection.base_url)
    response.set_cookie(
        PARTICIPANT_COOKIE,
        value,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=base.startswith("https://"),
        path="/",
    )


def rate_limit(connection: HTTPConnection, action: str, *, user_id: int | None) -> None:
    """Count one attempt at ``action``; 429 when the caller has done it too often."""
    if user_id is not None:
        count_attempt(connection, ACCOUNT_LIMITS[action], str(user_id))
    else:
        count_attempt(connection, ANONYMOUS_LIMITS[action])  # per address
