"""Typed lists: PostgreSQL gets back exactly what was sent, whatever the items hold."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from allmende.storage.ephemeral_pg import EphemeralPostgres
from allmende.storage.pg_arrays import BigintArray, DoubleArray, TextArray, register

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

TEXTS = ['a"b\\c', None, "NULL", "x,y", "", " {}", "ü"]

register()  # as a PostgreSQL engine does; these tests talk to psycopg directly


def roundtrip(server: EphemeralPostgres, statement: str, values: list[Any]) -> Any:
    url = server.url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection:
        row = connection.execute(statement, values).fetchone()
    assert row is not None
    return row[0]


def test_each_kind_of_array_comes_back_as_sent(postgres_server: EphemeralPostgres) -> None:
    integers = [1, None, -(2**63), 2**63 - 1, 0]
    floats = [1.5, None, 3.0, -0.0, 1e300]
    url = postgres_server.url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection:
        back = connection.execute(
            "SELECT %s::bigint[], %s::double precision[], %s::text[], %s::smallint[]",
            [BigintArray(integers), DoubleArray(floats), TextArray(TEXTS), BigintArray([3, None])],
        ).fetchone()
    assert back == (integers, floats, TEXTS, [3, None])


def test_text_is_cast_where_the_statement_asks(postgres_server: EphemeralPostgres) -> None:
    """JSON columns take their values as text, cast in the statement (as the ingest sends)."""
    found = roundtrip(
        postgres_server, "SELECT %s::jsonb[]", [TextArray(['{"a": [1, "x,\\"y"]}', None, "2"])]
    )
    assert found == [{"a": [1, 'x,"y']}, None, 2]


def test_an_empty_array_has_its_type(postgres_server: EphemeralPostgres) -> None:
    assert roundtrip(postgres_server, "SELECT pg_typeof(%s)::text", [BigintArray()]) == "bigint[]"
