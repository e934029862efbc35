"""Geometry helpers shared by every layer: GeoJSON in and out, bounding boxes, metric lengths.

All stored geometry is WGS 84 longitude/latitude (EPSG:4326). Distances and areas in metres are
computed in ETRS89 / UTM zone 32N (EPSG:25832), the official metric system of most German states.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.errors import GEOSException
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from allmende.core.errors import ValidationFailed

#: The media type of GeoJSON (RFC 7946).
GEOJSON_MEDIA_TYPE = "application/geo+json"
WGS84 = 4326
METRIC_CRS = 25832
GEOJSON_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)

BBox = tuple[float, float, float, float]


def geometry_from_geojson(value: Any, *, field: str = "geometry") -> BaseGeometry:
    """Parse a GeoJSON geometry (dict or JSON text) into a valid shapely geometry.

    Refuses, naming ``field``: unknown types, malformed coordinates, coordinates outside
    longitude/latitude range and invalid (self-intersecting) polygons.
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValidationFailed.one(field, "is not valid JSON") from exc
    if not isinstance(value, Mapping):
        raise ValidationFailed.one(field, "must be a GeoJSON geometry object")
    kind = value.get("type")
    if kind == "Feature":
        return geometry_from_geojson(value.get("geometry"), field=f"{field}.geometry")
    if kind not in GEOJSON_TYPES:
        raise ValidationFailed.one(field, f"type must be one of {', '.join(sorted(GEOJSON_TYPES))}")
    try:
        geom = shape(value)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, GEOSException) as exc:
        raise ValidationFailed.one(field, f"malformed {kind} coordinates") from exc
    check_geometry(geom, field=field)
    return geom


def check_geometry(geom: BaseGeometry, *, field: str = "geometry") -> None:
    """Refuse empty, non-finite, out-of-range or invalid geometries."""
    if geom.is_empty:
        raise ValidationFailed.one(field, "is empty")
    coords = shapely.get_coordinates(geom)
    if not bool(((coords[:, 0] >= -180) & (coords[:, 0] <= 180)).all()) or not bool(
        ((coords[:, 1] >= -90) & (coords[:, 1] <= 90)).all()
    ):
        raise ValidationFailed.one(
            field, "coordinates must be longitude -180..180, latitude -90..90"
        )
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise ValidationFailed.one(field, f"is not a valid geometry ({reason})")


def geometry_to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    if geom.geom_type == "Point" and not geom.is_empty:  # most features and observed areas
        return {"type": "Point", "coordinates": list(geom.coords[0])}
    result: dict[str, Any] = _lists(dict(mapping(geom)))
    return result


def _lists(value: Any) -> Any:
    # shapely's mapping() returns tuples; JSON encoders and equality checks want lists.
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    return value


def parse_bbox(text: str, *, field: str = "bbox") -> BBox:
    """Parse ``minx,miny,maxx,maxy`` (longitude/latitude)."""
    parts = text.split(",")
    if len(parts) != 4:
        raise ValidationFailed.one(field, "must be four numbers: minLon,minLat,maxLon,maxLat")
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError as exc:
        raise ValidationFailed.one(
            field, "must be four numbers: minLon,minLat,maxLon,maxLat"
        ) from exc
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise ValidationFailed.one(field, "must be finite numbers")
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValidationFailed.one(field, "needs minLon <= maxLon and minLat <= maxLat in range")
    return (minx, miny, maxx, maxy)


def bbox_of(geom: BaseGeometry) -> BBox:
    minx, miny, maxx, maxy = geom.bounds
    return (float(minx), float(miny), float(maxx), float(maxy))


@lru_cache(maxsize=4)
def _to_metric(srid: int) -> Transformer:
    return Transformer.from_crs(WGS84, srid, always_xy=True)


@lru_cache(maxsize=4)
def _from_metric(srid: int) -> Transformer:
    return Transformer.from_crs(srid, WGS84, always_xy=True)


def from_metric(geom: BaseGeometry, srid: int = METRIC_CRS) -> BaseGeometry:
    """Project a geometry from a metric CRS back to WGS 84."""
    return _project(geom, _from_metric(srid))


def to_metric(geom: BaseGeometry, srid: int = METRIC_CRS) -> BaseGeometry:
    """Project a WGS 84 geometry into a metric CRS for lengths, areas and buffers."""
    return _project(geom, _to_metric(srid))


def _project(geom: BaseGeometry, transformer: Transformer) -> BaseGeometry:
    projected: BaseGeometry = shapely.transform(
        geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )
    return projected


def distance_m(a: BaseGeometry, b: BaseGeometry) -> float:
    return float(to_metric(a).distance(to_metric(b)))
