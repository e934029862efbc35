"""Spatial predicates that give the same answer on PostgreSQL/PostGIS and on SQLite.

On PostgreSQL they are PostGIS functions. On SQLite the same ``ST_*`` names are registered as
SQL functions backed by shapely (:func:`register_sqlite_functions`), and the bounding-box columns
of :class:`~allmende.storage.geometry.HasGeometry` narrow the rows first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import and_, bindparam, func, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Boolean

from allmende.core.geo import WGS84, BBox, bbox_of
from allmende.storage.geometry import Geometry, HasGeometry

BINARY_PREDICATES: dict[str, Callable[[Any, Any], Any]] = {
    "ST_Intersects": shapely.intersects,
    "ST_Within": shapely.within,
    "ST_Contains": shapely.contains,
    "ST_Disjoint": shapely.disjoint,
    "ST_Touches": shapely.touches,
    "ST_Crosses": shapely.crosses,
    "ST_Overlaps": shapely.overlaps,
    "ST_Equals": shapely.equals,
}
#: Predicates for which "the boxes overlap" is necessary, so the box filter may go first.
BOX_NARROWED = frozenset(
    {
        "ST_Intersects",
        "ST_Within",
        "ST_Contains",
        "ST_Touches",
        "ST_Crosses",
        "ST_Overlaps",
        "ST_Equals",
    }
)


def geometry_param(geom: BaseGeometry) -> ColumnElement[Any]:
    """A geometry literal for SQL on either backend."""
    return bindparam(None, geom, type_=Geometry())


class BoxOverlaps(FunctionElement[bool]):
    """True where a row's bounding box overlaps a box: PostGIS ``&&`` or the bbox columns.

    Arguments: geom, bbox_minx, bbox_miny, bbox_maxx, bbox_maxy, then the box's four values.
    """

    inherit_cache = True
    type = Boolean()
    name = "box_overlaps"


def box_overlaps(model: type[HasGeometry], box: BBox) -> ColumnElement[bool]:
    minx, miny, maxx, maxy = (float(v) for v in box)
    return BoxOverlaps(
        model.geom,
        model.bbox_minx,
        model.bbox_miny,
        model.bbox_maxx,
        model.bbox_maxy,
        literal(minx),
        literal(miny),
        literal(maxx),
        literal(maxy),
    )


@compiles(BoxOverlaps)
def _box_pg(element: BoxOverlaps, compiler: SQLCompiler, **kw: Any) -> str:
    args = [compiler.process(c, **kw) for c in element.clauses]
    return f"({args[0]} && ST_MakeEnvelope({args[5]}, {args[6]}, {args[7]}, {args[8]}, {WGS84}))"


@compiles(BoxOverlaps, "sqlite")
def _box_sqlite(element: BoxOverlaps, compiler: SQLCompiler, **kw: Any) -> str:
    a = [compiler.process(c, **kw) for c in element.clauses]
    return f"({a[3]} >= {a[5]} AND {a[1]} <= {a[7]} AND {a[4]} >= {a[6]} AND {a[2]} <= {a[8]})"


def in_bbox(model: type[HasGeometry], box: BBox) -> ColumnElement[bool]:
    """Rows whose geometry intersects the box (not merely its bounding box)."""
    envelope = shapely.box(*box)
    return predicate("ST_Intersects", model, envelope)


def intersects(model: type[HasGeometry], geom: BaseGeometry) -> ColumnElement[bool]:
    return predicate("ST_Intersects", model, geom)


def predicate(name: str, model: type[HasGeometry], geom: BaseGeometry) -> ColumnElement[bool]:
    """``name(model.geom, geom)`` for a predicate of :data:`BINARY_PREDICATES`, box-narrowed
    where that cannot change the answer."""
    if name not in BINARY_PREDICATES:
        raise ValueError(f"unknown spatial predicate {name}")
    exact: ColumnElement[bool] = getattr(func, name)(model.geom, geometry_param(geom))
    if name in BOX_NARROWED:
        return and_(box_overlaps(model, bbox_of(geom)), exact)
    return exact


# --- SQLite functions ------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _parse_constant(wkb: bytes) -> BaseGeometry:
    # The same literal geometry is compared with every row: parse it once.
    geom: BaseGeometry = shapely.from_wkb(wkb)
    shapely.prepare(geom)
    return geom


def _geom(value: Any) -> BaseGeometry | None:
    if value is None:
        return None
    if isinstance(value, str):
        geom: BaseGeometry = shapely.from_wkt(value)
        return geom
    return _parse_constant(bytes(value))


def _binary(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], int | None]:
    def call(a: Any, b: Any) -> int | None:
        ga, gb = _geom(a), _geom(b)
        if ga is None or gb is None:
            return None
        return int(bool(fn(ga, gb)))

    return call


def _relate(a: Any, b: Any, pattern: str | None = None) -> Any:
    ga, gb = _geom(a), _geom(b)
    if ga is None or gb is None:
        return None
    if pattern is None:
        return shapely.relate(ga, gb)
    return int(bool(shapely.relate_pattern(ga, gb, pattern)))


def _distance(a: Any, b: Any) -> float | None:
    ga, gb = _geom(a), _geom(b)
    return None if ga is None or gb is None else float(shapely.distance(ga, gb))


def _length(a: Any) -> float | None:
    g = _geom(a)
    return None if g is None else _linear_length(g)


def _linear_length(geom: BaseGeometry) -> float:
    """Length of the linear parts only, as PostGIS ``ST_Length`` (a polygon's is 0)."""
    kind = geom.geom_type
    if kind in ("LineString", "LinearRing", "MultiLineString"):
        return float(shapely.length(geom))
    if kind == "GeometryCollection":
        return sum(_linear_length(part) for part in getattr(geom, "geoms", ()))
    return 0.0


def _area(a: Any) -> float | None:
    g = _geom(a)
    return None if g is None else float(shapely.area(g))


def _from_text(text: str | None, srid: int | None = None) -> bytes | None:
    if text is None:
        return None
    return bytes(shapely.to_wkb(shapely.from_wkt(text)))


def _as_text(a: Any) -> str | None:
    g = _geom(a)
    return None if g is None else str(shapely.to_wkt(g))


def register_sqlite_functions(connection: sqlite3.Connection) -> None:
    """Make the PostGIS functions Allmende uses callable on an SQLite connection."""
    for name, fn in BINARY_PREDICATES.items():
        connection.create_function(name, 2, _binary(fn), deterministic=True)
    connection.create_function("ST_Relate", 2, _relate, deterministic=True)
    connection.create_function("ST_Relate", 3, _relate, deterministic=True)
    connection.create_function("ST_Distance", 2, _distance, deterministic=True)
    connection.create_function("ST_Length", 1, _length, deterministic=True)
    connection.create_function("ST_Area", 1, _area, deterministic=True)
    connection.create_function("ST_GeomFromText", 1, _from_text, deterministic=True)
    connection.create_function("ST_GeomFromText", 2, _from_text, deterministic=True)
    connection.create_function("ST_AsText", 1, _as_text, deterministic=True)
