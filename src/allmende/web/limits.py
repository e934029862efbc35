"""Rate limits of the shell's account pages (sign-up, password links, password checks).

Each limit counts per subject (the client's address, or the e-mail address a form names);
over it, the request gets 429.
"""

from __future__ import annotations

from starlette.requests import Request

from allmende.http.ratelimit import limiter

HOUR = 3600


def client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def hit(request: Request, name: str, subject: str, *, limit: int, window_seconds: int) -> None:
    """Count one attempt of ``subject`` at ``name``; raises TooManyRequests when over."""
    limiter(request, name, limit=limit, window_seconds=window_seconds).hit(subject)


def sign_up(request: Request, email: str) -> None:
    """Five sign-ups an hour per client, three mails an hour per address (no mail bombs)."""
    hit(request, "signup-client", client(request), limit=5, window_seconds=HOUR)
    hit(request, "signup-address", email.strip().lower(), limit=3, window_seconds=HOUR)


def password_link(request: Request, email: str) -> None:
    hit(request, "reset-client", client(request), limit=5, window_seconds=HOUR)
    hit(request, "reset-address", email.strip().lower(), limit=3, window_seconds=HOUR)


def password_check(request: Request, user_id: int) -> None:
    """Checks of the current password (change it, delete the account): ten per 15 minutes."""
    hit(request, "password-check", str(user_id), limit=10, window_seconds=15 * 60)
