"""Numbers, money, sizes and times as readers of a language write them (through Babel).

Templates reach these as filters (``{{ value | number }}``, ``| money``, ``| filesize``,
``| coordinate``, ``| datetime``, ``| date``) in the language of the page, and the same
functions serve messages built in Python. Times are shown in the region's time zone.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

#: The region's clock: days, dates and times are shown on it.
REGION_ZONE = ZoneInfo("Europe/Berlin")
MISSING = "—"


def number(value: float | int | None, language: str, decimals: int | None = None) -> str:
    """With the language's decimal sign; ``decimals=None``: up to one decimal. Thousands are
    grouped from five digits on (DIN 5008: a year or 2400 stays as it is)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    whole = "#,##0" if abs(value) >= 10_000 else "0"
    if decimals is None:
        pattern = whole + ".#"
    else:
        pattern = whole + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=language)


def money(value: float | None, language: str, currency: str = "EUR") -> str:
    if value is None:
        return MISSING
    return format_currency(value, currency, locale=language)


def filesize(size_bytes: int | float | None, language: str) -> str:
    """kB below one megabyte, MB above (units of 1024, as the upload limits are set)."""
    if size_bytes is None:
        return MISSING
    if size_bytes < 1024 * 1024:
        return f"{number(max(1, round(size_bytes / 1024)), language, 0)}\u00a0kB"
    return f"{number(size_bytes / 1024 / 1024, language)}\u00a0MB"


def coordinate(value: float | None, language: str) -> str:
    """Six decimals: about ten centimetres."""
    return number(value, language, 6)


def local_datetime(value: datetime | None, language: str) -> str:
    if value is None:
        return MISSING
    return format_datetime(value.astimezone(REGION_ZONE), "dd.MM.yyyy HH:mm", locale=language)


def local_date(value: date | datetime | None, language: str) -> str:
    if value is None:
        return MISSING
    if isinstance(value, datetime):
        value = value.astimezone(REGION_ZONE).date()
    return format_date(value, "dd.MM.yyyy", locale=language)
