"""The one time parser: its grammar, its range, its refusals, and (Hypothesis) that every text
is read or refused with one of its reasons, and every time in the range round-trips in every
spelling the grammar allows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allmende.core import timeutil
from allmende.core.errors import ValidationFailed
from allmende.core.timeutil import (
    EARLIEST,
    LATEST,
    MAX_DURATION,
    isoformat,
    parse_date,
    parse_datetime,
    parse_datetime_or_date,
    parse_duration,
    parse_interval,
    parse_local_datetime,
)

pytestmark = pytest.mark.unit

REASONS = {
    timeutil.NOT_TEXT,
    timeutil.NOT_DATETIME,
    timeutil.NOT_DATE,
    timeutil.NO_ZONE,
    timeutil.OUT_OF_RANGE,
    timeutil.NOT_INTERVAL,
    timeutil.OPEN_INTERVAL,
    timeutil.BACKWARDS,
    timeutil.NOT_DURATION,
    timeutil.TOO_LONG,
}
BERLIN = ZoneInfo("Europe/Berlin")


def _reason(parse, text, **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as refused:
        parse(text, field="when", **kw)
    [error] = refused.value.errors
    assert error.field == "when"
    return error.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-01T10:00:00Z", datetime(2026, 6, 1, 10, tzinfo=UTC)),
        ("2026-06-01t10:00:00z", datetime(2026, 6, 1, 10, tzinfo=UTC)),
        ("2026-06-01T12:00:00+02:00", datetime(2026, 6, 1, 10, tzinfo=UTC)),
        ("2010-12-23T10:20:00-0700", datetime(2010, 12, 23, 17, 20, tzinfo=UTC)),
        ("2026-06-01T12:00+02", datetime(2026, 6, 1, 10, tzinfo=UTC)),
        ("2026-06-01T10:00:00.123456789Z", datetime(2026, 6, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        (" 2026-06-01T10:00Z ", datetime(2026, 6, 1, 10, tzinfo=UTC)),
        ("1583-01-01T00:00:00Z", EARLIEST),
        ("2999-12-31T23:59:59.999999Z", LATEST),
        ("1582-12-31T23:30:00-01:00", EARLIEST + timedelta(minutes=30)),
    ],
)
def test_date_times_of_the_grammar(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text, field="when")
    assert parsed == expected and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-06-01T10:00:00", timeutil.NO_ZONE),
        ("2026-06-01t10:00", timeutil.NO_ZONE),
        ("gestern", timeutil.NOT_DATETIME),
        ("", timeutil.NOT_DATETIME),
        ("2026-06-01", timeutil.NOT_DATETIME),
        ("2026-06-01 10:00:00Z", timeutil.NOT_DATETIME),
        ("20260601T100000Z", timeutil.NOT_DATETIME),
        ("2026-W22-1T10:00Z", timeutil.NOT_DATETIME),
        ("2026-06-01T10:00:00,5Z", timeutil.NOT_DATETIME),
        ("2026-06-01T10:00:00.1234567890Z", timeutil.NOT_DATETIME),
        ("2026-02-30T10:00:00Z", timeutil.NOT_DATETIME),
        ("2026-06-01T24:00:00Z", timeutil.NOT_DATETIME),
        ("2026-06-01T23:59:60Z", timeutil.NOT_DATETIME),
        ("2026-06-01T10:00:00+24:00", timeutil.NOT_DATETIME),
        ("２０２６-06-01T10:00:00Z", timeutil.NOT_DATETIME),
        ("9999-12-31T00:00:00Z", timeutil.OUT_OF_RANGE),
        ("9999-12-31T23:59:59-01:00", timeutil.OUT_OF_RANGE),
        ("0000-01-01T00:00:00Z", timeutil.OUT_OF_RANGE),
        ("0001-01-01T00:00:00+01:00", timeutil.OUT_OF_RANGE),
        ("1582-12-31T23:59:59Z", timeutil.OUT_OF_RANGE),
        ("3000-01-01T00:00:00Z", timeutil.OUT_OF_RANGE),
        ("2999-12-31T23:30:00-01:00", timeutil.OUT_OF_RANGE),
        ("x" * 10_000, timeutil.NOT_DATETIME),
    ],
)
def test_refusals_name_the_field_and_the_reason(text: str, reason: str) -> None:
    assert _reason(parse_datetime, text) == reason


def test_a_time_must_be_text() -> None:
    for value in (5, None, 1.5, ["2026-06-01T10:00Z"], {"t": 1}):
        assert _reason(parse_datetime, value) == timeutil.NOT_TEXT


def test_dates_where_a_standard_allows_them() -> None:
    assert parse_date("2026-06-01", field="when") == date(2026, 6, 1)
    assert parse_datetime_or_date("2026-06-01", field="when") == date(2026, 6, 1)
    assert parse_datetime_or_date("2026-06-01T00:00Z", field="when") == datetime(
        2026, 6, 1, tzinfo=UTC
    )
    assert _reason(parse_date, "2026-02-30") == timeutil.NOT_DATE
    assert _reason(parse_date, "9999-12-31") == timeutil.OUT_OF_RANGE
    assert _reason(parse_date, "0000-01-01") == timeutil.OUT_OF_RANGE
    assert _reason(parse_datetime_or_date, "gestern") == timeutil.NOT_DATE
    assert _reason(parse_datetime_or_date, "2026-06-01T10:00") == timeutil.NO_ZONE


def test_local_date_times_of_forms() -> None:
    summer = parse_local_datetime("2026-06-01T12:00", field="when", zone=BERLIN)
    assert summer == datetime(2026, 6, 1, 10, tzinfo=UTC)
    assert parse_local_datetime("2026-06-01T12:00Z", field="when", zone=BERLIN).hour == 12
    assert _reason(parse_local_datetime, "9999-12-31T23:00", zone=BERLIN) == timeutil.OUT_OF_RANGE
    assert _reason(parse_local_datetime, "2026-06-01", zone=BERLIN) == timeutil.NOT_DATETIME


def test_intervals() -> None:
    day = datetime(2025, 6, 3, tzinfo=UTC)
    assert parse_interval("2025-06-03T00:00Z/2025-06-04T00:00Z", field="when") == (
        day,
        day + timedelta(days=1),
    )
    assert parse_interval("2025-06-01/2025-06-03", field="when", dates=True) == (
        datetime(2025, 6, 1, tzinfo=UTC),
        day + timedelta(days=1, microseconds=-1),
    )
    assert parse_interval("../2025-06-03T00:00Z", field="when", open_ends=True) == (None, day)
    assert _reason(parse_interval, "2025-06-03T00:00Z") == timeutil.NOT_INTERVAL
    assert _reason(parse_interval, "a/b/c") == timeutil.NOT_INTERVAL
    assert _reason(parse_interval, "../..", open_ends=True) == timeutil.OPEN_INTERVAL
    assert _reason(parse_interval, "../2025-06-03T00:00Z") == timeutil.NOT_DATETIME
    assert _reason(parse_interval, "2025-06-03/2025-06-04") == timeutil.NOT_DATETIME
    backwards = "2025-06-04T00:00Z/2025-06-03T00:00Z"
    assert _reason(parse_interval, backwards) == timeutil.BACKWARDS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT1H", timedelta(hours=1)),
        ("P1D", timedelta(days=1)),
        ("P2W", timedelta(weeks=2)),
        ("-PT15M", timedelta(minutes=-15)),
        ("P1DT1H1M1.5S", timedelta(days=1, hours=1, minutes=1, seconds=1.5)),
        ("PT0.0000015S", timedelta(microseconds=1)),
        ("P0.5D", timedelta(hours=12)),
        ("P517000D", timedelta(days=517000)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text, field="when") == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("P", timeutil.NOT_DURATION),
        ("PT", timeutil.NOT_DURATION),
        ("P1DT", timeutil.NOT_DURATION),
        ("P1Y", timeutil.NOT_DURATION),
        ("P1M", timeutil.NOT_DURATION),
        ("1H", timeutil.NOT_DURATION),
        ("P99999999999D", timeutil.TOO_LONG),
        ("P99999999999W", timeutil.TOO_LONG),
        ("PT" + "9" * 70 + "S", timeutil.TOO_LONG),
        ("P" + "9" * 100 + "D", timeutil.NOT_DURATION),
    ],
)
def test_durations_refused(text: str, reason: str) -> None:
    assert _reason(parse_duration, text) == reason


def test_the_out_of_range_reason_names_the_range() -> None:
    assert str(EARLIEST.year) in timeutil.OUT_OF_RANGE
    assert str(LATEST.year) in timeutil.OUT_OF_RANGE
    assert LATEST + timedelta(microseconds=1) == datetime(LATEST.year + 1, 1, 1, tzinfo=UTC)


def test_isoformat() -> None:
    assert isoformat(datetime(2026, 6, 1, 10, tzinfo=UTC)) == "2026-06-01T10:00:00Z"
    assert isoformat(datetime(2026, 6, 1, 10, 0, 0, 5000, tzinfo=UTC)) == "2026-06-01T10:00:00.005Z"


# --- properties -----------------------------------------------------------------------------

moments = st.datetimes(
    min_value=EARLIEST.replace(tzinfo=None) + timedelta(days=1),
    max_value=LATEST.replace(tzinfo=None) - timedelta(days=1),
)
offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timedelta(minutes=m))


def _spell(moment: datetime, offset: timedelta, style: int) -> str:
    """One of the spellings the grammar allows for the same instant."""
    local = moment + offset
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond:06d}"
    if offset:
        sign = "-" if offset < timedelta(0) else "+"
        hours, minutes = divmod(abs(offset) // timedelta(minutes=1), 60)
        zone = (
            f"{sign}{hours:02d}:{minutes:02d}" if style % 2 else f"{sign}{hours:02d}{minutes:02d}"
        )
    else:
        zone = "Z" if style % 2 else "z"
    text += zone
    return text.replace("T", "t") if style % 3 == 0 else text


@settings(deadline=None)  # a busy machine must not fail a parser test
@given(moments, offsets, st.integers(0, 5))
def test_every_instant_reads_back_in_every_spelling(
    moment: datetime, offset: timedelta, style: int
) -> None:
    assert parse_datetime(_spell(moment, offset, style), field="when") == moment.replace(tzinfo=UTC)


@settings(deadline=None)  # a busy machine must not fail a parser test
@given(moments)
def test_the_written_form_reads_back(moment: datetime) -> None:
    aware = moment.replace(tzinfo=UTC)
    assert parse_datetime(isoformat(aware), field="when") == aware.replace(
        microsecond=aware.microsecond // 1000 * 1000
    )


@settings(deadline=None)  # a busy machine must not fail a parser test
@given(st.timedeltas(min_value=-MAX_DURATION, max_value=MAX_DURATION))
def test_every_duration_reads_back(length: timedelta) -> None:
    sign = "-" if length < timedelta(0) else ""
    whole = abs(length)
    text = f"{sign}P{whole.days}DT{whole.seconds}.{whole.microseconds:06d}S"
    assert parse_duration(text, field="when") == length


TIME_ALPHABET = st.sampled_from(list("0123456789-:T tZz+./PWDHMS.,٣"))
texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=TIME_ALPHABET, max_size=40),
    st.builds(
        _spell,
        st.datetimes(
            min_value=datetime(2, 1, 1, tzinfo=UTC).replace(tzinfo=None),
            max_value=datetime(9998, 12, 31, tzinfo=UTC).replace(tzinfo=None),
        ),
        offsets,
        st.integers(0, 5),
    ),
)


def _read_or_refused(parse, text, **kw) -> object:  # type: ignore[no-untyped-def]
    try:
        return parse(text, field="when", **kw)
    except ValidationFailed as refused:
        [error] = refused.errors
        assert error.field == "when" and error.reason in REASONS, error
        return None


@settings(deadline=None)  # a busy machine must not fail a parser test
@given(texts)
def test_every_text_is_read_or_refused_with_a_known_reason(text: str) -> None:
    moment = _read_or_refused(parse_datetime, text)
    assert moment is None or (EARLIEST <= moment <= LATEST and moment.tzinfo is UTC)  # type: ignore[operator, attr-defined]
    _read_or_refused(parse_datetime_or_date, text)
    _read_or_refused(parse_local_datetime, text, zone=BERLIN)
    _read_or_refused(parse_duration, text)
    interval = _read_or_refused(parse_interval, text, dates=True, open_ends=True)
    if interval is not None:
        start, end = interval  # type: ignore[misc]
        assert start is None or end is None or start <= end


@settings(deadline=None)  # a busy machine must not fail a parser test
@given(st.tuples(texts, texts).map("/".join))
def test_every_interval_text_is_read_or_refused(text: str) -> None:
    interval = _read_or_refused(parse_interval, text)
    if interval is not None:
        start, end = interval  # type: ignore[misc]
        assert EARLIEST <= start <= end <= LATEST


def _outcome(text: str) -> object:
    try:
        return parse_datetime(text, field="when")
    except ValidationFailed as refused:
        return refused.errors[0].reason


plain_texts = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}Z".format,
    st.integers(1500, 3100),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61),
    st.sampled_from(["", ".5", ".123", ".123456", ".1234567"]),
)


@settings(deadline=None)  # a busy machine must not fail a parser test
@given(plain_texts)
def test_the_usual_form_reads_as_every_other_spelling(text: str) -> None:
    """What sensors send (UTC, ``T``, ``Z``) has a short way in; white space around it takes
    the general way, with the same answer or refusal."""
    assert _outcome(text) == _outcome(f" {text} ")
