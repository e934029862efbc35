"""Taking part without an account: a privacy-friendly challenge, browser keys and rate limits.

No third party is involved and nothing about the person is stored:

* **Timing token.** Every form (and ``GET /api/participation/challenge``) carries a token signed
  with the installation's secret that says when it was issued. A submission is refused when it
  arrives sooner than the setting ``participation_min_form_seconds`` after that (scripts post
  at once, people read and type) or later than :data:`MAX_AGE_SECONDS` (reload the page).
* **Honeypot.** Forms hold a field people never see (hidden from screen readers too); naive
  bots fill it and are refused.
* **Rate limits** per address (anonymous) or per account, see :data:`LIMITS`.
* **Browser key.** Anonymous supports, ratings and survey answers count once per browser: a
  random cookie, set when the browser first takes part and stored only as a keyed hash.
  Clearing cookies allows voting again, which the rate limits bound; processes that need more
  certainty require an account.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from allmende.modules.participation.service import N_, refuse
from allmende.sdk import FieldError, RateLimit, ValidationFailed, is_digits

MAX_AGE_SECONDS = 3 * 3600
HONEYPOT_FIELD = "homepage"
CHALLENGE_FIELD = "challenge"
PARTICIPANT_COOKIE = "allmende_participant"

#: Attempts per window (seconds) for anonymous callers; accounts get four times as many.
LIMITS: dict[str, tuple[int, int]] = {
    "contribution": (5, 600),
    "comment": (10, 600),
    "support": (60, 600),
    "rating": (30, 600),
    "survey": (5, 3600),
    "report": (10, 3600),
}
ACCOUNT_FACTOR = 4
#: The limits as the SDK's rate limiter counts them, for anonymous callers and for accounts.
ANONYMOUS_LIMITS = {
    action: RateLimit(f"participation-{action}", limit, window)
    for action, (limit, window) in LIMITS.items()
}
ACCOUNT_LIMITS = {
    action: RateLimit(f"participation-{action}-account", limit * ACCOUNT_FACTOR, window)
    for action, (limit, window) in LIMITS.items()
}


def _sign(secret: str, payload: str) -> str:
    mac = hmac.new(secret.encode(), f"participation-challenge:{payload}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def issue(secret: str, *, now: float | None = None) -> str:
    """A new token: ``<issued unix time>.<nonce>.<signature>``."""
    issued = int(time.time() if now is None else now)
    payload = f"{issued}.{secrets.token_urlsafe(12)}"
    return f"{payload}.{_sign(secret, payload)}"


def verify(
    secret: str,
    token: str | None,
    *,
    min_seconds: int,
    field: str = "body.challenge",
    now: float | None = None,
) -> None:
    """Refuse a missing, forged, stale or too fast token (sent sooner than ``min_seconds``
    after it was issued)."""
    if not token:
        raise refuse(
            ValidationFailed,
            field,
            N_("is missing: load the form (or GET /api/participation/challenge) first"),
        )
    parts = token.split(".")
    if len(parts) != 3 or not is_digits(parts[0]):
        raise refuse(ValidationFailed, field, N_("is not a valid challenge token"))
    payload = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], _sign(secret, payload)):
        raise refuse(ValidationFailed, field, N_("is not a valid challenge token"))
    age = (time.time() if now is None else now) - int(parts[0])
    if age < min_seconds:
        raise refuse(
            ValidationFailed,
            field,
            N_("was sent too quickly. Please take a moment, then send the form again."),
        )
    if age > MAX_AGE_SECONDS:
        raise refuse(
            ValidationFailed,
            field,
            N_("has expired. Please reload the page and send the form again."),
        )


def check_honeypot(value: str | None) -> None:
    if value:
        reason = N_("This form was filled in automatically and cannot be accepted.")
        raise ValidationFailed(detail=reason, errors=[FieldError(HONEYPOT_FIELD, reason)])


def voter_key(secret: str, value: str) -> str:
    """A keyed hash that tells one browser apart without storing anything about it."""
    mac = hmac.new(secret.encode(), f"participant:{value}".encode(), hashlib.sha256)
    return mac.hexdigest()
