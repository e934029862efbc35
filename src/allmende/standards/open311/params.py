"""Reading GeoReport v2 parameters: optional means "empty is absent", lists are comma
separated (or repeated), datetimes need a time zone, attributes follow the service definition.

Every refusal names the parameter; reasons are English msgids that the error renderer
translates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from allmende.core.errors import BadRequest, FieldError, ValidationFailed
from allmende.core.open311 import RequestQuery, Service, ServiceAttribute
from allmende.core.timeutil import parse_datetime_or_date, start_of
from allmende.http.i18n import N_

WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
MAX_PAGE = 1_000_000
MAX_IDS = 1000
MAX_DESCRIPTION = 4000
MAX_TEXT = 4000
MAX_SHORT = 300
ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
# "2010-01-01T00:00:00+01:00" sent without encoding arrives with a space for the plus.
_SPACE_FOR_PLUS = re.compile(r"^(.*T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def refuse(field: str, reason: str) -> BadRequest:
    return BadRequest(errors=[FieldError(field, reason)])


def optional(value: str | None) -> str | None:
    """The specification's "optional": an empty parameter is no parameter."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def text(value: str | None, field: str, *, limit: int = MAX_SHORT) -> str | None:
    value = optional(value)
    if value is not None and len(value) > limit:
        raise refuse(field, N_("is too long"))
    return value


def comma_list(values: Iterable[str], field: str, *, limit: int = MAX_IDS) -> list[str] | None:
    items = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if len(items) > limit:
        raise refuse(field, N_("names too many values"))
    if any(len(item) > MAX_SHORT for item in items):
        raise refuse(field, N_("is too long"))
    return items or None


def w3c_datetime(value: str | None, field: str) -> datetime | None:
    """A date-time with an offset, or a date (its midnight, UTC), read by the one time parser."""
    value = optional(value)
    if value is None:
        return None
    try:
        moment = parse_datetime_or_date(_SPACE_FOR_PLUS.sub(r"\1+\2", value), field=field)
    except ValidationFailed as refused:
        raise BadRequest(errors=refused.errors) from None
    return moment if isinstance(moment, datetime) else start_of(moment)


def integer(value: str | None, field: str, *, low: int, high: int) -> int | None:
    value = optional(value)
    if value is None:
        return None
    if not re.fullmatch(r"\d{1,9}", value) or not low <= int(value) <= high:
        raise refuse(field, N_("must be a whole number in the allowed range"))
    return int(value)


def flag(value: str | None, field: str) -> bool:
    value = optional(value)
    if value is None or value.lower() in ("false", "0"):
        return False
    if value.lower() in ("true", "1"):
        return True
    raise refuse(field, N_("must be true or false"))


def request_query(params: Mapping[str, Sequence[str]], *, now: datetime) -> RequestQuery:
    """The filters of GET requests; ``params`` maps each name to all its values.

    ``extensions=true`` asks for the notes; ``page``/``page_size`` page through the results.
    """

    def first(name: str) -> str | None:
        values = params.get(name) or ()
        return values[0] if values else None

    extensions = flag(first("extensions"), "extensions")
    page = integer(first("page"), "page", low=1, high=MAX_PAGE) or 1
    page_size = integer(first("page_size"), "page_size", low=1, high=MAX_RESULTS) or MAX_RESULTS
    limit, offset = page_size, (page - 1) * page_size
    ids = comma_list(params.get("service_request_id", ()), "service_request_id")
    if ids is not None:  # overrides every other filter
        return RequestQuery(ids=ids, limit=limit, offset=offset, with_notes=extensions)
    statuses = comma_list(params.get("status", ()), "status")
    if statuses is not None:
        statuses = sorted({s.lower() for s in statuses})
        if any(s not in ("open", "closed") for s in statuses):
            raise refuse("status", N_("must be open or closed (comma separated)"))
    start = w3c_datetime(first("start_date"), "start_date")
    end = w3c_datetime(first("end_date"), "end_date")
    if start is not None and end is not None:
        if end < start:
            raise refuse("end_date", N_("lies before start_date"))
        if end - start > WINDOW:
            raise refuse("end_date", N_("the span from start_date may not exceed 90 days"))
    elif start is not None:
        end = start + WINDOW
    elif end is not None:
        start = end - WINDOW
    else:
        start = now - WINDOW
    return RequestQuery(
        service_codes=comma_list(params.get("service_code", ()), "service_code"),
        start=start,
        end=end,
        statuses=statuses,
        limit=limit,
        offset=offset,
        with_notes=extensions,
    )


# --- POST requests ---------------------------------------------------------------------------


def coordinate(value: str | None, field: str, low: float, high: float) -> float | None:
    value = optional(value)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        raise refuse(field, N_("must be a number (WGS 84 degrees)")) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise refuse(field, N_("is out of range"))
    return number


def media_url(value: str | None) -> str | None:
    value = text(value, "media_url", limit=2000)
    if value is not None and not _URL.match(value):
        raise refuse("media_url", N_("must be an http or https URL"))
    return value


def raw_attributes(form: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """``attribute[CODE]=v`` and ``attribute[CODE][]=v1&…`` → code → values (empty dropped)."""
    found: dict[str, list[str]] = {}
    for key, value in form:
        if not key.startswith("attribute"):
            continue
        match = ATTRIBUTE_KEY.match(key)
        if match is None:
            raise refuse(key[:60], N_("use attribute[CODE]=value or attribute[CODE][]=value"))
        values = found.setdefault(match.group(1), [])
        if optional(value) is not None:
            values.append(value.strip())
    return found


def attributes(raw: Mapping[str, list[str]], service: Service) -> dict[str, str | list[str]]:
    """Check the values against the service definition; return them as the provider gets them."""
    by_code = {a.code: a for a in service.attributes}
    result: dict[str, str | list[str]] = {}
    for code, values in raw.items():
        field = f"attribute[{code}]"
        definition = by_code.get(code)
        if definition is None:
            raise refuse(field[:80], N_("is not an attribute of this service"))
        if not definition.variable or not values:
            continue  # informational attributes take no input; empty is absent
        result[code] = _checked(definition, values, field)
    for definition in service.attributes:
        if definition.variable and definition.required and definition.code not in result:
            raise refuse(f"attribute[{definition.code}]", N_("is required for this service"))
    return result


def _checked(definition: ServiceAttribute, values: list[str], field: str) -> str | list[str]:
    if definition.datatype == "multivaluelist":
        allowed = {key for key, _ in definition.values}
        if any(v not in allowed for v in values):
            raise refuse(field, N_("holds a value that is not in the list"))
        return list(dict.fromkeys(values))
    if len(values) > 1:
        raise refuse(field, N_("takes one value"))
    value = values[0]
    if len(value) > MAX_TEXT:
        raise refuse(field, N_("is too long"))
    if definition.datatype == "singlevaluelist":
        if value not in {key for key, _ in definition.values}:
            raise refuse(field, N_("holds a value that is not in the list"))
    elif definition.datatype == "number":
        try:
            number = float(value)
        except ValueError:
            raise refuse(field, N_("must be a number")) from None
        if not math.isfinite(number):
            raise refuse(field, N_("must be a number"))
    elif definition.datatype == "datetime":
        w3c_datetime(value, field)
    return value
