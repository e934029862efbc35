"""Lists that psycopg sends as arrays of a known type, without looking at their items.

For a plain list psycopg finds the array's type from its items, on every execution: it takes
the set of their types (and of the items of nested lists) and the first one not None, twice
per list (the dumper's key, then the dumper itself). The ingest of a group of single POSTs
binds some twenty lists of a few items each, and this search was a quarter of its time in
Python. A list of one of these classes is an array of its type (text is sent as ``text[]``;
the statement casts it where the column is of another type, as for a plain list).

psycopg is the optional extra ``postgres`` and takes about 80 ms to import: the classes are
plain lists, and their dumpers are registered by :func:`register` when a PostgreSQL engine is
made (:func:`allmende.storage.database.make_engine`), not when this module is imported.
"""

from __future__ import annotations

from functools import cache
from typing import Any


class BigintArray(list[Any]):
    """Integers (or None), sent as ``bigint[]``."""


class DoubleArray(list[Any]):
    """Floats (or None), sent as ``double precision[]``."""


class TextArray(list[Any]):
    """Strings (or None), sent as ``text[]``."""


@cache
def register() -> None:
    """Teach psycopg the arrays' types (once per process)."""
    from psycopg import adapters
    from psycopg.types.array import ListDumper

    for array, element in ((BigintArray, "int8"), (DoubleArray, "float8"), (TextArray, "text")):
        info = adapters.types[element]
        attributes = {"oid": info.array_oid, "element_oid": info.oid}
        dumper = type(f"{element.capitalize()}ArrayDumper", (ListDumper,), attributes)
        adapters.register_dumper(array, dumper)
