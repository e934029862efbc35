"""Water use of municipal meters (buildings, fountains, irrigation) and leak alarms.

A meter is a Thing with a water-volume (counter) or water-flow Datastream (kernel vocabulary).
Its ``properties.use`` says ``building`` (default), ``fountain`` or ``irrigation``; the
counter's unit is m³ unless the Datastream says litres. Consumption comes from the counter
where there is one (resets, roll-overs and gaps handled, see :mod:`meters`), else from the
flow. The job ``water.meters`` runs the leak detector (:mod:`leaks`) over the last weeks of
each meter; a new alarm is stored, published as the durable event ``water.leak.detected``
(webhooks receive it, with the evidence) and sent to the municipality's staff with a link to
the meter's page and its evidence chart; when the flow stands still again at night the alarm is
closed and ``water.leak.resolved`` published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.water import leaks, meters
from allmende.modules.water import stations as meteo
from allmende.modules.water.catalogue import LOCAL_ZONE, METER_KINDS, N_, SCOPE
from allmende.modules.water.models import Leak, Meter
from allmende.sdk import (
    Action,
    Database,
    Message,
    NotFound,
    Principal,
    can,
    isoformat,
    notify_staff,
    publish,
    readable_municipalities,
    sensing,
    vocabulary,
)

LEAK_DETECTED = "water.leak.detected"
LEAK_RESOLVED = "water.leak.resolved"
#: Days of history the detector reads (its 28 nights of usual levels and a margin).
DETECTION_DAYS = 42
EVIDENCE_HOURS = 72
COUNTER_FACTORS = {"m3": 1000.0, "L": 1.0, "l": 1.0, "kL": 1000.0, "dm3": 1.0}


@dataclass(frozen=True)
class MeterInfo:
    thing_id: int
    name: str
    building: str
    kind: str
    municipality_id: int
    public: bool
    counter: int | None
    counter_factor: float
    flow: int | None


def find_meters(session: Session) -> list[MeterInfo]:
    found = []
    for thing in sensing.every_thing(
        session,
        principal=meteo.SYSTEM,
        definitions=[vocabulary.WATER_VOLUME, vocabulary.WATER_FLOW],
    ):
        counter = next((s for s in thing.streams if s.definition == vocabulary.WATER_VOLUME), None)
        flow = next((s for s in thing.streams if s.definition == vocabulary.WATER_FLOW), None)
        use = thing.properties.get("use")
        found.append(
            MeterInfo(
                thing_id=thing.id,
                name=thing.name,
                building=str(thing.properties.get("building") or thing.name),
                kind=use if use in METER_KINDS else "building",
                municipality_id=thing.municipality_id,
                public=thing.public,
                counter=counter.id if counter else None,
                counter_factor=COUNTER_FACTORS.get(counter.unit_symbol, 1000.0) if counter else 1.0,
                flow=flow.id if flow else None,
            )
        )
    return found


def hourly(
    session: Session, meter: MeterInfo | Meter, *, start: datetime, end: datetime
) -> meters.Hourly:
    """Litres per hour of a meter between ``start`` and ``end``."""
    counter = meter.counter if isinstance(meter, MeterInfo) else meter.counter_datastream_id
    flow = meter.flow if isinstance(meter, MeterInfo) else meter.flow_datastream_id
    stream = counter if counter is not None else flow
    if stream is None:
        return meters.from_flow([], [])
    data = sensing.series(session, datastream_ids=[stream], start=start, end=end)[stream]
    seconds = data.times.astype("datetime64[s]").astype(np.int64).astype(np.float64)
    if counter is not None:
        factor = (
            meter.counter_factor
            if isinstance(meter, MeterInfo)
            else COUNTER_FACTORS.get(meter.counter_unit or "m3", 1000.0)
        )
        rollover = None if isinstance(meter, MeterInfo) else meter.rollover_l
        return meters.from_counter(seconds, data.values * factor, rollover_l=rollover)
    return meters.from_flow(seconds, data.values)


def local_clock(
    start_s: NDArray[np.int64], first: date
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Local day (from ``first``) and local hour of each hour start."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    days, hours = [], []
    ordinal = first.toordinal()
    for s in start_s.tolist():
        local = (epoch + timedelta(seconds=int(s))).astimezone(LOCAL_ZONE)
        days.append(local.date().toordinal() - ordinal)
        hours.append(local.hour)
    return np.array(days, dtype=np.int64), np.array(hours, dtype=np.int64)


# --- the job ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    meter: MeterInfo
    first: date
    hours: meters.Hourly
    alarms: list[leaks.Alarm]
    in_alarm: bool


def examine(session: Session, *, now: datetime) -> list[Finding]:
    """Every meter's last weeks through the leak detector (read-only)."""
    today = meteo.local_day(now)
    first = today - timedelta(days=DETECTION_DAYS)
    start = meteo.day_start(first)
    findings = []
    for meter in find_meters(session):
        data = hourly(session, meter, start=start, end=now)
        if data.start_s.size == 0:
            findings.append(Finding(meter, first, data, [], False))
            continue
        day, hour = local_clock(data.start_s, first)
        nights, alarms = leaks.detect(data.measured, day, hour)
        evaluated = np.flatnonzero(~np.isnan(nights.night_minimum))
        in_alarm = bool(evaluated.size and nights.alarm[evaluated[-1]])
        findings.append(Finding(meter, first, data, alarms, in_alarm))
    return findings


def record(session: Session, findings: list[Finding], *, now: datetime) -> int:
    """Store meters and new alarms, announce them; close alarms that ended. New alarms."""
    rows = {m.thing_id: m for m in session.scalars(select(Meter))}
    new = 0
    for f in findings:
        info = f.meter
        row = rows.get(info.thing_id)
        if row is None:
            row = Meter(thing_id=info.thing_id, municipality_id=info.municipality_id, state="ok")
            session.add(row)
        row.name, row.building, row.kind, row.public = (
            info.name,
            info.building,
            info.kind,
            info.public,
        )
        row.counter_datastream_id, row.flow_datastream_id = info.counter, info.flow
        row.counter_unit = next(
            (k for k, v in COUNTER_FACTORS.items() if v == info.counter_factor), "m3"
        )
        row.checked_at = now
        session.flush()
        known = set(session.scalars(select(Leak.night).where(Leak.meter_id == row.id)))
        for alarm in f.alarms:
            night = (f.first + timedelta(days=alarm.night)).isoformat()
            if night in known or not f.in_alarm or alarm is not f.alarms[-1]:
                continue
            _open(session, row, f, alarm, night, now)
            new += 1
        if f.in_alarm:
            row.state = "leak"
        elif row.state == "leak":
            _close(session, row, now)
            row.state = "ok"
    session.flush()
    return new


def evidence(f: Finding, alarm: leaks.Alarm) -> dict[str, Any]:
    """The hourly flow of the three days up to the end of the alarming night."""
    day, hour = local_clock(f.hours.start_s, f.first)
    end = int(np.flatnonzero((day == alarm.night) & (hour < leaks.NIGHT_END_HOUR))[-1]) + 1
    begin = max(end - EVIDENCE_HOURS, 0)
    values = f.hours.litres[begin:end]
    return {
        "start": isoformat(datetime.fromtimestamp(int(f.hours.start_s[begin]), UTC)),
        "litres_per_hour": [None if np.isnan(v) else round(float(v), 1) for v in values],
        "night_hours": [bool(h < leaks.NIGHT_END_HOUR) for h in hour[begin:end].tolist()],
    }


def _open(
    session: Session, row: Meter, f: Finding, alarm: leaks.Alarm, night: str, now: datetime
) -> None:
    since = datetime.fromtimestamp(
        int(f.hours.start_s[min(alarm.since_hour, f.hours.start_s.size - 1)]), UTC
    )
    leak = Leak(
        municipality_id=row.municipality_id,
        meter_id=row.id,
        night=night,
        since=since,
        night_minimum_l_per_h=alarm.night_minimum_l_per_h,
        usual_night_minimum_l_per_h=alarm.usual_night_minimum_l_per_h,
        day_minimum_l_per_h=alarm.day_minimum_l_per_h,
        state="open",
        created_at=now,
        evidence=evidence(f, alarm),
    )
    session.add(leak)
    session.flush()
    link = f"/water/meters/{row.id}#leak-{leak.id}"
    leak.event_id = publish(
        session,
        LEAK_DETECTED,
        {
            "leak": leak.id,
            "meter": row.thing_id,
            "meter_name": row.name,
            "building": row.building,
            "night": night,
            "since": isoformat(since),
            "night_minimum_l_per_h": round(alarm.night_minimum_l_per_h, 1),
            "usual_night_minimum_l_per_h": round(alarm.usual_night_minimum_l_per_h, 1),
            "day_minimum_l_per_h": round(alarm.day_minimum_l_per_h, 1),
            "evidence": leak.evidence,
            "link": link,
        },
        municipality_id=row.municipality_id,
        public=False,
    )
    notify_staff(
        session,
        municipality_id=row.municipality_id,
        kind=LEAK_DETECTED,
        subject=Message(N_("Suspected leak: %(building)s"), building=row.building),
        body=Message(
            N_(
                "The meter %(meter)s has not stood still for an hour since %(since)s. At night "
                "at least %(night)d l/h (usually %(usual)d l/h)."
            ),
            meter=row.name,
            since=f"{since.astimezone(LOCAL_ZONE):%Y-%m-%d %H:%M}",
            night=round(alarm.night_minimum_l_per_h),
            usual=round(alarm.usual_night_minimum_l_per_h),
        ),
        link=link,
        mail_template="water/mail/staff_leak",
        mail_context={
            "building": row.building,
            "meter_name": row.name,
            "since": isoformat(since),
            "night_minimum": round(alarm.night_minimum_l_per_h),
            "usual_night_minimum": round(alarm.usual_night_minimum_l_per_h),
        },
    )


def _close(session: Session, row: Meter, now: datetime) -> None:
    for leak in session.scalars(select(Leak).where(Leak.meter_id == row.id, Leak.state == "open")):
        leak.state, leak.resolved_at = "closed", now
        publish(
            session,
            LEAK_RESOLVED,
            {"leak": leak.id, "meter": row.thing_id, "building": row.building, "night": leak.night},
            municipality_id=row.municipality_id,
            public=False,
        )


def check_meters(database: Database, *, now: datetime) -> int:
    with database.session() as session:
        findings = examine(session, now=now)
    return database.write(lambda s: record(s, findings, now=now))


# --- for pages -------------------------------------------------------------------------------


def meters_for(session: Session, *, principal: Principal) -> list[Meter]:
    """Meters the caller may see: public ones, and those of municipalities it reads."""
    readable = readable_municipalities(principal, scope=SCOPE)
    query = select(Meter).order_by(Meter.building, Meter.name)
    rows = list(session.scalars(query))
    return [m for m in rows if m.public or readable is None or m.municipality_id in readable]


def meter(session: Session, *, principal: Principal, meter_id: int) -> Meter:
    row = session.get(Meter, meter_id)
    readable = readable_municipalities(principal, scope=SCOPE)
    if row is None or not (row.public or readable is None or row.municipality_id in readable):
        raise NotFound(detail=f"No water meter with id {meter_id}.")
    return row


def leaks_of(session: Session, *, principal: Principal, meter_row: Meter) -> list[Leak]:
    """Leak alarms are internal: staff of the meter's municipality only."""
    readable = readable_municipalities(principal, scope=SCOPE)
    if readable is not None and meter_row.municipality_id not in readable:
        return []
    return list(
        session.scalars(
            select(Leak).where(Leak.meter_id == meter_row.id).order_by(Leak.created_at.desc())
        )
    )


@dataclass(frozen=True)
class Dashboard:
    days: list[meters.Total]
    months: list[meters.Total]
    last_day_flags: int


def dashboard(session: Session, *, meter_row: Meter, now: datetime, days: int = 31) -> Dashboard:
    """Consumption per local day (last ``days``) and per month (last twelve)."""
    start = meteo.day_start(meteo.local_day(now) - timedelta(days=days - 1))
    year_ago = meteo.day_start(meteo.local_day(now).replace(day=1) - timedelta(days=335))
    data = hourly(session, meter_row, start=min(start, year_ago), end=now)
    day_labels, month_labels = meters.local_labels(data.start_s, LOCAL_ZONE)
    first_day = meteo.local_day(start).isoformat()
    daily = [t for t in meters.totals(data, day_labels) if t.label >= first_day]
    monthly = meters.totals(data, month_labels)[-12:]
    return Dashboard(
        daily, monthly, int(np.bitwise_or.reduce(data.flags)) if data.flags.size else 0
    )


def can_manage(principal: Principal, municipality_id: int) -> bool:
    return can(principal, Action.READ_INTERNAL, municipality_id=municipality_id, scope=SCOPE)
