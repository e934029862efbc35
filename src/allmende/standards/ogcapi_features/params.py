"""Query parameters of OGC API - Features, read strictly.

The specification wants 400 for a parameter the API does not define (so a typo never silently
widens a query) and for every invalid value; each refusal names the parameter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection as Names
from collections.abc import Mapping, Sequence
from datetime import datetime

from allmende.core.errors import BadRequest, FieldError, ValidationFailed
from allmende.core.features import FeatureQuery
from allmende.core.geo import BBox
from allmende.core.timeutil import end_of, parse_datetime_or_date, parse_interval, start_of
from allmende.http.i18n import N_

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000_000
MAX_VALUE = 300
FORMATS = ("json", "html")
COMMON = frozenset({"f"})
ITEMS = frozenset({"f", "limit", "offset", "bbox", "datetime"})
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


def interval(value: str) -> tuple[datetime | None, datetime | None]:
    """An instant or a date (its whole day, UTC), or ``start/end`` where either end may be open
    (``..`` or empty); read by the one time parser."""
    try:
        if "/" not in value:
            moment = parse_datetime_or_date(value, field="datetime")
            if isinstance(moment, datetime):
                return moment, moment
            return start_of(moment), end_of(moment)
        return parse_interval(value, field="datetime", dates=True, open_ends=True)
    except ValidationFailed as refused:
        raise BadRequest(errors=refused.errors) from None


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
