"""HTML pages: every sensor Thing on a map and in a table (filter by municipality and kind),
and a page per Thing with the latest value of each Datastream and a chart per period.

Everything works without JavaScript: the map is an enhancement of the table, the charts are
inline SVG drawn here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from allmende.modules.sensors import charts, service
from allmende.modules.sensors.catalogue import (
    PERIODS,
    STATION_KINDS,
    Kind,
    unit_symbol,
)
from allmende.sdk import (
    GEOJSON_MEDIA_TYPE,
    Caller,
    Municipality,
    RowId,
    app_context,
    formatting,
    list_municipalities,
    local_path,
    sensing,
    utcnow,
)

pages = APIRouter(include_in_schema=False)
PeriodKey = Literal["24h", "7d", "30d"]
#: A municipality or kind key; empty is "all" (what the filter form sends for its first option).
KEY_PATTERN = r"^([a-z0-9][a-z0-9_-]{0,39})?$"
#: Sensors a page of the list (the map shows all of them).
PAGE_SIZE = 25
ONE_DAY = timedelta(days=1)


class Formats:
    """Numbers and times in the reader's language and the region's time zone."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._times: dict[datetime, tuple[str, str]] = {}  # a station's charts share times
        self._days: dict[datetime, str] = {}

    def number(self, value: float | None, decimals: int = 1) -> str:
        return formatting.fixed(value, self.language, decimals)

    def time(self, value: datetime | None) -> str:
        return self._written(value)[0] if value else formatting.local_datetime(None, self.language)

    def iso(self, value: datetime | None) -> str:
        return self._written(value)[1] if value else ""

    def day(self, value: datetime) -> str:
        """The local day ``value`` falls on (a table of days needs no time of day)."""
        found = self._days.get(value)
        if found is None:
            found = self._days[value] = formatting.local_date(value, self.language)
        return found

    def _written(self, value: datetime) -> tuple[str, str]:
        found = self._times.get(value)
        if found is None:
            found = self._times[value] = (
                formatting.local_datetime(value, self.language),
                value.isoformat(),
            )
        return found


class TableRow(NamedTuple):
    """A row of a chart's table: the interval's start (machine-readable and as shown) and its
    figures, written."""

    iso: str
    time: str
    cells: list[str]


def table_rows(data: service.Series, kind: Kind, fmt: Formats, *, days: bool) -> list[TableRow]:
    """The chart's values as its table shows them: the sum of an amount, else the mean, lowest
    and highest (written here once, not by a template call per figure); rows of ``days`` by
    their date alone."""
    places = kind.decimals
    start = fmt.day if days else fmt.time
    return [
        TableRow(
            fmt.iso(b.start),
            start(b.start),
            [fmt.number(b.total, places)]
            if kind.style == "bar"
            else [
                fmt.number(b.mean, places),
                fmt.number(b.low, places),
                fmt.number(b.high, places),
            ],
        )
        for b in data.table
    ]


def translate(request: Request) -> Callable[[str], str]:
    return app_context(request).catalogs.translator(request, "sensors")


def render(
    request: Request,
    template: str,
    values: Mapping[str, Any],
    *,
    fmt: Formats,
    status_code: int = 200,
) -> Response:
    """A page with the request's ``fmt`` (the one its rows were written with: the times it
    wrote are kept)."""
    context = app_context(request)
    base = {"fmt": fmt, "station_kinds": STATION_KINDS, "periods": PERIODS, "unit": unit_symbol}
    return context.templates.render(request, template, {**base, **values}, status_code=status_code)


class Latest(NamedTuple):
    """A Datastream's latest value as pages write it; ``value`` None: none yet."""

    label: str
    value: str | None
    unit: str


def _latest(
    gettext: Callable[[str], str],
    fmt: Formats,
    stream: sensing.StreamSummary,
    kind: Kind,
    named: bool,
) -> Latest:
    value = stream.latest_value
    if stream.latest_time is None:
        shown = None
    elif isinstance(value, bool):  # a contact, rain or not: before int, which bool is
        shown = gettext("yes") if value else gettext("no")
    elif isinstance(value, int | float):
        shown = fmt.number(value, kind.decimals)
    elif isinstance(value, str):  # stored as a source string: translated if the catalogue can
        shown = gettext(value) if value else value
    else:
        shown = str(value)
    label = stream.name if named else gettext(kind.label)
    return Latest(label, shown, unit_symbol(stream.unit_symbol))


def _rows(
    things: Sequence[sensing.ThingSummary],
    known: Sequence[Kind],
    gettext: Callable[[str], str],
    fmt: Formats,
) -> list[tuple[sensing.ThingSummary, list[Latest]]]:
    """Each Thing with its Datastreams' latest values, labelled by their kinds; a kind measured
    twice (soil moisture at two depths) is labelled by the Datastream's name instead."""
    rows = []
    for thing in things:
        kinds = [service.kind_of(s, known) for s in thing.streams]
        keys = [k.key for k in kinds]
        rows.append(
            (
                thing,
                [
                    _latest(gettext, fmt, s, k, keys.count(k.key) > 1)
                    for s, k in zip(thing.streams, kinds, strict=True)
                ],
            )
        )
    return rows


def _municipalities(session: Session) -> list[Municipality]:
    return list(list_municipalities(session))


@pages.get("/sensors")
def index_page(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40, pattern=KEY_PATTERN),
    kind: str | None = Query(None, max_length=40, pattern=KEY_PATTERN),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    context = app_context(request)
    fmt = Formats(context.catalogs.negotiate(request))
    with context.database.session() as session:
        known = service.kinds(session)
        f = service.resolve_filter(session, municipality=municipality, kind=kind, known=known)
        shown = service.page_of_things(
            session, principal=principal, f=f, number=page, size=PAGE_SIZE
        )
        places = _municipalities(session)
        query = urlencode({k: v for k, v in (("municipality", municipality), ("kind", kind)) if v})
        return render(
            request,
            "sensors/index.html",
            {
                "rows": _rows(shown.items, known, translate(request), fmt),
                "total": shown.total,
                "on_map": min(shown.total, sensing.MAX_THINGS),
                "page": shown.number,
                "pages": shown.pages,
                "kinds": known,
                "municipalities": places,
                "place_names": {m.id: m.name for m in places},
                "wanted": {"municipality": municipality or "", "kind": kind or ""},
                "query": query,
            },
            fmt=fmt,
        )


@pages.get("/sensors/map.geojson")
def map_data(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40, pattern=KEY_PATTERN),
    kind: str | None = Query(None, max_length=40, pattern=KEY_PATTERN),
    thing: int | None = Query(None, ge=1, le=2**63 - 1),
) -> Response:
    """The Things of the list as GeoJSON points, with their latest values as the popup text."""
    gettext = translate(request)
    context = app_context(request)
    fmt = Formats(context.catalogs.negotiate(request))
    with context.database.session() as session:
        known = service.kinds(session)
        if thing is not None:
            found = sensing.list_things(session, principal=principal, thing_ids=[thing])
        else:
            f = service.resolve_filter(session, municipality=municipality, kind=kind, known=known)
            found = service.things(session, principal=principal, f=f)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [t.lon, t.lat]},
            "properties": {
                "name": t.name,
                "url": local_path(request, f"/sensors/{t.id}"),
                "kind": str(t.properties.get("kind", "sensor")),
                "description": " · ".join(
                    f"{c.label}: {c.value} {c.unit}".rstrip() for c in row if c.value is not None
                ),
            },
        }
        for t, row in _rows(found, known, gettext, fmt)
        if t.lon is not None and t.lat is not None
    ]
    return JSONResponse(
        {"type": "FeatureCollection", "features": features}, media_type=GEOJSON_MEDIA_TYPE
    )


@pages.get("/sensors/{thing_id}")
def thing_page(
    request: Request, thing_id: RowId, principal: Caller, period: PeriodKey = Query("24h")
) -> Response:
    chosen = PERIODS[period]
    context = app_context(request)
    fmt = Formats(context.catalogs.negotiate(request))
    gettext = translate(request)
    with context.database.session() as session:
        thing = sensing.get_thing(session, principal=principal, thing_id=thing_id)
        known = service.kinds(session)
        municipality = session.get(Municipality, thing.municipality_id)
        # Charts end with the hour of the newest value, so a station that stopped sending
        # still shows its last data.
        latest = thing.latest_time or utcnow()
        end = latest.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        kinds = [(stream, service.kind_of(stream, known)) for stream in thing.streams]
        found = service.series(session, streams=kinds, period=chosen, end=end)
        panels = []
        for stream, kind in kinds:
            data = found[stream.id]
            chart = charts.build(
                start=data.start,
                end=data.end,
                points=data.points,
                low=data.low,
                high=data.high,
                style=kind.style,
                step=data.step,
                number=fmt.number,
            )
            panels.append(
                {
                    "stream": stream,
                    "kind": kind,
                    "latest": _latest(gettext, fmt, stream, kind, named=False),
                    "series": data,
                    "chart": chart,
                    "rows": table_rows(data, kind, fmt, days=chosen.table_step >= ONE_DAY),
                }
            )
    return render(
        request,
        "sensors/thing.html",
        {
            "thing": thing,
            "municipality": municipality,
            "panels": panels,
            "period": chosen,
            "sta_link": local_path(request, f"/v1.1/Things({thing.id})"),
        },
        fmt=fmt,
    )
