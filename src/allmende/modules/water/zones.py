"""Irrigation zones: their valves as SensorThings Tasking Actuators, the controller's daily
decision and its log.

Each zone has a valve Thing (internal) with the TaskingCapability "Bewässerung" whose Tasks
say ``{"minutes": n}``: open for n minutes now. Every morning after ``DECISION_HOUR`` (local
time) the controller carries the zone's balance to the end of yesterday (the station's ET0 and
rain, and the irrigation the valve confirmed), corrects it by the zone's probe, reads the
coming two days (forecast or climatology, as the tree balance stored them) and decides (see
:mod:`irrigation`). The decision, with its reason and numbers, is stored whether it waters or
not; a watering becomes a Task. A valve that does not acknowledge is retried by the kernel and
after the last attempt marked failed (staff are notified); the zone's page shows it, and the
water is not counted as given.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.water import irrigation, probes, soil
from allmende.modules.water import stations as meteo
from allmende.modules.water.catalogue import LOCAL_ZONE, N_, SCOPE
from allmende.modules.water.models import Decision, Station, Zone
from allmende.modules.water.schemas import ZoneCreate
from allmende.sdk import (
    Action,
    Database,
    Message,
    Municipality,
    NotFound,
    Principal,
    ValidationFailed,
    acting_for,
    actuation,
    require,
    sensing,
    utcnow,
    vocabulary,
)

DECISION_HOUR = 4
ORIGIN = "water.irrigation"
CAPABILITY = "Bewässerung"
VALVE_PARAMETERS = {
    "type": "DataRecord",
    "field": [
        {
            "name": "minutes",
            "label": "Laufzeit",
            "description": "Open the valve now for this many minutes.",
            "type": "Quantity",
            "uom": {"code": "min"},
            "constraint": {"type": "AllowedValues", "interval": [[0, 240]]},
        }
    ],
}
PROBE_SIGMA = 0.06
#: The controller's model drift per day, as a share of the day's demand (see season.py).
DRIFT = 0.25


def create_zone(session: Session, *, principal: Principal, data: ZoneCreate) -> Zone:
    """A zone with its valve Thing and TaskingCapability (staff of its municipality)."""
    require(principal, Action.EDIT, municipality_id=data.municipality_id, scope=SCOPE)
    if session.get(Municipality, data.municipality_id) is None:
        raise ValidationFailed.one("body.municipality_id", N_("no such municipality"))
    return make_zone(session, data=data)


def make_zone(session: Session, *, data: ZoneCreate) -> Zone:
    reader = working_for(data.municipality_id)
    station = data.station_thing_id
    if station is not None and not meteo.find_stations(
        session, principal=reader, thing_ids=[station]
    ):
        raise ValidationFailed.one(
            "body.station_thing_id",
            N_("is no weather station of the region that the municipality may read"),
        )
    probe_kind = None
    if data.probe_datastream_id is not None:
        probe_kind = _probe_kind(session, data.probe_datastream_id, reader)
        if probe_kind is None:
            raise ValidationFailed.one(
                "body.probe_datastream_id",
                N_("is no soil probe's Datastream that the municipality may read"),
            )
    thing = sensing.ensure_thing(
        session,
        name=f"Bewässerungsventil {data.name}",
        municipality_id=data.municipality_id,
        public=False,
        lon=data.lon,
        lat=data.lat,
        properties={"kind": "irrigation-valve", "zone": data.name},
        description=f"Magnetventil der Bewässerungszone {data.name}.",
    )
    capability = actuation.ensure_actuator(
        session,
        thing_id=thing,
        name=CAPABILITY,
        description=f"Öffnet das Ventil der Zone {data.name} für eine Laufzeit in Minuten.",
        parameters=VALVE_PARAMETERS,
    )
    zone = Zone(
        municipality_id=data.municipality_id,
        name=data.name,
        kind=data.kind,
        description=data.description,
        area_m2=data.area_m2,
        coefficient=data.coefficient,
        taw_mm=data.taw_mm,
        rate_mm_per_h=data.rate_mm_per_h,
        efficiency=data.efficiency,
        mad=data.mad,
        max_minutes=data.max_minutes,
        lon=data.lon,
        lat=data.lat,
        station_thing_id=station or _nearest_station(session, data, reader),
        probe_datastream_id=data.probe_datastream_id,
        probe_kind=probe_kind,
        thing_id=thing,
        capability_id=capability,
        enabled=True,
        created_at=utcnow(),
    )
    session.add(zone)
    session.flush()
    return zone


def working_for(municipality_id: int) -> Principal:
    """How a zone's rules read the region: the public stations and probes, and its own
    municipality's internal ones, never another's internal ones."""
    return acting_for(municipality_id, name="water")


def _nearest_station(session: Session, data: ZoneCreate, reader: Principal) -> int | None:
    found = meteo.find_stations(session, principal=reader)
    mine = [s for s in found if s.municipality_id == data.municipality_id] or found
    if not mine:
        return None
    return min(mine, key=lambda s: (s.lon - data.lon) ** 2 + (s.lat - data.lat) ** 2).thing_id


def get_zone(session: Session, *, principal: Principal, zone_id: int) -> Zone:
    zone = session.get(Zone, zone_id)
    if zone is None:
        raise NotFound(detail=f"No irrigation zone with id {zone_id}.")
    require(principal, Action.READ_INTERNAL, municipality_id=zone.municipality_id, scope=SCOPE)
    return zone


# --- the controller --------------------------------------------------------------------------


def _belief(zone: Zone) -> irrigation.Zone:
    return irrigation.Zone(
        area_m2=zone.area_m2,
        coefficient=zone.coefficient,
        taw_mm=zone.taw_mm,
        rate_mm_per_h=zone.rate_mm_per_h,
        efficiency=zone.efficiency,
        mad=zone.mad,
        max_minutes=zone.max_minutes,
    )


def _confirmed_mm(session: Session, zone: Zone, first: date, last: date) -> dict[date, float]:
    """Net irrigation per day that the valve confirmed (its Task is done)."""
    decisions = session.scalars(
        select(Decision).where(
            Decision.zone_id == zone.id,
            Decision.day >= first.isoformat(),
            Decision.day <= last.isoformat(),
            Decision.task_id.is_not(None),
        )
    ).all()
    if not decisions:
        return {}
    states = {
        s.task_id: s.state
        for s in actuation.task_states(
            session, municipality_ids=[zone.municipality_id], origin=ORIGIN, limit=5000
        )
    }
    return {
        date.fromisoformat(d.day): d.minutes / 60 * zone.rate_mm_per_h * zone.efficiency
        for d in decisions
        if d.task_id is not None and states.get(d.task_id) == actuation.DONE
    }


def _probe_depletion(session: Session, zone: Zone, now: datetime) -> float | None:
    """The share of the available water used, from the zone's probe's plausible readings of
    the last day (None without a probe or without usable readings)."""
    if zone.probe_datastream_id is None:
        return None
    if _probe_kind(session, zone.probe_datastream_id, working_for(zone.municipality_id)) is None:
        return None  # made internal by another municipality since, or gone
    start = now - timedelta(days=3)
    data = sensing.series(session, datastream_ids=[zone.probe_datastream_id], start=start, end=now)[
        zone.probe_datastream_id
    ]
    if data.values.size == 0:
        return None
    kind = zone.probe_kind or "suction"
    seconds = data.times.astype("datetime64[us]").astype(np.int64) / 1e6
    daily = probes.daily(
        seconds, data.values, kind=kind, start_s=(now - timedelta(days=1)).timestamp(), days=1
    )
    return float(daily.depletion[-1]) if daily.depletion.size else None


def _probe_kind(session: Session, datastream_id: int, reader: Principal) -> str | None:
    """The probe's kind, "suction" or "volumetric"; None where ``reader`` reads no soil
    probe's Datastream of that id."""
    found = sensing.get_datastream(session, principal=reader, datastream_id=datastream_id)
    definition = found[1].definition if found else None
    if definition == vocabulary.SOIL_WATER_TENSION:
        return "suction"
    if definition == vocabulary.SOIL_MOISTURE:
        return "volumetric"
    return None


def decide_zone(
    session: Session,
    zone: Zone,
    *,
    now: datetime,
    outlook: tuple[list[float], list[float]] | None = None,
) -> Decision | None:
    """Today's decision for a zone (None if there is one already or it is too early).

    ``outlook`` (ET0 and rain of today and the next days) replaces the stored forecast, for
    replaying past days."""
    local = now.astimezone(LOCAL_ZONE)
    today = local.date()
    if local.hour < DECISION_HOUR:
        return None
    if session.scalar(
        select(Decision.id).where(Decision.zone_id == zone.id, Decision.day == today.isoformat())
    ):
        return None
    belief = _belief(zone)
    stations = (
        meteo.find_stations(
            session, principal=working_for(zone.municipality_id), thing_ids=[zone.station_thing_id]
        )
        if zone.station_thing_id is not None
        else []
    )
    station_info = stations[0] if stations else None
    facts: dict[str, Any] = {}
    if zone.balance_day:
        start = date.fromisoformat(zone.balance_day) + timedelta(days=1)
    else:  # a new zone starts at field capacity yesterday morning
        start = today - timedelta(days=1)
    days = (today - start).days
    if station_info is None:
        return _log(session, zone, today, now, irrigation.Decision(irrigation.NO_DATA))
    weather = None
    confirmed: dict[date, float] = {}
    if days > 0:
        weather = meteo.daily_weather(session, stations=[station_info], first=start, days=days)[
            station_info.thing_id
        ]
        confirmed = _confirmed_mm(session, zone, start, today - timedelta(days=1))
    depletion, variance = zone.depletion_mm, zone.variance
    min_temperature = None
    if weather is not None:
        for d in range(weather.days):
            day = start + timedelta(days=d)
            depletion = max(depletion - confirmed.get(day, 0.0), 0.0)
            etc = zone.coefficient * float(weather.et0[d])
            rain = float(np.nan_to_num(weather.rain[d]))
            effective = rain if rain > 0.2 * float(weather.et0[d]) else 0.0
            depletion = min(max(depletion + etc - effective, 0.0), zone.taw_mm)
            variance = min(variance + (DRIFT * etc / zone.taw_mm) ** 2, 0.25)
        if weather.days and np.isfinite(weather.tmin[-1]):
            min_temperature = float(weather.tmin[-1])
    probe = _probe_depletion(session, zone, now)
    if probe is not None:
        gain = variance / (variance + PROBE_SIGMA**2) if variance > 0 else 0.0
        facts["model_depletion_mm"] = round(depletion, 1)
        depletion += gain * (probe * zone.taw_mm - depletion)
        variance *= 1 - gain
    zone.depletion_mm, zone.variance = depletion, variance
    zone.balance_day = (today - timedelta(days=1)).isoformat()
    stored = session.scalar(select(Station).where(Station.thing_id == zone.station_thing_id))
    if outlook is not None:
        et0_ahead, rain_ahead = list(outlook[0])[:3], list(outlook[1])[:3]
    elif stored is not None:
        et0_ahead, rain_ahead = (stored.outlook_et0 or [])[:3], (stored.outlook_rain or [])[:3]
    else:
        et0_ahead, rain_ahead = [], []
    if et0_ahead:
        et0_next = float(et0_ahead[0])
    elif weather is not None and weather.days:
        et0_next = float(np.mean(weather.et0))
    else:
        et0_next = 0.0
    demand = zone.coefficient * et0_next
    decision = irrigation.decide(
        belief,
        depletion_mm=depletion,
        demand_next_mm=demand,
        rain_next_mm=rain_ahead[0] if rain_ahead else 0.0,
        rain_after_mm=rain_ahead[1] if len(rain_ahead) > 1 else 0.0,
        probe_depletion=probe,
        min_temperature=min_temperature,
    )
    decision.facts.update(facts)
    if outlook is not None:
        decision.facts["outlook"] = "replay"
    elif stored is not None and stored.outlook_source:
        decision.facts["outlook"] = stored.outlook_source
    return _log(session, zone, today, now, decision)


def _log(
    session: Session, zone: Zone, today: date, now: datetime, decision: irrigation.Decision
) -> Decision:
    row = Decision(
        municipality_id=zone.municipality_id,
        zone_id=zone.id,
        day=today.isoformat(),
        decided_at=now,
        reason=decision.reason,
        minutes=decision.minutes,
        gross_l=decision.gross_l,
        facts=decision.facts,
    )
    if decision.waters:
        row.task_id = actuation.send_task(
            session,
            capability_id=zone.capability_id,
            parameters={"minutes": decision.minutes},
            reason=Message(
                N_(
                    "Irrigation of %(zone)s: %(minutes)d min, soil water %(depletion)d mm below "
                    "field capacity"
                ),
                zone=zone.name,
                minutes=round(decision.minutes),
                depletion=round(decision.facts["depletion_mm"]),
            ),
            origin=ORIGIN,
        )
    session.add(row)
    session.flush()
    return row


def run_controller(database: Database, *, now: datetime) -> int:
    """Decide for every enabled zone that has no decision today; returns how many decided."""
    with database.session() as session:
        ids = list(session.scalars(select(Zone.id).where(Zone.enabled.is_(True)).order_by(Zone.id)))
    decided = 0
    for zone_id in ids:

        def one(session: Session, zone_id: int = zone_id) -> bool:
            zone = session.get(Zone, zone_id)
            return zone is not None and decide_zone(session, zone, now=now) is not None

        decided += database.write(one)
    return decided


# --- for staff -------------------------------------------------------------------------------


def decisions(session: Session, *, zone: Zone, limit: int = 60) -> list[tuple[Decision, Any]]:
    """The zone's decisions, newest first, each with the state of its Task (or None)."""
    rows = session.scalars(
        select(Decision)
        .where(Decision.zone_id == zone.id)
        .order_by(Decision.day.desc())
        .limit(limit)
    ).all()
    states = {
        s.task_id: s
        for s in actuation.task_states(
            session, municipality_ids=[zone.municipality_id], origin=ORIGIN, limit=5000
        )
    }
    return [(d, states.get(d.task_id) if d.task_id else None) for d in rows]


def zones_of(
    session: Session, *, principal: Principal, municipality_ids: list[int] | None
) -> list[Zone]:
    query = select(Zone).order_by(Zone.name)
    if municipality_ids is not None:
        query = query.where(Zone.municipality_id.in_(municipality_ids))
    return list(session.scalars(query))


def soil_band(zone: Zone) -> str:
    fraction = zone.depletion_mm / zone.taw_mm if zone.taw_mm else 0.0
    return soil.BANDS[int(soil.band(soil.DEFAULT_CURVE.suction_of_depletion(fraction)))]


def failed_valves(session: Session, *, municipality_ids: list[int] | None) -> list[Any]:
    return actuation.task_states(
        session, municipality_ids=municipality_ids, origin=ORIGIN, states=[actuation.FAILED]
    )
