"""What the administration pages share: the guard, rendering, reading uploads and boundaries."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from babel.dates import format_date, format_datetime
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from allmende.core.errors import AllmendeError, FieldError, PayloadTooLarge, ValidationFailed
from allmende.core.geo import geometry_from_geojson
from allmende.delivery.mailer import REGION_ZONE
from allmende.http.context import app_context
from allmende.http.i18n import N_
from allmende.http.links import local_path
from allmende.http.uploads import read_upload
from allmende.identity.permissions import Action, require
from allmende.identity.principal import Principal
from allmende.web.forms import field_errors, text, upload

#: Largest GeoJSON accepted for one boundary (a detailed municipal boundary is a few MB).
MAX_GEOJSON_BYTES = 5 * 1024 * 1024


def when(request: Request, moment: datetime | None, *, day_only: bool = False) -> str | None:
    """A time in the region's time zone and the reader's language."""
    if moment is None:
        return None
    language = app_context(request).catalogs.negotiate(request)
    if day_only:
        return format_date(moment.astimezone(REGION_ZONE), format="medium", locale=language)
    return format_datetime(moment, format="medium", tzinfo=REGION_ZONE, locale=language)


def admin_guard(request: Request, principal: Principal) -> Response | None:
    """A redirect to the sign-in page for anonymous callers; 403 for those who are no
    administrators; None for administrators."""
    if not principal.is_authenticated:
        target = request.url.path
        return RedirectResponse(local_path(request, f"/login?next={target}"), status_code=303)
    require(principal, Action.ADMINISTER)
    return None


def render(request: Request, template: str, status: int = 200, **values: Any) -> Response:
    return app_context(request).templates.render(request, template, values, status_code=status)


def errors_of(request: Request, error: AllmendeError) -> dict[str, str]:
    return field_errors(error, app_context(request).catalogs.translator(request))


def renamed(error: AllmendeError, fields: dict[str, str]) -> AllmendeError:
    """The same error with its fields named as the form names them."""
    return type(error)(
        detail=error.detail,
        errors=[FieldError(fields.get(e.field, e.field), e.reason) for e in error.errors],
    )


def redirect(request: Request, path: str) -> Response:
    return RedirectResponse(local_path(request, path), status_code=303)


async def geojson_input(form: FormData, field: str) -> Any | None:
    """The GeoJSON of a form: the uploaded file ``<field>_file`` or the text ``field``
    (None when both are empty)."""
    file = upload(form, f"{field}_file")
    if file is not None:
        try:
            raw = await read_upload(file, MAX_GEOJSON_BYTES, field)
        except PayloadTooLarge as exc:
            exc.errors = [FieldError(field, N_("the file is larger than 5 MB"))]
            raise
        body = raw.decode("utf-8", errors="replace")
    else:
        body = text(form, field, MAX_GEOJSON_BYTES)
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        raise ValidationFailed.one(
            field, N_("is not GeoJSON (the text is no valid JSON)")
        ) from None


def boundary_of(value: Any, field: str) -> BaseGeometry:
    """A boundary from a GeoJSON geometry, Feature or FeatureCollection (its polygons joined)."""
    if isinstance(value, dict) and value.get("type") == "FeatureCollection":
        features = value.get("features")
        if not isinstance(features, list) or not features:
            raise ValidationFailed.one(field, N_("the FeatureCollection has no features"))
        parts = [_polygon(f, field) for f in features]
        return unary_union(parts)
    return _polygon(value, field)


def _polygon(value: Any, field: str) -> BaseGeometry:
    try:
        geom = geometry_from_geojson(value, field=field)
    except ValidationFailed:
        raise ValidationFailed.one(
            field, N_("is not a valid GeoJSON polygon in longitude and latitude (WGS 84)")
        ) from None
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValidationFailed.one(
            field, N_("must be a polygon or multipolygon, not a point or line")
        )
    return geom
