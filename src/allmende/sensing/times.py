"""Times as stored by the observation core: microseconds since the Unix epoch, in UTC.

ISO 8601 in (read by the one parser of :mod:`allmende.core.timeutil`, so only times of the
supported range get in) and out, with time intervals written ``start/end`` (OGC 18-088,
'TM_Period'). Formatting takes any 64-bit value: a time stored before the range was enforced
still renders (years beyond 9999 in ISO 8601's expanded form, ``+010000-01-01T00:00:00Z``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from allmende.core.timeutil import EARLIEST, LATEST, parse_datetime, parse_duration
from allmende.core.timeutil import parse_interval as parse_datetime_interval

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = EPOCH.replace(tzinfo=None)
MICROS_PER_SECOND = 1_000_000
ONE_MICRO = timedelta(microseconds=1)
#: The supported range (:data:`allmende.core.timeutil.EARLIEST` … ``LATEST``), in microseconds.
MIN_MICROS = (EARLIEST - EPOCH) // ONE_MICRO
MAX_MICROS = (LATEST - EPOCH) // ONE_MICRO
#: Python's datetime holds 400-year cycles shifted into its range (146 097 days each).
_CYCLE = 146_097 * 86_400 * MICROS_PER_SECOND
_CYCLE_START = (datetime(2000, 1, 1, tzinfo=UTC) - EPOCH) // ONE_MICRO


def to_micros(value: datetime) -> int:
    return (value - EPOCH) // ONE_MICRO


def from_micros(value: int) -> datetime:
    """The datetime of a stored time; one beyond what ``datetime`` holds (stored before the
    range was enforced) is clamped to the supported range."""
    return EPOCH + timedelta(microseconds=min(max(value, MIN_MICROS), MAX_MICROS))


def now_micros() -> int:
    return to_micros(datetime.now(UTC))


def parse_instant(text: object, *, field: str) -> int:
    """An ISO 8601 date-time with a time zone, as microseconds."""
    return (parse_datetime(text, field=field) - EPOCH) // ONE_MICRO


def parse_time(text: object, *, field: str) -> tuple[int, int | None]:
    """An instant (``end`` None) or an interval ``start/end`` with start ≤ end."""
    if isinstance(text, str) and "/" in text:
        return parse_interval(text, field=field)
    return parse_instant(text, field=field), None


def parse_interval(text: object, *, field: str) -> tuple[int, int]:
    start, end = parse_datetime_interval(text, field=field)
    assert start is not None and end is not None  # no open ends asked for
    return to_micros(start), to_micros(end)


def parse_micros_duration(text: object, *, field: str) -> int:
    """A duration of fixed length, in microseconds."""
    return parse_duration(text, field=field) // ONE_MICRO


@lru_cache(maxsize=1024)
def format_micros(value: int) -> str:
    """ISO 8601 in UTC with ``Z``; milliseconds or microseconds only where needed.

    Remembered: pages and dashboards write the same times again and again (each stream's
    range and newest Observation), and a lookup costs a tenth of writing one."""
    cycles = 0
    if not MIN_MICROS <= value <= MAX_MICROS:
        cycles = (value - _CYCLE_START) // _CYCLE
    moment = _NAIVE_EPOCH + timedelta(microseconds=value - cycles * _CYCLE)  # no offset to cut
    fraction = value % MICROS_PER_SECOND
    if fraction == 0:
        text = moment.isoformat(timespec="seconds")
    elif fraction % 1000 == 0:
        text = moment.isoformat(timespec="milliseconds")
    else:
        text = moment.isoformat(timespec="microseconds")
    if cycles:
        text = _year(moment.year + 400 * cycles) + text[4:]
    return text + "Z"


def _year(year: int) -> str:
    """Four digits, or (outside 0…9999) a sign and six digits, as ISO 8601's expanded form
    and JavaScript's ``toISOString`` write them."""
    if 0 <= year <= 9999:
        return f"{year:04d}"
    return f"{'+' if year > 0 else '-'}{abs(year):06d}"


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
