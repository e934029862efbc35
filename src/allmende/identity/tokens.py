"""Signed, expiring tokens for links in e-mails (confirm an address, set a password, unsubscribe).

A token is ``<payload>.<signature>``, both Base64url: the payload is a small JSON object with
the purpose, the subject and the expiry (Unix seconds); the signature is an HMAC-SHA256 of the
payload under a key derived from the installation's secret key and the purpose, so a token of
one purpose never passes for another. Nothing is stored: a token is single-use because its
payload binds to state that its use changes (the fingerprint of the password hash, say).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

import orjson

from allmende.core.errors import BadRequest

MAX_TOKEN_LENGTH = 2000


class TokenInvalid(BadRequest):
    """A token that is malformed, forged, of another purpose or expired."""

    code = "token-invalid"
    title = "Invalid link"


def _key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"allmende.token.{purpose}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(
    secret: str, purpose: str, data: dict[str, Any], *, now: datetime, valid: timedelta | None
) -> str:
    """A token carrying ``data`` for ``purpose``; ``valid`` None: it never expires."""
    payload: dict[str, Any] = {"p": purpose, "d": data}
    if valid is not None:
        payload["x"] = int((now + valid).timestamp())
    body = _b64(orjson.dumps(payload))
    signature = hmac.new(_key(secret, purpose), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(signature)}"


def verify(secret: str, purpose: str, token: str, *, now: datetime) -> dict[str, Any]:
    """The data of a valid token, else :class:`TokenInvalid` (the reason in plain words)."""
    body, _, signature = token.strip().partition(".")
    if not body or not signature or len(token) > MAX_TOKEN_LENGTH:
        raise TokenInvalid(detail="The link is incomplete. Copy the whole link from the e-mail.")
    expected = hmac.new(_key(secret, purpose), body.encode(), hashlib.sha256).digest()
    try:
        given = _unb64(signature)
        payload = orjson.loads(_unb64(body))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise TokenInvalid(
            detail="The link is incomplete. Copy the whole link from the e-mail."
        ) from None
    if not hmac.compare_digest(given, expected) or not isinstance(payload, dict):
        raise TokenInvalid(detail="The link is not valid.")
    if payload.get("p") != purpose or not isinstance(payload.get("d"), dict):
        raise TokenInvalid(detail="The link is not valid.")
    expires = payload.get("x")
    if isinstance(expires, int) and expires <= now.timestamp():
        raise TokenInvalid(detail="The link has expired. Please ask for a new one.")
    data: dict[str, Any] = payload["d"]
    return data


def fingerprint(*parts: str | None) -> str:
    """A short digest of state a token binds to (it stops matching when the state changes)."""
    joined = "\x1f".join(part or "" for part in parts)
    return hashlib.sha256(joined.encode()).hexdigest()[:16]
