"""Time helpers: everything is timezone-aware UTC inside Allmende."""

from __future__ import annotations

from datetime import UTC, datetime

from allmende.core.errors import ValidationFailed


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_datetime(text: str, *, field: str = "datetime") -> datetime:
    """Parse ISO 8601 with a time zone (``Z`` or ``±HH:MM``) into UTC; a naive time is refused."""
    try:
        value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError as exc:
        raise ValidationFailed.one(field, "is not an ISO 8601 date-time") from exc
    if value.tzinfo is None:
        raise ValidationFailed.one(field, "needs a time zone (Z or +HH:MM)")
    return value.astimezone(UTC)


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
