"""Secrets and their hashes: argon2 for passwords, SHA-256 for random tokens and API keys.

API keys and session tokens are 256-bit random values, so a fast hash is enough to make a
leaked table useless; passwords are chosen by people and get argon2. An argon2 hash costs about
150 ms of CPU and 64 MiB, so a sign-in checks it in :data:`PASSWORD_WORKERS`
(:func:`check_password`): never in the SQLite writer, never on the event loop, one at a time
and at most a quarter of the time; new passwords are hashed before the write that stores them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from allmende.core.workers import BoundedWorkers

KEY_PATTERN = re.compile(r"^alm_([a-z0-9]{8})_([A-Za-z0-9_-]{32,64})$")
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()
# Verifying against this when a user does not exist keeps login time independent of that fact.
# Made at the first check, not at import: every process (each server worker, each command)
# would pay a hash at start-up.
_dummy_hash: str | None = None


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Hash and check passwords with ``hasher``'s parameters from now on (the test suite uses
    argon2's cheapest ones, so that thousands of sign-ins cost no minutes; hashes made with
    other parameters still verify, since each hash names its own)."""
    global _hasher, _dummy_hash
    _hasher, _dummy_hash = hasher, None


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not a password of anyone")
    return _dummy_hash


#: The process's password checks: one at a time, at most a quarter of the time, at most 16
#: waiting (then 503). About two checks a second on a small machine: plenty for people signing
#: in, and a flood of guesses cannot take the CPU from everyone else.
PASSWORD_WORKERS = BoundedWorkers(
    "allmende-password",
    workers=1,
    queue_limit=16,
    busy="Too many sign-ins at once. Please try again in a moment.",
    busy_share=0.25,
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def check_password(password_hash: str | None, password: str) -> bool:
    """:func:`verify_password` in the password workers, awaited from the event loop."""
    return await PASSWORD_WORKERS.arun(verify_password, password_hash, password)


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or ``None``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 512:
        return "must have at most 512 characters"
    return None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class NewKey:
    prefix: str
    secret_hash: str
    key: str


def new_api_key() -> NewKey:
    """A key like ``alm_3kf8x0qa_<43 random characters>``.

    The prefix finds the stored key, the hash of the rest checks it.
    """
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    prefix = "".join(secrets.choice(alphabet) for _ in range(8))
    secret = secrets.token_urlsafe(32)
    return NewKey(prefix=prefix, secret_hash=token_hash(secret), key=f"alm_{prefix}_{secret}")


def split_api_key(key: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed key, else ``None``."""
    match = KEY_PATTERN.match(key.strip())
    return (match.group(1), match.group(2)) if match else None


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(token_hash(secret), stored_hash)
