"""A geometry column that is PostGIS ``geometry(…, 4326)`` on PostgreSQL and WKB on SQLite.

Python code always sees shapely geometries. Tables that hold geometry use :class:`HasGeometry`,
which adds bounding-box columns kept in step with the geometry: SQLite filters on them before
the exact (shapely) predicate, PostgreSQL uses its GiST index.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Column, Float, Index
from sqlalchemy.dialects.postgresql.base import ischema_names as postgresql_ischema_names
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column, validates
from sqlalchemy.sql.compiler import SQLCompiler, TypeCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import UserDefinedType

from allmende.core.geo import WGS84, bbox_of, geometry_to_geojson


class Geometry(UserDefinedType[BaseGeometry]):
    cache_ok = True

    def __init__(self, geometry_type: str = "GEOMETRY", srid: int | str = WGS84) -> None:
        self.geometry_type = geometry_type.upper()
        self.srid = int(srid)

    def get_col_spec(self, **kw: Any) -> str:
        return f"geometry({self.geometry_type},{self.srid})"

    def bind_expression(self, bindvalue: Any) -> ColumnElement[Any]:
        return GeomFromWKB(bindvalue, self.srid)

    def column_expression(self, colexpr: Any) -> ColumnElement[Any]:
        return GeomAsWKB(colexpr, type_=self)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], bytes | None]:
        def process(value: Any) -> bytes | None:
            if value is None:
                return None
            if isinstance(value, bytes):
                return value
            return bytes(shapely.to_wkb(value))

        return process

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> Callable[[Any], BaseGeometry | None]:
        def process(value: Any) -> BaseGeometry | None:
            if value is None:
                return None
            geom: BaseGeometry = shapely.from_wkb(bytes(value))
            return geom

        return process


class GeoJSONGeometry(Geometry):
    """The same column read as a GeoJSON object: for output only. The same geometry gives the
    same (shared, not to be changed) object, remembered by its WKB: a page or dashboard shows
    the same observed areas again and again, and reading each into shapely and out again
    cost a tenth of rendering them."""

    cache_ok = True

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> Callable[[Any], dict[str, Any] | None]:
        def process(value: Any) -> dict[str, Any] | None:
            if value is None:
                return None
            wkb = bytes(value)
            if len(wkb) > _REMEMBERED_WKB:  # a large area is converted, not kept
                return geometry_to_geojson(shapely.from_wkb(wkb))
            return _geojson_of_wkb(wkb)

        return process


#: WKB bytes up to which an area's GeoJSON is remembered (a point takes 21, a polygon of 50
#: corners about 800): 1 024 of them stay within a few megabytes.
_REMEMBERED_WKB = 1024


@lru_cache(maxsize=1024)
def _geojson_of_wkb(wkb: bytes) -> dict[str, Any]:
    return geometry_to_geojson(shapely.from_wkb(wkb))


# Let reflection (Alembic's comparison) recognise PostGIS columns as ours.
postgresql_ischema_names["geometry"] = Geometry


@compiles(Geometry, "sqlite")
def _geometry_sqlite(type_: Geometry, compiler: TypeCompiler, **kw: Any) -> str:
    return "BLOB"


class GeomFromWKB(FunctionElement[Any]):
    """A WKB parameter as geometry: ``ST_GeomFromWKB`` on PostGIS, the blob itself on SQLite."""

    inherit_cache = True
    name = "geom_from_wkb"


@compiles(GeomFromWKB)
def _from_wkb_pg(element: GeomFromWKB, compiler: SQLCompiler, **kw: Any) -> str:
    value, srid = list(element.clauses)
    return f"ST_GeomFromWKB({compiler.process(value, **kw)}, {compiler.process(srid, **kw)})"


@compiles(GeomFromWKB, "sqlite")
def _from_wkb_sqlite(element: GeomFromWKB, compiler: SQLCompiler, **kw: Any) -> str:
    value = next(iter(element.clauses))
    return str(compiler.process(value, **kw))


class GeomAsWKB(FunctionElement[Any]):
    """A geometry column read as WKB: ``ST_AsBinary`` on PostGIS, the blob itself on SQLite."""

    inherit_cache = True
    name = "geom_as_wkb"

    def __init__(self, expression: Any, *, type_: Geometry) -> None:
        super().__init__(expression)
        self.type = type_  # so results are converted back to shapely


@compiles(GeomAsWKB)
def _as_wkb_pg(element: GeomAsWKB, compiler: SQLCompiler, **kw: Any) -> str:
    return f"ST_AsBinary({compiler.process(next(iter(element.clauses)), **kw)})"


@compiles(GeomAsWKB, "sqlite")
def _as_wkb_sqlite(element: GeomAsWKB, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(next(iter(element.clauses)), **kw))


class HasGeometry:
    """Mixin: an optional ``geom`` column plus its bounding box, set together."""

    geom: Mapped[BaseGeometry | None] = mapped_column(Geometry(), nullable=True)
    bbox_minx: Mapped[float | None] = mapped_column(Float, nullable=True)
    bbox_miny: Mapped[float | None] = mapped_column(Float, nullable=True)
    bbox_maxx: Mapped[float | None] = mapped_column(Float, nullable=True)
    bbox_maxy: Mapped[float | None] = mapped_column(Float, nullable=True)

    @validates("geom")
    def _sync_bbox(self, key: str, value: BaseGeometry | None) -> BaseGeometry | None:
        box = bbox_of(value) if value is not None else (None, None, None, None)
        self.bbox_minx, self.bbox_miny, self.bbox_maxx, self.bbox_maxy = box
        return value


def geometry_values(geom: BaseGeometry | None) -> dict[str, Any]:
    """Column values for a Core (bulk) insert of a :class:`HasGeometry` row."""
    if geom is None:
        return {
            "geom": None,
            "bbox_minx": None,
            "bbox_miny": None,
            "bbox_maxx": None,
            "bbox_maxy": None,
        }
    minx, miny, maxx, maxy = bbox_of(geom)
    return {
        "geom": geom,
        "bbox_minx": minx,
        "bbox_miny": miny,
        "bbox_maxx": maxx,
        "bbox_maxy": maxy,
    }


def spatial_indexes(table: str) -> tuple[Index, ...]:
    """The indexes a :class:`HasGeometry` table needs: GiST on PostgreSQL, bbox btree on SQLite."""
    gist = Index(f"ix_{table}_geom", "geom", postgresql_using="gist")
    bbox = Index(f"ix_{table}_bbox", "bbox_minx", "bbox_maxx", "bbox_miny", "bbox_maxy")
    return (gist.ddl_if(dialect="postgresql"), bbox.ddl_if(dialect="sqlite"))


# --- for migration scripts -------------------------------------------------------------------


def geometry_columns(geometry_type: str = "GEOMETRY") -> list[Column[Any]]:
    """The columns of :class:`HasGeometry`, for ``op.create_table``."""
    return [
        Column("geom", Geometry(geometry_type), nullable=True),
        Column("bbox_minx", Float, nullable=True),
        Column("bbox_miny", Float, nullable=True),
        Column("bbox_maxx", Float, nullable=True),
        Column("bbox_maxy", Float, nullable=True),
    ]


def create_spatial_indexes(op: Any, table: str) -> None:
    """Create the indexes of :func:`spatial_indexes` for the backend the migration runs on."""
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(f"ix_{table}_geom", table, ["geom"], postgresql_using="gist")
    else:
        op.create_index(
            f"ix_{table}_bbox", table, ["bbox_minx", "bbox_maxx", "bbox_miny", "bbox_maxy"]
        )
