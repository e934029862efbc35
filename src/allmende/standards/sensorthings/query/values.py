"""Typed values of the query compiler: what an expression compiles to, before it becomes a
condition or a sort key."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import BigInteger, bindparam
from sqlalchemy.sql.elements import ColumnElement

NOTHING = object()


class T(StrEnum):
    NUMBER = "number"
    STRING = "string"
    BOOLEAN = "boolean"
    NULL = "null"
    TIME = "time"
    DURATION = "duration"
    DATE = "date"
    CLOCK = "time of day"
    GEOMETRY = "geometry"
    JSON = "JSON value"
    RESULT = "result"


@dataclass(frozen=True)
class Value:
    type: T
    sql: Any = None
    # TIME: start, end (None: instants only) and whether it is an interval (a Python bool, or
    # an SQL condition for columns that hold both).
    start: Any = None
    end: Any = None
    interval: Any = False
    # JSON: the column and the path below it
    column: Any = None
    path: tuple[str | int, ...] = ()
    # RESULT: kind, number, text, JSON columns
    result: tuple[Any, Any, Any, Any] | None = None
    # GEOMETRY: the table (for bounding-box narrowing) or the literal shape
    table: Any = None
    # GEOMETRY of a row: its bounding box (minx, miny, maxx, maxy), the key $orderby sorts by
    bbox: tuple[Any, ...] = ()
    shape: BaseGeometry | None = None
    literal: Any = NOTHING
    position: int = 0
    # TIME: how far (µs) it may lie outside the supported range of times; DURATION: how long
    # it may be. Bounded so that no time arithmetic can overflow 64 bits in the database.
    reach: int = 0

    @property
    def is_literal(self) -> bool:
        return self.literal is not NOTHING


def integer(value: int) -> Any:
    return bindparam(None, value, type_=BigInteger())


def instant(value: int, position: int) -> Value:
    return Value(T.TIME, start=integer(value), interval=False, literal=value, position=position)


def operate(op: str, left: Any, right: Any) -> ColumnElement[bool]:
    if op == "eq":
        return left == right  # type: ignore[no-any-return]
    if op == "ne":
        return left != right  # type: ignore[no-any-return]
    if op == "gt":
        return left > right  # type: ignore[no-any-return]
    if op == "ge":
        return left >= right  # type: ignore[no-any-return]
    if op == "lt":
        return left < right  # type: ignore[no-any-return]
    return left <= right  # type: ignore[no-any-return]
