"""Allmende extension: Observations aggregated per interval, computed in SQL on both backends.

``GET /v1.1/Datastreams(1)/Observations?$aggregate=PT1H&$filter=phenomenonTime ge …`` answers
one entry per Datastream and interval (UTC) with ``count``, ``min``, ``max``, ``avg`` and
``sum`` of the numeric results. Intervals are fixed durations (``PT15M``, ``PT1H``, ``P1D``,
``P1W`` — weeks start on Monday) or calendar months and years (``P1M``, ``P1Y``).
``$filter`` selects the Observations; ``$top``, ``$skip`` and ``$count`` page the intervals.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from allmende.core.errors import BadRequest, ValidationFailed
from allmende.sensing.models import Observation, ResultKind
from allmende.sensing.times import (
    MAX_MICROS,
    MIN_MICROS,
    format_interval,
    from_micros,
    parse_micros_duration,
    to_micros,
)
from allmende.standards.sensorthings.exchange import StaResponse, path_text
from allmende.standards.sensorthings.paths import ResourcePath
from allmende.standards.sensorthings.query.compiler import Compiler, Scope
from allmende.standards.sensorthings.query.options import Query
from allmende.standards.sensorthings.query.parser import QueryError
from allmende.standards.sensorthings.query.sql import MonthStart, floor_to
from allmende.standards.sensorthings.reader import COUNT, NEXT_LINK, ReadContext, Target

WEEK = 7 * 86_400_000_000
MONDAY = 4 * 86_400_000_000  # 1970-01-05, the first Monday after the epoch
MIN_WIDTH = 1_000_000  # one second


def _bucket(spec: str) -> tuple[Any, str | int]:
    """The SQL start of an Observation's interval, and the interval (µs or 'month'/'year')."""
    text = spec.strip().upper()
    column = Observation.phenomenon_time
    if text in ("P1M", "P1Y"):
        unit = "month" if text == "P1M" else "year"
        return MonthStart(column, unit), unit
    try:
        width = parse_micros_duration(text, field="$aggregate")
    except ValidationFailed as exc:
        raise QueryError(
            detail=f"$aggregate: '{text[:40]}' {exc.errors[0].reason}; "
            "or P1M / P1Y for calendar months and years."
        ) from None
    if width < MIN_WIDTH:
        raise QueryError(detail="$aggregate: the interval must be at least one second.")
    if width % WEEK == 0:
        return floor_to(column - literal(MONDAY), width) + literal(MONDAY), width
    return floor_to(column, width), width


def _end(start: int, interval: str | int) -> int:
    if isinstance(interval, int):
        return start + interval
    moment = from_micros(start)
    if interval == "month":
        year, month = (
            (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
        )
    else:
        year, month = moment.year + 1, 1
    return to_micros(datetime(year, month, 1, tzinfo=UTC))


def aggregate(
    session: Session, context: ReadContext, target: Target, path: ResourcePath, query: Query
) -> StaResponse:
    if target.etype.name != "Observation" or target.single or path.prop is not None:
        raise BadRequest(detail="$aggregate applies to a collection of Observations.")
    bucket, interval = _bucket(query.extensions["$aggregate"])
    options = query.options
    # Times stored before the supported range was enforced fall in no interval.
    condition = and_(
        target.condition,
        Observation.datastream_id.is_not(None),
        Observation.phenomenon_time.between(MIN_MICROS, MAX_MICROS),
    )
    if options.filter is not None:
        compiler = Compiler("$filter", context.visibility)
        condition = and_(
            condition, compiler.condition(options.filter, Scope(target.etype, Observation))
        )
    numeric = case(
        (
            Observation.result_kind.in_([ResultKind.INTEGER, ResultKind.FLOAT]),
            Observation.result_number,
        ),
        else_=None,
    )
    grouped = (
        select(
            Observation.datastream_id.label("datastream_id"),
            bucket.label("start"),
            func.count(numeric).label("n"),
            func.min(numeric).label("low"),
            func.max(numeric).label("high"),
            func.avg(numeric).label("mean"),
            func.sum(numeric).label("total"),
        )
        .where(condition)
        .group_by(Observation.datastream_id, bucket)
    ).subquery()
    top = context.default_top if options.top is None else min(options.top, context.max_top)
    rows = session.execute(
        select(grouped)
        .order_by(grouped.c.datastream_id, grouped.c.start)
        .offset(options.skip)
        .limit(top + 1)
    ).all()
    body: dict[str, Any] = {}
    if options.count:
        body[COUNT] = int(session.scalar(select(func.count()).select_from(grouped)) or 0)
    body["value"] = [
        {
            "Datastream@iot.navigationLink": f"{context.root}/Datastreams({r.datastream_id})",
            "phenomenonTime": format_interval(int(r.start), _end(int(r.start), interval)),
            "count": int(r.n),
            "min": _number(r.low),
            "max": _number(r.high),
            "avg": _number(r.mean),
            "sum": _number(r.total),
        }
        for r in rows[:top]
    ]
    if top and len(rows) > top:  # $top=0: no next page (it would be this one again)
        link = f"{context.root}/{path_text(path)}"
        body[NEXT_LINK] = f"{link}?{query.link_query(skip=options.skip + top, top=top)}"
    return StaResponse.json(body)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)
