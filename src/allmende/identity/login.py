"""Signing in with e-mail and password without holding up anyone else.

1. The account's back-off is read (a read, concurrent with everything): while it lasts the
   attempt is refused at once, without checking the password and without counting.
2. The password is checked in the password workers (:data:`credentials.PASSWORD_WORKERS`):
   off the event loop, off the SQLite writer, one at a time and at most a quarter of the time;
   when too many wait, the attempt is refused with 503 instead of queueing without end.
3. Only the outcome is written: on success the login time, the new session and a cleared
   back-off; on failure one more failure of the account.

**Back-off policy** (:data:`ACCOUNT_BACKOFF`): per e-mail address, whether an account has it or
not (so the answers say nothing about which exist). Five failures in a row are free; then the
address waits 30 s, doubling with each further failure up to 15 min. The wait always expires,
refused attempts during it do not prolong it, and a successful sign-in clears it, so an attacker
cannot lock the owner out for longer than 15 min after the attacker's last guess. Failures are
forgotten a day after the last one. The sign-in form limits each client address besides
(``login_attempts_per_address``, :func:`allmende.web.shell.login_attempts`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.core.errors import TooManyRequests, Unauthorized
from allmende.core.timeutil import utcnow
from allmende.identity import credentials, service
from allmende.identity.models import User
from allmende.identity.ratelimits import Backoff, RateLimits
from allmende.storage.database import Database

ACCOUNT_BACKOFF = Backoff(
    name="login-account",
    free_failures=5,
    base_seconds=30,
    max_seconds=15 * 60,
    forget_seconds=24 * 3600,
)
WRONG = "E-mail or password is wrong."


@dataclass(frozen=True)
class _Candidate:
    waiting: int
    user_id: int | None
    password_hash: str | None
    active: bool


async def sign_in(
    database: Database,
    limits: RateLimits,
    *,
    email: str,
    password: str,
    max_age: timedelta,
    user_agent: str | None = None,
    backoff: Backoff = ACCOUNT_BACKOFF,
) -> str:
    """A new session token for the account, or 401 (wrong), 429 (waiting), 503 (busy)."""
    address = email.strip().lower()

    def look_up() -> _Candidate:
        with database.session() as session:
            waiting = limits.waiting(session, backoff, address)
            row = session.execute(
                select(User.id, User.password_hash, User.is_active).where(User.email == address)
            ).first()
        if row is None:
            return _Candidate(waiting, None, None, False)
        return _Candidate(waiting, row.id, row.password_hash, bool(row.is_active))

    found = await asyncio.to_thread(look_up)
    if found.waiting:
        raise TooManyRequests(
            detail=f"Too many failed sign-ins. Try again in {found.waiting} seconds."
        )
    matches = await credentials.check_password(found.password_hash, password)
    if not matches or found.user_id is None or not found.active:
        await database.awrite(lambda s: limits.failed(s, backoff, address))
        raise Unauthorized(detail=WRONG)
    user_id = found.user_id

    def record_success(session: Session) -> str:
        user = session.get(User, user_id)
        if user is None or not user.is_active:  # removed or disabled meanwhile
            raise Unauthorized(detail=WRONG)
        user.last_login_at = utcnow()
        limits.succeeded(session, backoff, address)
        return service.start_session(session, user=user, max_age=max_age, user_agent=user_agent)

    return await database.awrite(record_success)
