"""An Observation's result in four columns: its kind, and a number, a text or JSON.

Numbers (and booleans, as 1/0) go to ``result_number`` so filters and aggregates compare and
sum them in SQL; strings (and integers too large for a float) to ``result_text``; objects and
arrays to ``result_json``.
"""

from __future__ import annotations

from typing import Any

import orjson

from allmende.sensing.models import ResultKind

#: Integers beyond this are kept exactly as JSON instead of as a (rounded) float.
SAFE_INTEGER = 2**53

EncodedResult = tuple[int, float | None, str | None, str | None]
_NULL: EncodedResult = (ResultKind.NULL, None, None, None)


def encode_result(value: Any) -> EncodedResult:
    """(kind, number, text, JSON text) for the result columns."""
    kind = type(value)
    if kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("a result must be a finite number")
        return (ResultKind.FLOAT, value, None, None)
    if kind is int:
        if -SAFE_INTEGER <= value <= SAFE_INTEGER:
            return (ResultKind.INTEGER, float(value), None, None)
        return (ResultKind.BIG_INTEGER, None, str(value), None)
    if kind is str:
        return (ResultKind.STRING, None, value, None)
    if kind is bool:
        return (ResultKind.BOOLEAN, 1.0 if value else 0.0, None, None)
    if value is None:
        return _NULL
    return (ResultKind.JSON, None, None, to_json(value))


def to_json(value: Any) -> str:
    """JSON text of a value; ValueError for what JSON cannot hold (NaN, 65-bit integers)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError as exc:
        raise ValueError(f"cannot be stored as JSON: {exc}") from None


def decode_result(kind: int, number: float | None, text: str | None, data: Any) -> Any:
    if kind == ResultKind.INTEGER:
        return None if number is None else int(number)
    if kind == ResultKind.FLOAT:
        return number
    if kind == ResultKind.STRING:
        return text
    if kind == ResultKind.BOOLEAN:
        return None if number is None else bool(number)
    if kind == ResultKind.JSON:
        return orjson.loads(data) if isinstance(data, str | bytes) else data
    if kind == ResultKind.BIG_INTEGER:
        return None if text is None else int(text)
    return None
