"""Passwords and keys: hashed, never stored in the clear, checked in constant time."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allmende.identity import credentials

pytestmark = pytest.mark.unit


def test_password_hash_verifies_and_is_salted() -> None:
    first = credentials.hash_password("Sommerfest 2026!")
    second = credentials.hash_password("Sommerfest 2026!")
    assert first != second
    assert first.startswith("$argon2")
    assert credentials.verify_password(first, "Sommerfest 2026!")
    assert not credentials.verify_password(first, "sommerfest 2026!")
    assert not credentials.verify_password(None, "anything")
    assert not credentials.verify_password("not-a-hash", "anything")


def test_password_rules() -> None:
    assert credentials.password_problem("kurz") is not None
    assert credentials.password_problem("lang genug") is None


def test_api_key_round_trip() -> None:
    new = credentials.new_api_key()
    parts = credentials.split_api_key(new.key)
    assert parts is not None
    prefix, secret = parts
    assert prefix == new.prefix
    assert credentials.secret_matches(secret, new.secret_hash)
    assert new.secret_hash != secret


@given(st.text(max_size=200))
def test_arbitrary_text_is_never_mistaken_for_a_key(text: str) -> None:
    parts = credentials.split_api_key(text)
    if parts is not None:
        assert text.strip().startswith("alm_")
