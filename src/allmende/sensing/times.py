"""Times as stored by the observation core: microseconds since the Unix epoch, in UTC.

ISO 8601 in and out, with time intervals written ``start/end`` (OGC 18-088, 'TM_Period').
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from allmende.core.errors import ValidationFailed

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROS_PER_SECOND = 1_000_000
ONE_MICRO = timedelta(microseconds=1)
#: Python's datetime range, in microseconds.
MIN_MICROS = -62135596800 * MICROS_PER_SECOND
MAX_MICROS = 253402300799 * MICROS_PER_SECOND + 999999


def to_micros(value: datetime) -> int:
    return (value - EPOCH) // ONE_MICRO


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def now_micros() -> int:
    return to_micros(datetime.now(UTC))


def parse_instant(text: str, *, field: str) -> int:
    """An ISO 8601 date-time with a time zone, as microseconds. A naive time is refused."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed.one(field, f"'{text[:60]}' is not an ISO 8601 date-time") from None
    except TypeError:
        raise ValidationFailed.one(field, "must be an ISO 8601 date-time string") from None
    if parsed.tzinfo is None:
        raise ValidationFailed.one(field, "needs a time zone (Z or ±HH:MM)")
    return (parsed - EPOCH) // ONE_MICRO


def parse_time(text: str, *, field: str) -> tuple[int, int | None]:
    """An instant (``end`` None) or an interval ``start/end`` with start ≤ end."""
    if not isinstance(text, str):
        raise ValidationFailed.one(field, "must be an ISO 8601 time or interval string")
    if "/" not in text:
        return parse_instant(text, field=field), None
    first, _, second = text.partition("/")
    start = parse_instant(first, field=field)
    end = parse_instant(second, field=field)
    if end < start:
        raise ValidationFailed.one(field, "the interval ends before it starts")
    return start, end


def parse_interval(text: str, *, field: str) -> tuple[int, int]:
    start, end = parse_time(text, field=field)
    if end is None:
        raise ValidationFailed.one(field, "must be an interval 'start/end'")
    return start, end


def format_micros(value: int) -> str:
    """ISO 8601 in UTC with ``Z``; milliseconds or microseconds only where needed."""
    moment = EPOCH + timedelta(microseconds=value)
    fraction = value % MICROS_PER_SECOND
    if fraction == 0:
        text = moment.isoformat(timespec="seconds")
    elif fraction % 1000 == 0:
        text = moment.isoformat(timespec="milliseconds")
    else:
        text = moment.isoformat(timespec="microseconds")
    return text[:-6] + "Z"


def format_time(start: int | None, end: int | None) -> str | None:
    """An instant (``end`` None or equal to ``start``) or an interval ``start/end``."""
    if start is None:
        return None
    if end is None or end == start:
        return format_micros(start)
    return f"{format_micros(start)}/{format_micros(end)}"


def format_interval(start: int | None, end: int | None) -> str | None:
    """A Datastream's time range: always ``start/end``."""
    if start is None or end is None:
        return None
    return f"{format_micros(start)}/{format_micros(end)}"
