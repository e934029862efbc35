"""Time: everything is timezone-aware UTC inside Allmende, and every time text that comes in is
read by the one parser here, so the same text gets the same answer (or refusal) everywhere.

The grammar is the RFC 3339 profile of ISO 8601 that OData and the OGC standards write::

    date-time = date ("T" / "t") clock offset       2024-05-01T12:00:00Z
    date      = 4DIGIT "-" 2DIGIT "-" 2DIGIT        2024-05-01
    clock     = hh ":" mm [":" ss ["." 1*9DIGIT]]   seconds optional, fractions to nanoseconds
                                                    (kept to the microsecond)
    offset    = "Z" / "z" / ("+" / "-") hh [[":"] mm]
    interval  = time "/" time                       start/end, end not before start
    duration  = ["-"] "P" [n "W"] [n "D"] ["T" [n "H"] [n "M"] [n "S"]]   fixed lengths only

Digits are ASCII and white space around the text is ignored. A date-time without an offset
is refused (there is no "local" time on the wire; HTML forms' ``datetime-local`` fields have
:func:`parse_local_datetime`, read in the region's time zone); a bare date is read only where
a standard or a form allows it (OGC API - Features ``datetime``, GeoReport ``start_date``,
OData date literals, ``<input type="date">``). No week or ordinal dates, no basic format.

Every time must lie in the supported range, years 1583 (the first whole year of the Gregorian
calendar) to 2999: wide enough for historical records and for projections, and far enough from
the ends of Python's ``datetime`` (years 1 and 9999) and of 64-bit microseconds that no
arithmetic on a stored time (an hour, a month, a time zone, a ``$filter`` duration) can
overflow. Durations are at most as long as that range.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from fractions import Fraction

from allmende.core.errors import N_, ValidationFailed

FIRST_YEAR = 1583
LAST_YEAR = 2999
#: The first and last instant Allmende accepts (both included).
EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=UTC)
LATEST = datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC) - timedelta(microseconds=1)
#: The longest duration: the whole range.
MAX_DURATION = LATEST - EARLIEST
#: Longer texts are refused before any pattern looks at them.
MAX_TEXT = 80

NOT_TEXT = N_("must be a date-time string such as 2024-05-01T12:00:00Z")
NOT_DATETIME = N_("is not a date-time such as 2024-05-01T12:00:00Z")
NOT_DATE = N_("is not a date such as 2024-05-01 or a date-time such as 2024-05-01T12:00:00Z")
NO_ZONE = N_("needs a time zone (Z or +HH:MM)")
OUT_OF_RANGE = N_("lies outside the supported years 1583 to 2999")
NOT_INTERVAL = N_("must be an interval start/end")
OPEN_INTERVAL = N_("an interval needs at least one end")
BACKWARDS = N_("the interval ends before it starts")
NOT_DURATION = N_("is not a duration such as PT15M, PT1H or P1D")
TOO_LONG = N_("is longer than the supported range of times")

_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_CLOCK = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
_OFFSET = r"(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)"
_DATETIME = re.compile(f"{_DATE}[Tt]{_CLOCK}{_OFFSET}")
_LOCAL = re.compile(f"{_DATE}[Tt]{_CLOCK}")
_DAY = re.compile(_DATE)
#: The usual form, ``2024-05-01T12:00:00Z`` or with up to six decimals: read straight away.
_PLAIN_UTC = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?Z")
_FIRST, _LAST = f"{FIRST_YEAR:04d}", f"{LAST_YEAR:04d}"
_DURATION = re.compile(
    r"(?P<sign>-)?P(?!$)(?:(?P<W>[0-9]+)W)?(?:(?P<D>[0-9]+(?:\.[0-9]+)?)D)?"
    r"(?:T(?!$)(?:(?P<H>[0-9]+(?:\.[0-9]+)?)H)?(?:(?P<M>[0-9]+(?:\.[0-9]+)?)M)?"
    r"(?:(?P<S>[0-9]+(?:\.[0-9]+)?)S)?)?"
)
_MICROS = {
    "W": 7 * 86_400_000_000,
    "D": 86_400_000_000,
    "H": 3_600_000_000,
    "M": 60_000_000,
    "S": 1_000_000,
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _refuse(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed.one(field, reason)


def _text(text: object, field: str) -> str:
    if not isinstance(text, str):
        raise _refuse(field, NOT_TEXT)
    return text.strip()


def _year_in_range(text: str) -> bool:
    """Whether the year written is within a day's offset of the range (checked exactly once
    the offset is applied): no conversion to UTC can then leave Python's calendar."""
    return FIRST_YEAR - 1 <= int(text[:4]) <= LAST_YEAR + 1


def parse_datetime(text: object, *, field: str = "datetime") -> datetime:
    """A date-time of the grammar above, in UTC; refusals name ``field``.

    The hot path of every ingest: one pattern, Python's own ISO reader, one comparison."""
    if type(text) is str and _PLAIN_UTC.fullmatch(text) and _FIRST <= text[:4] <= _LAST:
        try:  # what sensors send: in UTC and in range, so nothing is left to convert or check
            return datetime.fromisoformat(text)
        except ValueError:  # a 30 February: refused below in the general way
            pass
    if not isinstance(text, str):
        raise _refuse(field, NOT_TEXT)
    if _DATETIME.fullmatch(text) is None:
        text = text.strip()
        if len(text) > MAX_TEXT or _DATETIME.fullmatch(text) is None:
            local = len(text) <= MAX_TEXT and _LOCAL.fullmatch(text) is not None
            raise _refuse(field, NO_ZONE if local else NOT_DATETIME)
    if not _year_in_range(text):  # before Python's calendar (years 1 to 9999) is asked
        raise _refuse(field, OUT_OF_RANGE)
    try:
        moment = datetime.fromisoformat(text.upper()).astimezone(UTC)
    except ValueError:  # a 30 February, a 25th hour, an offset of 24 hours
        raise _refuse(field, NOT_DATETIME) from None
    if not EARLIEST <= moment <= LATEST:  # exact, now that the offset is applied
        raise _refuse(field, OUT_OF_RANGE)
    return moment


def parse_date(text: object, *, field: str) -> date:
    """A calendar date ``YYYY-MM-DD``."""
    value = _text(text, field)
    if not _DAY.fullmatch(value):
        raise _refuse(field, NOT_DATE)
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _refuse(field, NOT_DATE if _year_in_range(value) else OUT_OF_RANGE) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise _refuse(field, OUT_OF_RANGE)
    return day


def parse_local_datetime(text: object, *, field: str, zone: tzinfo) -> datetime:
    """A date-time as an HTML ``datetime-local`` field sends it (``2024-05-01T12:00``, no
    offset), read in ``zone``; one with an offset keeps it. In UTC."""
    value = _text(text, field)
    if len(value) > MAX_TEXT or not _LOCAL.fullmatch(value):
        return parse_datetime(value, field=field)
    if not _year_in_range(value):
        raise _refuse(field, OUT_OF_RANGE)
    try:
        moment = datetime.fromisoformat(value.upper()).replace(tzinfo=zone).astimezone(UTC)
    except ValueError:
        raise _refuse(field, NOT_DATETIME) from None
    if not EARLIEST <= moment <= LATEST:
        raise _refuse(field, OUT_OF_RANGE)
    return moment


def parse_datetime_or_date(text: object, *, field: str) -> datetime | date:
    """A date-time, or a bare date where the standard allows one (the caller decides what a
    whole day means)."""
    value = _text(text, field)
    if _DAY.fullmatch(value):
        return parse_date(value, field=field)
    try:
        return parse_datetime(value, field=field)
    except ValidationFailed as refused:
        if refused.errors[0].reason == NOT_DATETIME:
            raise _refuse(field, NOT_DATE) from None
        raise


def start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def end_of(day: date) -> datetime:
    """The last microsecond of a day (UTC)."""
    return start_of(day) + timedelta(days=1, microseconds=-1)


def parse_interval(
    text: object, *, field: str, dates: bool = False, open_ends: bool = False
) -> tuple[datetime | None, datetime | None]:
    """``start/end``. ``dates``: either end may be a bare date, standing for its whole day;
    ``open_ends``: either end may be ``..`` or empty (None), but not both."""
    value = _text(text, field)
    if value.count("/") != 1:
        raise _refuse(field, NOT_INTERVAL)
    first, second = (part.strip() for part in value.split("/"))
    ends: list[datetime | None] = []
    for part, is_end in ((first, False), (second, True)):
        if open_ends and part in ("", ".."):
            ends.append(None)
        elif dates:
            moment = parse_datetime_or_date(part, field=field)
            if not isinstance(moment, datetime):
                moment = end_of(moment) if is_end else start_of(moment)
            ends.append(moment)
        else:
            ends.append(parse_datetime(part, field=field))
    start, end = ends
    if start is None and end is None:
        raise _refuse(field, OPEN_INTERVAL)
    if start is not None and end is not None and end < start:
        raise _refuse(field, BACKWARDS)
    return start, end


def parse_duration(text: object, *, field: str) -> timedelta:
    """A duration of fixed length (weeks, days, hours, minutes, seconds; fractions allowed),
    exact to the microsecond, at most as long as the supported range of times."""
    value = _text(text, field)
    match = _DURATION.fullmatch(value) if len(value) <= MAX_TEXT else None
    if match is None:
        raise _refuse(field, NOT_DURATION)
    micros = sum(
        (Fraction(match[unit]) * size for unit, size in _MICROS.items() if match[unit]),
        Fraction(0),
    )
    if micros > MAX_DURATION // timedelta(microseconds=1):
        raise _refuse(field, TOO_LONG)
    length = timedelta(microseconds=int(micros))
    return -length if match["sign"] else length


def as_utc(value: datetime) -> datetime:
    """Treat a naive datetime (as SQLite returns them) as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def isoformat(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` and millisecond precision where needed."""
    value = as_utc(value)
    if value.microsecond:
        text = value.isoformat(timespec="milliseconds")
    else:
        text = value.isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")
