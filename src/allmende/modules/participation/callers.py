"""From a request to a :class:`Participant`: rate limits, the challenge for anonymous callers
and their browser key; plus the reader's translations and the upload folder."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request

from allmende.modules.participation import challenge
from allmende.modules.participation.service import Participant, Translate, english
from allmende.sdk import Principal, app_context


def participant_for(
    request: Request,
    principal: Principal,
    *,
    action: str,
    token: str | None,
    field: str = "body.challenge",
    honeypot: str | None = None,
    translate: Translate = english,
    name: str | None = None,
) -> Participant:
    """Count the attempt, and for anonymous callers check the challenge (and honeypot)."""
    user_id = principal.user_id if principal.kind == "user" else None
    if principal.kind != "api_key":  # integrators are bounded by their key, not by address
        challenge.rate_limit(request, action, user_id=user_id)
    if principal.is_authenticated:
        return Participant(principal, name=name)
    challenge.check_honeypot(honeypot, translate=translate)
    secret = app_context(request).settings.signing_key
    challenge.verify(secret, token, field=field, translate=translate)
    browser = challenge.browser_id(request) or challenge.new_browser(request)
    return Participant(principal, voter_key=challenge.voter_key(secret, browser), name=name)


def viewer(request: Request, principal: Principal) -> Participant:
    """The reader as a participant, for showing what they already did (no checks)."""
    if principal.is_authenticated:
        return Participant(principal)
    browser = challenge.browser_id(request)
    if browser is None:
        return Participant(principal)
    secret = app_context(request).settings.signing_key
    return Participant(principal, voter_key=challenge.voter_key(secret, browser))


def translator(request: Request) -> Translate:
    return app_context(request).catalogs.translator(request, "participation")


def data_dir(request: Request) -> Path:
    return Path(app_context(request).settings.data_dir)
