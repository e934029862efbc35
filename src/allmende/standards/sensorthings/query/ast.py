"""The parsed query: expressions of ``$filter``/``$orderby`` and the query options around them.

Every node keeps the position (1-based column) of its text, so a later error (an unknown
property, a type mismatch) can point at the offending part of the option.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Node:
    position: int


@dataclass(frozen=True)
class Literal(Node):
    """``kind``: number, string, boolean, null, instant, interval, date, time, duration,
    geometry. Times are microseconds; an interval is (start, end); a date is the
    microseconds of its midnight; a time the microseconds since midnight; a geometry shapely."""

    kind: str
    value: Any


@dataclass(frozen=True)
class Segment:
    name: str
    indexes: tuple[int, ...] = ()


@dataclass(frozen=True)
class Lambda:
    """``any(v: expr)`` / ``all(v: expr)`` at the end of a member path."""

    quantifier: str
    variable: str | None
    body: Node | None


@dataclass(frozen=True)
class Member(Node):
    """A path like ``Datastream/Thing/name``, ``properties/a/b`` or ``Datastreams/any(…)``."""

    segments: tuple[Segment, ...]
    lambda_: Lambda | None = None

    @property
    def text(self) -> str:
        return "/".join(s.name + "".join(f"[{i}]" for i in s.indexes) for s in self.segments)


@dataclass(frozen=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Binary(Node):
    """``op``: or, and, eq, ne, gt, ge, lt, le, add, sub, mul, div, divby, mod."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class Negative(Node):
    operand: Node


@dataclass(frozen=True)
class In(Node):
    value: Node
    items: tuple[Node, ...]


@dataclass(frozen=True)
class OrderBy:
    expression: Node
    descending: bool = False


@dataclass
class Expand:
    """One ``$expand`` item: a navigation path with the options for its last step."""

    path: tuple[str, ...]
    options: QueryOptions
    position: int = 0


@dataclass
class QueryOptions:
    """The system query options of one request or one ``$expand`` level."""

    filter: Node | None = None
    select: list[Member] | None = None  # None: everything
    expand: list[Expand] = field(default_factory=list)
    orderby: list[OrderBy] = field(default_factory=list)
    top: int | None = None
    skip: int = 0
    count: bool | None = None
    result_format: str | None = None
    #: The options as written (name without '$' → value), for the next-page links.
    raw: dict[str, str] = field(default_factory=dict)
