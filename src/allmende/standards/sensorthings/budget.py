"""What one read may cost, and what it has cost so far.

``$top`` bounds each level of ``$expand``, not the answer: it grows by a factor per level,
and an entity expanded into many parents (the Thing of every Datastream) is built once but
written once per parent. So the shape of ``$expand`` is checked before anything runs, every
query fetches no more rows than are left, each built entity is weighed (entities and bytes,
with everything expanded into it) as it joins its parents, and the read has a deadline.
The limits are settings (``sensorthings_max_*``, ``sensorthings_timeout_seconds``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from allmende.core.errors import BadRequest, ServiceUnavailable
from allmende.core.settings import Settings
from allmende.standards.sensorthings.query import ast
from allmende.standards.sensorthings.query.parser import QueryError


@dataclass(frozen=True)
class Limits:
    """What one read may cost: the settings ``sensorthings_max_*`` and the time-out."""

    expand_depth: int
    expands: int
    entities: int
    response_bytes: int
    timeout: float

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            expand_depth=settings.sensorthings_max_expand_depth,
            expands=settings.sensorthings_max_expands,
            entities=settings.sensorthings_max_entities,
            response_bytes=settings.sensorthings_max_response_bytes,
            timeout=settings.sensorthings_timeout_seconds,
        )


class ResultTooLarge(BadRequest):
    code = "result-too-large"
    title = "Result too large"


def timed_out(limits: Limits) -> ServiceUnavailable:
    retry = str(max(1, math.ceil(limits.timeout)))
    return ServiceUnavailable(
        detail=f"The request ran out of time: one request may take {limits.timeout:g} s. "
        "Narrow it (a $filter, a smaller $top, less $expand) or try again later.",
        headers={"Retry-After": retry},
    )


def result_too_large(limits: Limits) -> ResultTooLarge:
    return ResultTooLarge(
        detail=f"The answer would hold more than {limits.entities} entities or "
        f"{limits.response_bytes} bytes (an expanded entity counts each time it appears); "
        "ask for less: a smaller $top, fewer or shallower $expand, or $select."
    )


def check_expand(expands: Sequence[ast.Expand], limits: Limits) -> None:
    """Refuse an ``$expand`` deeper or wider than the limits, before anything runs."""
    depth, count = _expand_shape(expands)
    if depth > limits.expand_depth:
        raise QueryError(
            detail=f"$expand: nests {depth} navigation properties; at most "
            f"{limits.expand_depth} levels are expanded in one request."
        )
    if count > limits.expands:
        raise QueryError(
            detail=f"$expand: expands {count} navigation properties; at most "
            f"{limits.expands} are expanded in one request."
        )


def _expand_shape(expands: Sequence[ast.Expand]) -> tuple[int, int]:
    """The deepest path and the number of navigation properties of an ``$expand`` tree."""
    deepest = count = 0
    for item in expands:
        depth, inner = _expand_shape(item.options.expand)
        deepest = max(deepest, len(item.path) + depth)
        count += len(item.path) + inner
    return deepest, count


@dataclass
class Budget:
    """The rows one read has fetched, the weight of what it has built, and its deadline.

    An entity expanded into several parents (the Thing of every Datastream) is built once but
    written once per parent, so each entity's weight (entities and bytes, with everything
    expanded into it) is added to every parent that holds it: an answer that would grow
    beyond the limits is refused while it is built, before it is written."""

    limits: Limits
    deadline: float
    fetched: int = 0
    _weights: dict[int, tuple[int, int]] = field(default_factory=dict)

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise timed_out(self.limits)

    def rows_allowed(self) -> int:
        """How many rows the next query may return (one more than the budget shows that the
        answer would be too large)."""
        return max(0, self.limits.entities - self.fetched) + 1

    def took(self, rows: int) -> None:
        self.fetched += rows
        if self.fetched > self.limits.entities:
            raise self.too_large()

    def weigh(self, entity: dict[str, Any]) -> None:
        """An expanded entity as rendered (before anything is expanded into it)."""
        self._weights[id(entity)] = (1, len(orjson.dumps(entity)))

    def attach(self, parent: dict[str, Any], child: dict[str, Any]) -> None:
        """``child`` (with all that is expanded into it) is now part of ``parent``."""
        entities, size = self._weights.get(id(parent), (1, 0))
        child_entities, child_size = self._weights.get(id(child), (1, 0))
        entities, size = entities + child_entities, size + child_size
        if entities > self.limits.entities or size > self.limits.response_bytes:
            raise self.too_large()
        self._weights[id(parent)] = (entities, size)

    def check_answer(self, items: Sequence[dict[str, Any]]) -> None:
        """The entities of a page (or one entity), each with what is expanded into it."""
        entities = size = 0
        for item in items:
            weight = self._weights.get(id(item), (1, 0))
            entities += weight[0]
            size += weight[1]
        if entities > self.limits.entities or size > self.limits.response_bytes:
            raise self.too_large()

    def check_size(self, body: bytes) -> None:
        if len(body) > self.limits.response_bytes:
            raise self.too_large()

    def too_large(self) -> ResultTooLarge:
        return result_too_large(self.limits)
