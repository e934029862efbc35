"""Rate limits of the shell's account pages (sign-up, password links, password checks).

Each limit counts per subject (the client's address, or the e-mail address a form names) through
the one rate limiter (:func:`allmende.http.ratelimit.rate_limit`), so several workers limit
together; over it, the request gets 429.
"""

from __future__ import annotations

from starlette.requests import Request

from allmende.http.ratelimit import RateLimit, rate_limit

HOUR = 3600

#: Five sign-ups an hour per client, three mails an hour per address (no mail bombs).
SIGNUP_CLIENT = RateLimit("signup-client", limit=5, window_seconds=HOUR)
SIGNUP_ADDRESS = RateLimit("signup-address", limit=3, window_seconds=HOUR)
RESET_CLIENT = RateLimit("reset-client", limit=5, window_seconds=HOUR)
RESET_ADDRESS = RateLimit("reset-address", limit=3, window_seconds=HOUR)
#: Checks of the current password (change it, delete the account): ten per 15 minutes.
PASSWORD_CHECK = RateLimit("password-check", limit=10, window_seconds=15 * 60)


def sign_up(request: Request, email: str) -> None:
    rate_limit(request, SIGNUP_CLIENT)
    rate_limit(request, SIGNUP_ADDRESS, email.strip().lower())


def password_link(request: Request, email: str) -> None:
    rate_limit(request, RESET_CLIENT)
    rate_limit(request, RESET_ADDRESS, email.strip().lower())


def password_check(request: Request, user_id: int) -> None:
    rate_limit(request, PASSWORD_CHECK, str(user_id))
