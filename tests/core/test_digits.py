from __future__ import annotations

import pytest

from allmende.core.digits import is_digits

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("text", ["0", "7", "0042", "9223372036854775808"])
def test_ascii_digits_are_digits(text: str) -> None:
    assert is_digits(text) is True
    int(text)


@pytest.mark.parametrize("text", ["", "²", "①", "٣", "１", "-1", "+1", "1.5", " 1", "1_000", "x"])
def test_anything_else_is_not(text: str) -> None:
    assert is_digits(text) is False
