"""Signed link tokens: they carry their data, and refuse forgery, another purpose and age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from allmende.identity import tokens
from allmende.identity.tokens import TokenInvalid

pytestmark = pytest.mark.unit
SECRET = "a-secret-key-that-is-long-enough-for-tests"
NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)


def test_a_token_carries_its_data() -> None:
    token = tokens.sign(SECRET, "confirm", {"u": 7}, now=NOW, valid=timedelta(hours=1))
    assert tokens.verify(SECRET, "confirm", token, now=NOW) == {"u": 7}
    assert "." in token and "=" not in token  # safe in a URL as it is


@pytest.mark.parametrize(
    ("purpose", "secret", "when", "reason"),
    [
        ("reset", SECRET, NOW, "not valid"),
        ("confirm", "another-secret-key-of-another-installation", NOW, "not valid"),
        ("confirm", SECRET, NOW + timedelta(hours=2), "expired"),
    ],
)
def test_refused_tokens(purpose: str, secret: str, when: datetime, reason: str) -> None:
    token = tokens.sign(SECRET, "confirm", {"u": 7}, now=NOW, valid=timedelta(hours=1))
    with pytest.raises(TokenInvalid, match=reason):
        tokens.verify(secret, purpose, token, now=when)


@pytest.mark.parametrize("broken", ["", "abc", "abc.", ".abc", "%%%.%%%", "eyJ9.x" * 400])
def test_malformed_tokens_are_refused_in_plain_words(broken: str) -> None:
    with pytest.raises(TokenInvalid) as info:
        tokens.verify(SECRET, "confirm", broken, now=NOW)
    assert info.value.status == 400


def test_a_changed_payload_breaks_the_signature() -> None:
    token = tokens.sign(SECRET, "confirm", {"u": 7}, now=NOW, valid=None)
    body, signature = token.split(".")
    forged = tokens.sign("other", "confirm", {"u": 8}, now=NOW, valid=None).split(".")[0]
    with pytest.raises(TokenInvalid, match="not valid"):
        tokens.verify(SECRET, "confirm", f"{forged}.{signature}", now=NOW)
    assert tokens.verify(SECRET, "confirm", f"{body}.{signature}", now=NOW + timedelta(days=999))


def test_fingerprints_change_with_their_state() -> None:
    assert tokens.fingerprint("a@x.org", "hash1") == tokens.fingerprint("a@x.org", "hash1")
    assert tokens.fingerprint("a@x.org", "hash1") != tokens.fingerprint("a@x.org", "hash2")
    assert tokens.fingerprint("a@x.org", None) != tokens.fingerprint("a@x.org", "hash1")
