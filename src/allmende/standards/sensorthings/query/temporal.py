"""The temporal relations of OGC 18-088 / OData between instants and intervals, as SQL.

Intervals are half-open [start, end). A value is an instant, an interval, or (a column such as
an Observation's phenomenonTime) either; each relation is spelled out per combination.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, false, not_, or_, true

from allmende.standards.sensorthings.query.values import Value, operate


def is_instant(value: Value) -> Any:
    if isinstance(value.interval, bool):
        return false() if value.interval else true()
    return not_(value.interval)


def cases(value: Value) -> list[tuple[Any, bool, Any, Any]]:
    """(guard, is interval, start, end) for each shape the value may have."""
    if isinstance(value.interval, bool):
        if value.interval:
            return [(true(), True, value.start, value.end)]
        return [(true(), False, value.start, value.start)]
    return [
        (not_(value.interval), False, value.start, value.start),
        (value.interval, True, value.start, value.end),
    ]


def relation_case(
    name: str,
    interval_a: bool,
    start_a: Any,
    end_a: Any,
    interval_b: bool,
    start_b: Any,
    end_b: Any,
) -> Any:
    if name == "before":
        return end_a <= start_b if interval_a else start_a < start_b
    if name == "le":
        if interval_a and interval_b:
            return and_(start_a <= start_b, end_a <= end_b)
        if interval_a:
            return end_a <= start_b
        return start_a <= start_b
    if name == "eq":
        if interval_a != interval_b:
            return None
        if interval_a:
            return and_(start_a == start_b, end_a == end_b)
        return start_a == start_b
    if name == "meets":
        return or_(end_a == start_b, start_a == end_b)
    if name == "during":
        if not interval_b:
            return None
        if interval_a:
            return and_(start_a >= start_b, end_a <= end_b)
        return and_(start_b <= start_a, start_a < end_b)
    if name == "overlaps":
        if interval_a and interval_b:
            return and_(start_a < end_b, end_a > start_b)
        if interval_a:
            return and_(start_a <= start_b, start_b < end_a)
        if interval_b:
            return and_(start_b <= start_a, start_a < end_b)
        return start_a == start_b
    if name == "starts":
        return start_a == start_b
    if name == "finishes":
        return end_a == end_b
    raise ValueError(name)  # pragma: no cover


def sargable(name: str, a: Value, b: Value) -> Any:
    """A condition on the start column that the relation implies, so an index can serve it."""
    if a.is_literal == b.is_literal:
        return None
    implied = {"before": "lt", "le": "le", "eq": "eq", "starts": "eq"}
    if name not in implied:
        return None
    op = implied[name]
    if a.is_literal:  # mirror: literal OP column  ==  column OP' literal
        op = {"lt": "gt", "le": "ge", "eq": "eq"}[op]
        a, b = b, a
    return operate(op, a.start, b.start)
