"""HTML pages: the public "needs water" map with its list, a page per tree, the crews'
watering tours (screen, mobile and print), irrigation zones with their decisions, water meters
with consumption and leak evidence, and the probes' checks.

Everything works without JavaScript: the map is an enhancement of the list, charts are SVG
drawn on the server, forms post and redirect.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

from babel.dates import format_date
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from allmende.modules.water import charts, lists, service, usage, zones
from allmende.modules.water.catalogue import (
    BAND_LABELS,
    FORECAST_LABELS,
    LEAK_STATES,
    LOCAL_ZONE,
    METER_KINDS,
    N_,
    REASON_LABELS,
    SCOPE,
    SOURCE_LABELS,
    STATUS_LABELS,
    TASK_STATE_LABELS,
    WATER_USE_LABELS,
    WATERING_SOURCES,
    ZONE_KINDS,
)
from allmende.modules.water.schemas import TreeSettings, WateringCreate
from allmende.sdk import (
    Action,
    Caller,
    FieldError,
    Municipality,
    Principal,
    RowId,
    ValidationFailed,
    app_context,
    can,
    form_strings,
    formatting,
    list_municipalities,
    local_path,
    page_count,
    read_form,
    readable_municipalities,
    require,
    safe_next,
    utcnow,
)

pages = APIRouter(include_in_schema=False)
KEY_PATTERN = r"^([a-z0-9][a-z0-9_-]{0,39})?$"
PAGE_SIZE = 50
MESSAGES = {
    "watered": N_("The watering was recorded; the tree's water supply is updated."),
    "pit": N_("The tree pit was saved; the next calculation uses it."),
}


class Formats:
    """Numbers and times in the reader's language and the region's time zone."""

    def __init__(self, language: str) -> None:
        self.language = language

    def number(self, value: float | None, decimals: int = 0) -> str:
        return formatting.fixed(value, self.language, decimals)

    def time(self, value: datetime | None) -> str:
        return formatting.local_datetime(value, self.language)

    def day(self, value: date | str | None) -> str:
        if value is None:
            return "—"
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return format_date(day, "EEE d. MMM", locale=self.language)


def local_today() -> date:
    return utcnow().astimezone(LOCAL_ZONE).date()


def translate(request: Request) -> Callable[[str], str]:
    return app_context(request).catalogs.translator(request, "water")


def is_staff(principal: Principal) -> bool:
    return principal.is_admin or bool(principal.staff_of)


def render(request: Request, template: str, values: Mapping[str, Any]) -> Response:
    context = app_context(request)
    message = request.query_params.get("msg")
    base = {
        "fmt": Formats(context.catalogs.negotiate(request)),
        "flash": translate(request)(MESSAGES[message]) if message in MESSAGES else None,
        "is_staff": is_staff(getattr(request.state, "principal", None) or Principal()),
        "status_labels": STATUS_LABELS,
        "band_labels": BAND_LABELS,
        "source_labels": SOURCE_LABELS,
        "forecast_labels": FORECAST_LABELS,
        "reason_labels": REASON_LABELS,
        "task_state_labels": TASK_STATE_LABELS,
        "water_use_labels": WATER_USE_LABELS,
        "watering_sources": WATERING_SOURCES,
        "meter_kinds": METER_KINDS,
        "zone_kinds": ZONE_KINDS,
        "leak_states": LEAK_STATES,
        "band_of": lists.band_of,
    }
    return context.templates.render(request, template, {**base, **values})


def redirect(request: Request, path: str, message: str | None = None) -> RedirectResponse:
    path, _, fragment = path.partition("#")
    if message:
        path += ("&" if "?" in path else "?") + urlencode({"msg": message})
    return RedirectResponse(local_path(request, path + (f"#{fragment}" if fragment else "")), 303)


def _municipalities(session: Session) -> list[Municipality]:
    return list(list_municipalities(session))


def _float(fields: Mapping[str, str], name: str) -> float | None:
    text = fields.get(name, "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError as exc:
        raise ValidationFailed.one(name, N_("must be a number")) from exc
    if not math.isfinite(value):
        raise ValidationFailed.one(name, N_("must be a number"))
    return value


# --- the public map --------------------------------------------------------------------------


@pages.get("/water")
def index_page(
    request: Request,
    municipality: str | None = Query(None, max_length=40, pattern=KEY_PATTERN),
    district: str | None = Query(None, max_length=200),
    status: Literal["now", "soon", ""] | None = None,
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    with app_context(request).database.session() as session:
        places = _municipalities(session)
        chosen = next((m for m in places if m.key == municipality), None)
        mid = chosen.id if chosen else None
        rows, total = lists.trees_needing_water(
            session,
            municipality_id=mid,
            district=district or None,
            status=status or None,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
        )
        counts = lists.status_counts(session, municipality_id=mid)
        districts = lists.districts(session, municipality_id=mid)
    query = {
        k: v
        for k, v in (("municipality", municipality), ("district", district), ("status", status))
        if v
    }
    return render(
        request,
        "water/index.html",
        {
            "rows": rows,
            "total": total,
            "counts": counts,
            "municipalities": places,
            "districts": districts,
            "wanted": {
                "municipality": municipality or "",
                "district": district or "",
                "status": status or "",
            },
            "page": page,
            "pages": page_count(total, PAGE_SIZE),
            "query": urlencode(query),
        },
    )


# --- a tree ----------------------------------------------------------------------------------


@pages.get("/water/trees/{object_id}")
def tree_page(request: Request, object_id: RowId, principal: Caller) -> Response:
    gettext = translate(request)
    context = app_context(request)
    fmt = Formats(context.catalogs.negotiate(request))
    with context.database.session() as session:
        found = lists.tree_page(session, object_id=object_id)
        may_water = can(
            principal, Action.EDIT, municipality_id=found.tree.municipality_id, scope=SCOPE
        )
    tree = found.tree
    chart = None
    if tree.forecast_kpa:
        today = local_today()
        values = [tree.suction_kpa or 0.0, *tree.forecast_kpa]
        chart = charts.suction(
            values,
            key="forecast",
            title=gettext("Soil water suction: today and the coming days"),
            description=gettext(
                "Suction in kPa; below 33 the tree is well supplied, above 81 it needs water now."
            ),
            labels=[(i, fmt.day(today + timedelta(days=i))) for i in range(0, len(values), 3)],
        )
    return render(
        request,
        "water/tree.html",
        {
            "page": found,
            "tree": tree,
            "chart": chart,
            "may_water": may_water,
            "today": local_today(),
            "timedelta": timedelta,
        },
    )


@pages.post("/water/trees/{object_id}/waterings")
async def water_submit(request: Request, object_id: RowId, principal: Caller) -> Response:
    form = form_strings(await read_form(request))
    litres = _float(form, "litres")
    try:
        body = WateringCreate(litres=litres if litres is not None else 0)
    except ValidationError as exc:
        reason = N_("must be more than 0 and at most 1000 litres")
        raise ValidationFailed(
            detail=f"litres: {reason}", errors=[FieldError("litres", reason)]
        ) from exc
    await app_context(request).database.awrite(
        lambda s: service.record_crew_watering(
            s, principal=principal, object_id=object_id, litres=body.litres
        )
    )
    target = safe_next(form.get("next"), f"/water/trees/{object_id}")
    return redirect(request, target, "watered")


@pages.post("/water/trees/{object_id}/pit")
async def pit_submit(request: Request, object_id: RowId, principal: Caller) -> Response:
    form = form_strings(await read_form(request))
    sealed = _float(form, "sealed_percent")
    try:
        data = TreeSettings(
            pit_volume_m3=_float(form, "pit_volume_m3"),
            open_area_m2=_float(form, "open_area_m2"),
            sealed_share=None if sealed is None else sealed / 100,
            microclimate=_float(form, "microclimate"),
        )
    except ValidationError as exc:
        errors = [
            FieldError(
                "sealed_percent" if e["loc"][0] == "sealed_share" else str(e["loc"][0]),
                str(e["msg"]),
            )
            for e in exc.errors()
        ]
        raise ValidationFailed(
            detail="; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors
        ) from exc
    await app_context(request).database.awrite(
        lambda s: service.set_pit(s, principal=principal, object_id=object_id, data=data)
    )
    return redirect(request, f"/water/trees/{object_id}", "pit")


# --- crews -----------------------------------------------------------------------------------


@pages.get("/water/crews")
def crews_page(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40, pattern=KEY_PATTERN),
    view: Literal["screen", "print", "mobile"] = "screen",
    district: str | None = Query(None, max_length=200),
) -> Response:
    """One tour a page (a crew walks one district), the most urgent first; the other tours
    are linked by their district, which stays the same while the tours' order changes."""
    with app_context(request).database.session() as session:
        places = [
            m
            for m in _municipalities(session)
            if can(principal, Action.READ_INTERNAL, municipality_id=m.id, scope=SCOPE)
        ]
        if not places:
            require(principal, Action.READ_INTERNAL, municipality_id=0, scope=SCOPE)
        chosen = next((m for m in places if m.key == municipality), places[0])
        tours = lists.crew_tours(session, principal=principal, municipality_id=chosen.id)
    number = next((i for i, t in enumerate(tours, 1) if t.district == district), 1)
    shown = tours[number - 1] if tours else None

    def link(tour: lists.Tour | None, shown_as: str = view) -> str:
        query = {"municipality": chosen.key, "view": shown_as}
        if tour is not None:
            query["district"] = tour.district
        return f"/water/crews?{urlencode(query)}"

    return render(
        request,
        "water/crews.html",
        {
            "tours": [(t, link(t)) for t in tours],
            "tour": shown,
            "number": number,
            "views": {v: link(shown, v) for v in ("screen", "mobile", "print")},
            "municipalities": places,
            "chosen": chosen,
            "view": view,
            "today": local_today(),
            "next": link(shown),
        },
    )


# --- irrigation ------------------------------------------------------------------------------


def _readable(principal: Principal) -> list[int] | None:
    readable = readable_municipalities(principal, scope=SCOPE)
    return None if readable is None else sorted(readable)


@pages.get("/water/zones")
def zones_page(request: Request, principal: Caller) -> Response:
    if not principal.is_authenticated:
        require(principal, Action.READ_INTERNAL, municipality_id=0, scope=SCOPE)
    with app_context(request).database.session() as session:
        found = zones.zones_of(session, principal=principal, municipality_ids=_readable(principal))
        rows = [(z, zones.decisions(session, zone=z, limit=7)) for z in found]
        failed = zones.failed_valves(session, municipality_ids=_readable(principal))
    return render(
        request, "water/zones.html", {"rows": rows, "failed": failed, "soil_band": zones.soil_band}
    )


@pages.get("/water/zones/{zone_id}")
def zone_page(request: Request, zone_id: RowId, principal: Caller) -> Response:
    with app_context(request).database.session() as session:
        zone = zones.get_zone(session, principal=principal, zone_id=zone_id)
        log = zones.decisions(session, zone=zone, limit=60)
    return render(
        request, "water/zone.html", {"zone": zone, "log": log, "soil_band": zones.soil_band}
    )


# --- meters ----------------------------------------------------------------------------------


@pages.get("/water/meters")
def meters_page(request: Request, principal: Caller) -> Response:
    with app_context(request).database.session() as session:
        rows = usage.meters_for(session, principal=principal)
        staff = {m.id: usage.can_manage(principal, m.municipality_id) for m in rows}
    return render(request, "water/meters.html", {"rows": rows, "staff": staff})


@pages.get("/water/meters/{meter_id}")
def meter_page(request: Request, meter_id: RowId, principal: Caller) -> Response:
    gettext = translate(request)
    context = app_context(request)
    fmt = Formats(context.catalogs.negotiate(request))
    with context.database.session() as session:
        row = usage.meter(session, principal=principal, meter_id=meter_id)
        board = usage.dashboard(session, meter_row=row, now=utcnow())
        found = usage.leaks_of(session, principal=principal, meter_row=row)
    daily = charts.bars(
        [t.litres / 1000 for t in board.days],
        key="daily",
        title=gettext("Water per day"),
        description=gettext(
            "Cubic metres per day over the last 31 days; the table below has the numbers."
        ),
        unit="m³",
        labels=[(i, fmt.day(t.label)) for i, t in enumerate(board.days) if i % 7 == 0],
    )
    evidence = {}
    for leak in found:
        hours = leak.evidence.get("litres_per_hour", [])
        evidence[leak.id] = charts.bars(
            hours,
            key=f"leak-{leak.id}",
            title=gettext("Hourly flow before the alarm"),
            description=gettext(
                "Litres per hour over the three days up to the alarm; nights (0 to 5 h) are "
                "shaded, the dashed line is the usual night minimum."
            ),
            unit="l/h",
            shaded=leak.evidence.get("night_hours", []),
            reference=leak.usual_night_minimum_l_per_h,
        )
    return render(
        request,
        "water/meter.html",
        {"meter": row, "board": board, "daily_chart": daily, "leaks": found, "evidence": evidence},
    )


# --- probes ----------------------------------------------------------------------------------


@pages.get("/water/probes")
def probes_page(request: Request, principal: Caller) -> Response:
    if not principal.is_authenticated:
        require(principal, Action.READ_INTERNAL, municipality_id=0, scope=SCOPE)
    readable = _readable(principal)
    with app_context(request).database.session() as session:
        rows = lists.probes(session, municipality_ids=readable)
        trees = lists.trees_by_id(session, [p.tree_id for p in rows if p.tree_id])
    return render(request, "water/probes.html", {"rows": rows, "trees": trees})
