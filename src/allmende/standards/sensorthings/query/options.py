"""The system query options of a request, from its raw query string.

The query string is split and decoded here (``+`` is a space, as Java's URLEncoder sends it);
each option's value goes to the grammar. Unknown ``$`` options are refused, as OData asks;
other parameters (``municipality``, ``public``) belong to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote_plus

from allmende.core.digits import is_digits
from allmende.standards.sensorthings.query import ast
from allmende.standards.sensorthings.query.parser import QueryError, parse

MAX_SKIP = 2**63 - 1
RESULT_FORMATS = {"dataarray": "dataArray", "geojson": "GeoJSON", "csv": "CSV"}
#: Options of Allmende's extensions (see docs/sensorthings.md).
EXTENSION_OPTIONS = frozenset({"$aggregate"})
SYSTEM_OPTIONS = frozenset(
    {"$filter", "$expand", "$select", "$orderby", "$top", "$skip", "$count", "$resultFormat"}
)


@dataclass
class Query:
    """The parsed options plus the raw pairs (to build next-page links)."""

    options: ast.QueryOptions
    pairs: list[tuple[str, str]]
    extensions: dict[str, str]
    plain: dict[str, str]

    def link_query(self, *, skip: int, top: int) -> str:
        """The query string of the next page: the same options with ``$skip``/``$top``."""
        kept = [(k, v) for k, v in self.pairs if k not in ("$skip", "$top")]
        kept += [("$top", str(top)), ("$skip", str(skip))]
        return "&".join(f"{quote(k, safe='$')}={quote(v, safe=_SAFE)}" for k, v in kept)


_SAFE = "$(),;=:'/*@"


def split(query_string: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for part in query_string.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        try:
            pairs.append((unquote_plus(key, errors="strict"), unquote_plus(value, errors="strict")))
        except UnicodeDecodeError:
            raise QueryError(
                detail=f"The query parameter '{key[:40]}' is not valid UTF-8."
            ) from None
    return pairs


def parse_query(query_string: str) -> Query:
    pairs = split(query_string)
    options = ast.QueryOptions()
    seen: set[str] = set()
    extensions: dict[str, str] = {}
    plain: dict[str, str] = {}
    for key, value in pairs:
        if key in seen:
            raise QueryError(detail=f"The query option {key} is given more than once.")
        seen.add(key)
        if not key.startswith("$"):
            plain[key] = value
            continue
        if key in EXTENSION_OPTIONS:
            extensions[key] = value
            continue
        if key not in SYSTEM_OPTIONS:
            known = ", ".join(sorted(SYSTEM_OPTIONS | EXTENSION_OPTIONS))
            raise QueryError(detail=f"Unknown query option {key[:40]}; known are {known}.")
        _apply(options, key, value)
    return Query(options, pairs, extensions, plain)


def _apply(options: ast.QueryOptions, key: str, value: str) -> None:
    name = key[1:]
    options.raw[name] = value
    if key == "$filter":
        options.filter = parse(key, value, "filter")
    elif key == "$expand":
        options.expand = parse(key, value, "expand")
    elif key == "$select":
        options.select = parse(key, value, "select")
    elif key == "$orderby":
        options.orderby = parse(key, value, "orderby")
    elif key == "$top":
        options.top = _integer(key, value, MAX_SKIP)
    elif key == "$skip":
        options.skip = _integer(key, value, MAX_SKIP)
    elif key == "$count":
        if value not in ("true", "false"):
            raise QueryError(detail="$count must be true or false.")
        options.count = value == "true"
    elif key == "$resultFormat":
        found = RESULT_FORMATS.get(value.lower())
        if found is None:
            raise QueryError(detail="$resultFormat must be dataArray, GeoJSON or CSV.")
        options.result_format = found


def _integer(key: str, value: str, maximum: int) -> int:
    text = value.strip()
    if not is_digits(text):
        raise QueryError(detail=f"{key} must be a non-negative integer, not '{value[:40]}'.")
    number = int(text)
    if number > maximum:
        raise QueryError(detail=f"{key} must be at most {maximum}.")
    return number
