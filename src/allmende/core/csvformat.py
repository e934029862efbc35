"""The one way Allmende writes CSV: every CSV file the product hands out goes through here.

Two dialects:

* ``plain``: RFC 4180 — comma, decimal point, UTF-8 without BOM, CRLF. For programs.
* ``excel-de``: what German spreadsheet programs open with a double click — semicolon,
  decimal comma, UTF-8 with BOM (so umlauts survive), CRLF.

In both, ``None`` is an empty cell, booleans are ``true``/``false``, times ISO 8601 in UTC,
objects and lists JSON text, and text that a spreadsheet would run as a formula (starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading apostrophe.
Numbers are never changed, so numeric columns stay exact.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from allmende.core.timeutil import isoformat

Dialect = Literal["plain", "excel-de"]
DIALECTS: tuple[Dialect, ...] = ("plain", "excel-de")
MEDIA_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Rows per chunk when a file is streamed.
CHUNK_ROWS = 5000


def cell(value: Any, dialect: Dialect = "plain") -> str:
    """One value as the text of its cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        if isinstance(value, float) and not math.isfinite(value):
            return ""
        text = repr(value) if isinstance(value, float) else str(value)
        return text.replace(".", ",") if dialect == "excel-de" else text
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict | list | tuple):
        value = json.dumps(value, ensure_ascii=False, default=str)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _writer(buffer: io.StringIO, dialect: Dialect) -> Any:
    return csv.writer(
        buffer, delimiter=";" if dialect == "excel-de" else ",", lineterminator="\r\n"
    )


def lines(rows: Iterable[Sequence[Any]], dialect: Dialect = "plain") -> str:
    """Rows (a header is a row of strings) as CSV text, without a BOM."""
    buffer = io.StringIO()
    writer = _writer(buffer, dialect)
    for row in rows:
        writer.writerow([cell(v, dialect) for v in row])
    return buffer.getvalue()


def start(dialect: Dialect) -> str:
    """What a file of the dialect begins with (the BOM for spreadsheets)."""
    return BOM if dialect == "excel-de" else ""


def to_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], dialect: Dialect) -> bytes:
    """A whole (small) file."""
    return (start(dialect) + lines([header, *rows], dialect)).encode("utf-8")


def chunks(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    dialect: Dialect,
    *,
    rows_per_chunk: int = CHUNK_ROWS,
) -> Iterator[bytes]:
    """A file in pieces of ``rows_per_chunk`` rows, for streaming: memory stays flat however
    many rows ``rows`` yields."""
    yield (start(dialect) + lines([header], dialect)).encode("utf-8")
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= rows_per_chunk:
            yield lines(batch, dialect).encode("utf-8")
            batch = []
    if batch:
        yield lines(batch, dialect).encode("utf-8")
