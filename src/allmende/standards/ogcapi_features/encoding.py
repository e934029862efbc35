"""JSON out: feature properties may hold dates, decimals or other values a source keeps."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import Response

from allmende.core.geo import GEOJSON_MEDIA_TYPE
from allmende.core.timeutil import isoformat

JSON = "application/json"
GEOJSON = GEOJSON_MEDIA_TYPE
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
HTML = "text/html"


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def dumps(document: Any) -> bytes:
    return orjson.dumps(document, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def json_response(document: Any, *, media_type: str = JSON, status_code: int = 200) -> Response:
    return Response(dumps(document), status_code=status_code, media_type=media_type)
