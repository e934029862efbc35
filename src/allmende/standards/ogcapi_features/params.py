"""Query parameters of OGC API - Features, read strictly.

The specification wants 400 for a parameter the API does not define (so a typo never silently
widens a query) and for every invalid value; each refusal names the parameter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection as Names
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from allmende.core.errors import BadRequest, FieldError
from allmende.core.features import FeatureQuery
from allmende.core.geo import BBox
from allmende.http.i18n import N_

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000
MAX_VALUE = 300
FORMATS = ("json", "html")
COMMON = frozenset({"f"})
ITEMS = frozenset({"f", "limit", "offset", "bbox", "datetime"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^[+-]?\d{1,19}$")


def refuse(field: str, reason: str) -> BadRequest:
    return BadRequest(errors=[FieldError(field, reason)])


def single_values(params: Sequence[tuple[str, str]], allowed: Names[str]) -> dict[str, str]:
    """One value per parameter, every name known to the API."""
    values: dict[str, str] = {}
    for name, value in params:
        if name not in allowed:
            raise refuse(name[:60], N_("is not a parameter of this resource"))
        if name in values:
            raise refuse(name, N_("is given more than once"))
        values[name] = value
    return values


def output_format(value: str | None) -> str | None:
    if value is None:
        return None
    if value not in FORMATS:
        raise refuse("f", N_("must be json or html"))
    return value


def _integer(value: str, field: str, low: int, high: int) -> int:
    if not _INTEGER.match(value.strip()) or not low <= int(value) <= high:
        raise refuse(field, N_("must be a whole number in the allowed range"))
    return int(value)


def bbox(value: str) -> BBox:
    parts = value.split(",")
    if len(parts) == 6:
        raise refuse("bbox", N_("only two-dimensional boxes are supported (four numbers)"))
    if len(parts) != 4:
        raise refuse("bbox", N_("must be four numbers: minLon,minLat,maxLon,maxLat"))
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError:
        raise refuse("bbox", N_("must be four numbers: minLon,minLat,maxLon,maxLat")) from None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise refuse("bbox", N_("must be four numbers: minLon,minLat,maxLon,maxLat"))
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise refuse("bbox", N_("longitudes lie in -180..180, latitudes in -90..90"))
    if minx > maxx:
        raise refuse("bbox", N_("boxes across the antimeridian are not supported"))
    return (minx, miny, maxx, maxy)


def _instant(value: str, *, end: bool) -> datetime:
    """RFC 3339 date-time (with offset) or a date, which stands for its whole day (UTC)."""
    value = value.strip()
    try:
        if _DATE.match(value):
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            return day + timedelta(days=1, microseconds=-1) if end else day
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
        if parsed.tzinfo is None:
            raise refuse("datetime", N_("needs a time zone (Z or +HH:MM)"))
        return parsed.astimezone(UTC)
    except ValueError:
        raise refuse("datetime", N_("is not an RFC 3339 date or date-time")) from None
    except OverflowError:  # the last day of year 9999, or a zone shift past year 1
        raise refuse("datetime", N_("lies outside the supported years")) from None


def interval(value: str) -> tuple[datetime | None, datetime | None]:
    """An instant, or ``start/end`` where either end may be open (``..`` or empty)."""
    if "/" not in value:
        return _instant(value, end=False), _instant(value, end=True)
    if value.count("/") != 1:
        raise refuse("datetime", N_("is an instant or one interval start/end"))
    first, second = (part.strip() for part in value.split("/"))
    start = None if first in ("", "..") else _instant(first, end=False)
    end = None if second in ("", "..") else _instant(second, end=True)
    if start is None and end is None:
        raise refuse("datetime", N_("an interval needs at least one end"))
    if start is not None and end is not None and end < start:
        raise refuse("datetime", N_("the interval ends before it starts"))
    return start, end


def _property(name: str, value: str, kind: str) -> str:
    if len(value) > MAX_VALUE:
        raise refuse(name, N_("is too long"))
    if kind == "integer":
        return str(_integer(value, name, -(2**63), 2**63 - 1))
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            raise refuse(name, N_("must be a number")) from None
        if not math.isfinite(number):
            raise refuse(name, N_("must be a number"))
        return value.strip()
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise refuse(name, N_("must be true or false"))
        return value.lower()
    return value


def feature_query(values: Mapping[str, str], queryables: Mapping[str, str]) -> FeatureQuery:
    """The items query from parameters already checked by :func:`single_values`."""
    limit = DEFAULT_LIMIT
    if "limit" in values:
        limit = _integer(values["limit"], "limit", 1, MAX_LIMIT)
    offset = _integer(values["offset"], "offset", 0, MAX_OFFSET) if "offset" in values else 0
    box = bbox(values["bbox"]) if "bbox" in values else None
    start, end = interval(values["datetime"]) if "datetime" in values else (None, None)
    properties = {
        name: _property(name, value, queryables[name])
        for name, value in values.items()
        if name not in ITEMS
    }
    return FeatureQuery(
        limit=limit,
        offset=offset,
        bbox=box,
        datetime_start=start,
        datetime_end=end,
        properties=properties,
    )
