"""HTML pages: the portfolio of a municipality per year, a page per building (consumption,
benchmark, baseline, the plan beside the thermostat schedule and what the building did, demand
events), and the printable annual report. No SQL here: the service reads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from allmende.modules.energy import calibrate, catalogue, charts, kpi, service
from allmende.modules.energy.api import SCOPE, visible_building
from allmende.modules.energy.catalogue import N_
from allmende.sdk import (
    Action,
    Caller,
    Municipality,
    RowId,
    app_context,
    can,
    formatting,
    utcnow,
)

pages = APIRouter(include_in_schema=False)


class Formats:
    def __init__(self, language: str) -> None:
        self.language = language

    def number(self, value: float | None, decimals: int = 0) -> str:
        return formatting.fixed(value, self.language, decimals)

    def hours(self, value: float) -> str:
        """Hours of the day as a clock time (7.5 → 07:30)."""
        hours, minutes = divmod(round(value * 60), 60)
        return f"{hours:02d}:{minutes:02d}"

    def time(self, value: datetime | None) -> str:
        return formatting.local_datetime(value, self.language)


MESSAGES = {
    "building": N_("The building was saved."),
    "zone": N_("The zone was saved."),
    "control": N_("The control settings were saved."),
    "meter": N_("The meter was saved."),
    "tariff": N_("The tariff was saved."),
    "calibrated": N_("The zone was calibrated on its measurements."),
}


def render(
    request: Request, template: str, values: Mapping[str, Any], *, status_code: int = 200
) -> Response:
    context = app_context(request)
    fmt = Formats(context.catalogs.negotiate(request))
    message = request.query_params.get("msg")
    flash = (
        context.catalogs.translator(request, "energy")(MESSAGES[message])
        if message in MESSAGES
        else None
    )
    base = {
        "flash": flash,
        "flash_kind": "ok",
        "fmt": fmt,
        "uses": catalogue.USE_BY_KEY,
        "carriers": catalogue.CARRIER_BY_KEY,
        "heating_labels": catalogue.HEATING_LABELS,
        "kpi_labels": kpi.LABELS,
        "source": catalogue.BENCHMARK_SOURCE,
        "reference_degree_days": catalogue.REFERENCE_DEGREE_DAYS,
    }
    return context.templates.render(request, template, {**base, **values}, status_code=status_code)


def _year(year: int | None) -> int:
    return year or (utcnow().year - 1)


@pages.get("/energy")
def portfolio_page(
    request: Request,
    principal: Caller,
    municipality: str | None = Query(None, max_length=40, pattern=r"^[a-z0-9-]*$"),
    year: int | None = Query(None, ge=1990, le=2100),
) -> Response:
    shown = _year(year)
    with app_context(request).database.session() as session:
        places = service.municipalities(session)
        chosen = next((m for m in places if m.key == municipality), places[0] if places else None)
        rows = []
        if chosen is not None:
            rows = [
                r
                for r in service.portfolio(session, municipality_id=chosen.id, year=shown)
                if r.building.public
                or can(principal, Action.READ_INTERNAL, municipality_id=chosen.id, scope=SCOPE)
            ]
        editor = chosen is not None and can(
            principal, Action.EDIT, municipality_id=chosen.id, scope=SCOPE
        )
        return render(
            request,
            "energy/portfolio.html",
            {"places": places, "chosen": chosen, "year": shown, "rows": rows, "editor": editor},
        )


@pages.get("/energy/report/{municipality}/{year}")
def report_page(request: Request, municipality: str, year: int, principal: Caller) -> Response:
    with app_context(request).database.session() as session:
        municipality_id = service.municipality_id_of(session, municipality)
        place = session.get(Municipality, municipality_id)
        rows = [
            r
            for r in service.portfolio(session, municipality_id=municipality_id, year=year)
            if r.building.public
            or can(principal, Action.READ_INTERNAL, municipality_id=municipality_id, scope=SCOPE)
        ]
        totals = {
            "heat": sum(r.heat_kwh for r in rows),
            "electricity": sum(r.electricity_kwh for r in rows),
            "cost": sum(r.cost for r in rows),
            "co2": sum(r.co2_kg for r in rows),
            "area": sum(r.building.floor_area for r in rows),
        }
        return render(
            request,
            "energy/report.html",
            {"place": place, "year": year, "rows": rows, "totals": totals},
        )


@pages.get("/energy/buildings/{building_id:int}")
def building_page(
    request: Request,
    building_id: RowId,
    principal: Caller,
    year: int | None = Query(None, ge=1990, le=2100),
) -> Response:
    shown = _year(year)
    now = utcnow()
    with app_context(request).database.session() as session:
        building = visible_building(session, principal, building_id)
        staff = can(
            principal, Action.READ_INTERNAL, municipality_id=building.municipality_id, scope=SCOPE
        )
        editor = can(principal, Action.EDIT, municipality_id=building.municipality_id, scope=SCOPE)
        summary = service.building_year(session, building=building, year=shown)
        start, end = service.year_bounds(shown)
        monthly = []
        for meter in service.meters(session, building_ids=[building.id]):
            found = service.buckets(session, meter=meter, start=start, end=end, resolution="month")
            monthly.append(
                {
                    "meter": meter,
                    "chart": charts.bars(
                        [s.strftime("%m") for s in found.starts],
                        found.values,
                        title=f"{meter.name} {shown}",
                        unit=catalogue.CARRIER_BY_KEY[meter.carrier].unit,
                    ),
                    "buckets": list(zip(found.starts, found.values, found.coverage, strict=True)),
                    "issues": found.issues,
                }
            )
        heat_meter = next(
            (
                m
                for m in service.meters(session, building_ids=[building.id])
                if catalogue.CARRIER_BY_KEY[m.carrier].heating
            ),
            None,
        )
        baseline_result = (
            service.meter_baseline(session, meter=heat_meter, start=start, end=end)
            if heat_meter is not None
            else None
        )
        zones = []
        for zone in service.zones(session, building_id=building.id) if staff else []:
            plan = service.latest_plan(session, zone_id=zone.id)
            comparison = (
                service.compare_with_schedule(session, zone=zone, plan=plan) if plan else None
            )
            sent, indoor = service.executed(
                session, zone=zone, start=now - timedelta(days=1), end=now
            )
            sent_times = [t.item().replace(tzinfo=UTC) for t in sent.times]
            indoor_times = [t.item().replace(tzinfo=UTC) for t in indoor.times]
            history = charts.lines(
                [
                    charts.Line("Sollwert (gesendet)", sent_times, list(sent.values), dashed=True),
                    charts.Line("Raumtemperatur (gemessen)", indoor_times, list(indoor.values)),
                ],
                title=f"{zone.name}: letzte 24 Stunden",
                unit="°C",
            )
            outlook = (
                charts.lines(
                    [
                        charts.Line(
                            "Plan (Optimierung)", comparison.grid, list(comparison.plan_t_air)
                        ),
                        charts.Line(
                            "Zeitplan-Thermostat",
                            comparison.grid,
                            list(comparison.schedule_t_air),
                            dashed=True,
                        ),
                        charts.Line(
                            "Komfortgrenze", comparison.grid, list(comparison.low), dashed=True
                        ),
                    ],
                    title=f"{zone.name}: nächste 24 Stunden",
                    unit="°C",
                )
                if comparison
                else None
            )
            zones.append(
                {
                    "zone": zone,
                    "plan": plan,
                    "comparison": comparison,
                    "history": history,
                    "outlook": outlook,
                }
            )
        events = service.demand_events(session, building_id=building.id) if staff else []
        return render(
            request,
            "energy/building.html",
            {
                "building": building,
                "summary": summary,
                "year": shown,
                "monthly": monthly,
                "baseline": baseline_result,
                "zones": zones,
                "events": events,
                "staff": staff,
                "editor": editor,
                "meters": service.meters(session, building_ids=[building.id]),
                "calibration_labels": calibrate.LABELS,
            },
        )
