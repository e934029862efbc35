"""``column IN (many integers)`` as one bound parameter on both backends.

An ``IN`` list of a thousand placeholders is built, sent and parsed again on every call; the
hot paths (every batch of Observations looks up its streams and features) pass the whole set
as one value instead: an array on PostgreSQL (``= ANY(%s)``), a JSON array on SQLite
(``IN (SELECT value FROM json_each(?))``). Neither needs chunking to stay under a limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import BigInteger, Text, bindparam, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import NullType, TypeDecorator, TypeEngine

from allmende.storage.pg_arrays import BigintArray


class IntegerSet(TypeDecorator[list[int]]):
    """A list of integers bound as one parameter: ``bigint[]`` or JSON text."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(BigInteger()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: list[int] | None, dialect: Dialect) -> Any:
        if value is None:
            return value
        if dialect.name == "postgresql":
            return BigintArray(value)
        return orjson.dumps(value).decode()


class _InSet(FunctionElement[Any]):
    inherit_cache = True
    name = "in_set"
    type = NullType()  # not Boolean: SQLite would compare the condition with 1 (no index)


@compiles(_InSet)
def _in_set_pg(element: _InSet, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = (compiler.process(c, **kw) for c in element.clauses)
    return f"{column} = ANY({values})"


@compiles(_InSet, "sqlite")
def _in_set_sqlite(element: _InSet, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = (compiler.process(c, **kw) for c in element.clauses)
    # Both parts are compiled SQL: a column and a bound parameter, never input.
    return f"{column} IN (SELECT value FROM json_each({values}))"  # noqa: S608


def in_set(column: Any, values: Iterable[int]) -> ColumnElement[bool]:
    """``column`` is one of ``values`` (integers: ids, or times in microseconds)."""
    return _InSet(column, literal([int(v) for v in values], IntegerSet()))


def in_set_parameter(column: Any, name: str) -> ColumnElement[bool]:
    """``column`` is one of the integers given at execution as parameter ``name``: for a
    statement built once and run often."""
    return _InSet(column, bindparam(name, type_=IntegerSet()))
