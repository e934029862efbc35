"""Times of the observation core: ISO 8601 in, integer microseconds stored, ISO 8601 out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allmende.core.errors import ValidationFailed
from allmende.sensing.times import (
    MAX_MICROS,
    MIN_MICROS,
    format_interval,
    format_micros,
    format_time,
    from_micros,
    parse_instant,
    parse_interval,
    parse_time,
    to_micros,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1970-01-01T00:00:00Z", 0),
        ("1970-01-01T00:00:01.5Z", 1_500_000),
        ("1970-01-01T01:00:00+01:00", 0),
        ("2010-12-23T10:20:00-0700", 1293124800_000000),
        ("1969-12-31T23:59:59.999999Z", -1),
    ],
)
def test_instants(text: str, expected: int) -> None:
    assert parse_instant(text, field="t") == expected


@pytest.mark.parametrize("text", ["2015-03-01T00:00:00", "2015-13-01T00:00:00Z", "yesterday", ""])
def test_refused_instants_name_the_field(text: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_instant(text, field="body.phenomenonTime")
    assert caught.value.errors[0].field == "body.phenomenonTime"


def test_intervals() -> None:
    assert parse_time("1970-01-01T00:00:00Z/1970-01-01T00:00:01Z", field="t") == (0, 1_000_000)
    assert parse_time("1970-01-01T00:00:00Z", field="t") == (0, None)
    with pytest.raises(ValidationFailed):
        parse_time("1970-01-01T00:00:01Z/1970-01-01T00:00:00Z", field="t")
    with pytest.raises(ValidationFailed):
        parse_interval("1970-01-01T00:00:00Z", field="t")


def test_formatting() -> None:
    assert format_micros(0) == "1970-01-01T00:00:00Z"
    assert format_micros(1_500_000) == "1970-01-01T00:00:01.500Z"
    assert format_micros(1) == "1970-01-01T00:00:00.000001Z"
    assert format_time(5, 5) == format_micros(5)
    assert format_time(0, 1_000_000) == "1970-01-01T00:00:00Z/1970-01-01T00:00:01Z"
    assert format_time(None, None) is None
    assert format_interval(0, 0) == "1970-01-01T00:00:00Z/1970-01-01T00:00:00Z"


@given(st.integers(MIN_MICROS, MAX_MICROS))
def test_round_trip(micros: int) -> None:
    assert parse_instant(format_micros(micros), field="t") == micros


@pytest.mark.parametrize(
    ("micros", "text"),
    [
        (253402300799_000000, "9999-12-31T23:59:59Z"),
        (253402300800_000000, "+010000-01-01T00:00:00Z"),
        (-62135596800_000001, "0000-12-31T23:59:59.999999Z"),
        (2**63 - 1, "+294247-01-10T04:00:54.775807Z"),
        (-(2**63), "-290308-12-21T19:59:05.224192Z"),
    ],
)
def test_any_stored_value_is_written_out(micros: int, text: str) -> None:
    """Times stored before the range was enforced (or written into the table by hand)."""
    assert format_micros(micros) == text


@given(st.integers(-(2**63), 2**63 - 1))
def test_every_64_bit_time_renders_and_reads_back_as_a_clamped_datetime(micros: int) -> None:
    assert format_micros(micros).endswith("Z")
    moment = from_micros(micros)
    assert from_micros(MIN_MICROS) <= moment <= from_micros(MAX_MICROS)
    if MIN_MICROS <= micros <= MAX_MICROS:
        assert to_micros(moment) == micros
