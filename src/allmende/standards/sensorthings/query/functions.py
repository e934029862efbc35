"""The built-in functions of $filter: strings, dates, math, temporal relations, geometry.

Each takes the compiled arguments and gives a typed :class:`Value`; the compiler checks the
number of arguments and converts them with the :class:`Converter` methods.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import Float, func, literal, true

from allmende.sensing.times import MAX_MICROS, MIN_MICROS
from allmende.standards.sensorthings.query import ast
from allmende.standards.sensorthings.query.parser import QueryError
from allmende.standards.sensorthings.query.sql import (
    MICROS_PER_DAY,
    Divide,
    Rounded,
    StringFunction,
    TimePart,
    floor_mod,
    floor_to,
)
from allmende.standards.sensorthings.query.values import T, Value, instant
from allmende.storage.spatial import BINARY_PREDICATES, predicate


class Converter(Protocol):
    """What a function needs of the compiler."""

    now: int

    def number_of(self, value: Value, node: ast.Node) -> Any: ...
    def text_of(self, value: Value, node: ast.Node) -> Any: ...
    def time_of(self, value: Value, node: ast.Node) -> Value: ...
    def geometry_of(self, value: Value, node: ast.Node) -> Value: ...
    def relation(self, node: ast.Node, name: str, a: Value, b: Value) -> object: ...
    def error(self, node: ast.Node, reason: str) -> QueryError: ...


Implementation = Callable[[Converter, ast.Call, list[Value]], Value]
FUNCTIONS: dict[str, tuple[frozenset[int], Implementation]] = {}


def _function(name: str, *arity: int) -> Callable[[Implementation], Implementation]:
    def register(fn: Implementation) -> Implementation:
        FUNCTIONS[name] = (frozenset(arity), fn)
        return fn

    return register


def _string_fn(function: str, result: T, *args_as: str) -> Implementation:
    def run(c: Converter, node: ast.Call, args: list[Value]) -> Value:
        sql_args = [
            c.text_of(a, node) if k == "s" else c.number_of(a, node)
            for a, k in zip(args, args_as, strict=False)
        ]
        return Value(result, sql=StringFunction(function, *sql_args))

    return run


_function("length", 1)(_string_fn("length", T.NUMBER, "s"))
_function("indexof", 2)(_string_fn("indexof", T.NUMBER, "s", "s"))
_function("substring", 2, 3)(_string_fn("substring", T.STRING, "s", "n", "n"))
_function("startswith", 2)(_string_fn("startswith", T.BOOLEAN, "s", "s"))
_function("endswith", 2)(_string_fn("endswith", T.BOOLEAN, "s", "s"))
_function("contains", 2)(_string_fn("contains", T.BOOLEAN, "s", "s"))


@_function("substringof", 2)
def _substringof(c: Converter, node: ast.Call, args: list[Value]) -> Value:
    needle, haystack = c.text_of(args[0], node), c.text_of(args[1], node)
    return Value(T.BOOLEAN, sql=StringFunction("contains", haystack, needle))


@_function("tolower", 1)
def _tolower(c: Converter, node: ast.Call, args: list[Value]) -> Value:
    return Value(T.STRING, sql=func.lower(c.text_of(args[0], node)))


@_function("toupper", 1)
def _toupper(c: Converter, node: ast.Call, args: list[Value]) -> Value:
    return Value(T.STRING, sql=func.upper(c.text_of(args[0], node)))


@_function("trim", 1)
def _trim(c: Converter, node: ast.Call, args: list[Value]) -> Value:
    return Value(T.STRING, sql=func.trim(c.text_of(args[0], node)))


@_function("concat", 2)
def _concat(c: Converter, node: ast.Call, args: list[Value]) -> Value:
    return Value(T.STRING, sql=c.text_of(args[0], node).concat(c.text_of(args[1], node)))


def _part(part: str) -> Implementation:
    def run(c: Converter, node: ast.Call, args: list[Value]) -> Value:
        return Value(T.NUMBER, sql=TimePart(part, c.time_of(args[0], node).start))

    return run


for _name in ("year", "month", "day", "hour", "minute", "second"):
    _function(_name, 1)(_part(_name))


@_function("fractionalseconds", 1)
def _fraction(c: Converter, node: ast.Call, args: list[Value]) -> Value:
    micros = floor_mod(c.time_of(args[0], node).start, 1_000_000)
    return Value(T.NUMBER, sql=Divide(micros, literal(1_000_000)))


@_function("date", 1)
def _date(c: Converter, node: ast.Call, args: list[Value]) -> Value:
    return Value(T.DATE, sql=floor_to(c.time_of(args[0], node).start, MICROS_PER_DAY))


@_function("time", 1)
def _clock(c: Converter, node: ast.Call, args: list[Value]) -> Value:
    return Value(T.CLOCK, sql=floor_mod(c.time_of(args[0], node).start, MICROS_PER_DAY))


@_function("totaloffsetminutes", 1)
def _offset(c: Converter, node: ast.Call, args: list[Value]) -> Value:
    c.time_of(args[0], node)
    return Value(T.NUMBER, sql=literal(0))  # every stored time is UTC


@_function("now", 0)
def _now(c: Converter, node: ast.Call, args: list[Value]) -> Value:
    return instant(c.now, node.position)


@_function("mindatetime", 0)
def _min(c: Converter, node: ast.Call, args: list[Value]) -> Value:
    return instant(MIN_MICROS, node.position)


@_function("maxdatetime", 0)
def _max(c: Converter, node: ast.Call, args: list[Value]) -> Value:
    return instant(MAX_MICROS, node.position)


def _rounding(how: str) -> Implementation:
    def run(c: Converter, node: ast.Call, args: list[Value]) -> Value:
        return Value(T.NUMBER, sql=Rounded(c.number_of(args[0], node), how))

    return run


_function("round", 1)(_rounding("round"))
_function("floor", 1)(_rounding("floor"))
_function("ceiling", 1)(_rounding("ceiling"))


def _temporal_fn(name: str) -> Implementation:
    def run(c: Converter, node: ast.Call, args: list[Value]) -> Value:
        a, b = c.time_of(args[0], node), c.time_of(args[1], node)
        return Value(T.BOOLEAN, sql=c.relation(node, name, a, b))

    return run


for _name in ("before", "after", "meets", "during", "overlaps", "starts", "finishes"):
    _function(_name, 2)(_temporal_fn(_name))


#: st_* function → (PostGIS name, the same relation with the arguments swapped)
_SPATIAL = {
    "st_equals": ("ST_Equals", "ST_Equals"),
    "st_disjoint": ("ST_Disjoint", "ST_Disjoint"),
    "st_touches": ("ST_Touches", "ST_Touches"),
    "st_within": ("ST_Within", "ST_Contains"),
    "st_overlaps": ("ST_Overlaps", "ST_Overlaps"),
    "st_crosses": ("ST_Crosses", "ST_Crosses"),
    "st_intersects": ("ST_Intersects", "ST_Intersects"),
    "st_contains": ("ST_Contains", "ST_Within"),
    "geo.intersects": ("ST_Intersects", "ST_Intersects"),
}


def _spatial(name: str) -> Implementation:
    direct, swapped = _SPATIAL[name]

    def run(c: Converter, node: ast.Call, args: list[Value]) -> Value:
        a, b = c.geometry_of(args[0], node), c.geometry_of(args[1], node)
        # A column against a literal: narrowed by the bounding box (PostGIS index, or
        # the bbox columns on SQLite) before the exact test.
        if b.shape is not None and a.table is not None and direct in BINARY_PREDICATES:
            return Value(T.BOOLEAN, sql=predicate(direct, a.table, b.shape))
        if a.shape is not None and b.table is not None and swapped in BINARY_PREDICATES:
            return Value(T.BOOLEAN, sql=predicate(swapped, b.table, a.shape))
        return Value(T.BOOLEAN, sql=getattr(func, direct)(a.sql, b.sql))

    return run


for _name in _SPATIAL:
    _function(_name, 2)(_spatial(_name))


@_function("st_relate", 3)
def _relate(c: Converter, node: ast.Call, args: list[Value]) -> Value:
    a, b = c.geometry_of(args[0], node), c.geometry_of(args[1], node)
    pattern = args[2]
    if pattern.type is not T.STRING or not pattern.is_literal:
        raise c.error(node, "st_relate() takes a DE-9IM pattern string as its third argument")
    text = str(pattern.literal)
    if len(text) != 9 or any(ch not in "TF*012" for ch in text.upper()):
        raise c.error(node, f"'{text}' is not a DE-9IM pattern (9 of T, F, *, 0, 1, 2)")
    return Value(T.BOOLEAN, sql=func.ST_Relate(a.sql, b.sql, text.upper()) == true())


@_function("geo.distance", 2)
def _distance(c: Converter, node: ast.Call, args: list[Value]) -> Value:
    a, b = c.geometry_of(args[0], node), c.geometry_of(args[1], node)
    return Value(T.NUMBER, sql=func.ST_Distance(a.sql, b.sql, type_=Float()))


@_function("geo.length", 1)
def _length(c: Converter, node: ast.Call, args: list[Value]) -> Value:
    return Value(T.NUMBER, sql=func.ST_Length(c.geometry_of(args[0], node).sql, type_=Float()))
