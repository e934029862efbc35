from __future__ import annotations

from datetime import UTC, datetime

import pytest

from allmende.core.errors import ValidationFailed
from allmende.core.timeutil import isoformat, parse_datetime

pytestmark = pytest.mark.unit


def test_parse_requires_a_time_zone() -> None:
    assert parse_datetime("2026-06-01T12:00:00+02:00") == datetime(2026, 6, 1, 10, tzinfo=UTC)
    assert parse_datetime("2026-06-01T10:00:00Z").tzinfo is UTC
    with pytest.raises(ValidationFailed, match="time zone"):
        parse_datetime("2026-06-01T10:00:00")
    with pytest.raises(ValidationFailed):
        parse_datetime("gestern")


def test_isoformat() -> None:
    assert isoformat(datetime(2026, 6, 1, 10, tzinfo=UTC)) == "2026-06-01T10:00:00Z"
    assert isoformat(datetime(2026, 6, 1, 10, 0, 0, 5000, tzinfo=UTC)) == "2026-06-01T10:00:00.005Z"
