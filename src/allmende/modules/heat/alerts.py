"""Heat warnings per district and day, from the hourly map's district aggregates.

The rules (thresholds are settings of the municipality, defaults after the German weather
service's heat warnings):

* **strong heat stress**: in the afternoon (12–18 h local) UTCI above 32 °C in at least a
  quarter of the district's outdoor cells (its 75th percentile above 32 °C) in some hour, and
  the night before (22–6 h) did not cool: the district's median air temperature stayed at or
  above 20 °C all night;
* **extreme heat stress**: the afternoon's UTCI above 38 °C the same way, whatever the night.

A day is decided once its afternoon (and, for strong stress, its night) is in the map; hours
from a forecast count and mark the warning as forecast. Consecutive warning days of a district
are one warning, at the highest level reached; it starts with its first day and ends when a
decided day no longer meets a rule. Starting, rising and ending publish the durable events
``heat.warning.started``, ``.changed`` and ``.ended`` (webhooks deliver them) and switch the
action plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from allmende.modules.heat import plan
from allmende.modules.heat.catalogue import (
    LEVELS,
    N_,
    WARNING_CHANGED,
    WARNING_ENDED,
    WARNING_STARTED,
)
from allmende.modules.heat.landcover import mask_of, to_lonlat
from allmende.modules.heat.maps import grid_of, unpack
from allmende.modules.heat.models import DistrictHour, HeatWarning, MapHour
from allmende.modules.heat.service import Rules, Store, day_bounds, local_day, local_hour, rules
from allmende.modules.heat.stations import find
from allmende.sdk import (
    District,
    Message,
    Municipality,
    NotFound,
    notify_staff,
    publish,
    sensing,
    to_metric,
)

#: Days before today that a run decides again (late measurements, restarts).
LOOKBACK_DAYS = 3
HOT_CELLS = 5


@dataclass
class Verdict:
    """One district's day: the rule values and the level they give (None: no warning)."""

    district_id: int
    day: date
    level: str | None
    decided: bool
    afternoon_utci: float | None
    peak_hour: datetime | None
    night_min_ta: float | None
    forecast: bool
    evidence: dict[str, Any] = field(default_factory=dict)


def _hours(day: date, first: int, last: int) -> tuple[datetime, datetime]:
    return local_hour(day, first), local_hour(day, last)


def verdicts(session: Session, *, municipality_id: int, days: Sequence[date]) -> list[Verdict]:
    """The verdict of every district of the municipality for each of ``days``."""
    if not days:
        return []
    settings = rules(session, municipality_id=municipality_id)
    start = local_hour(min(days) - timedelta(days=1), settings.night_from)
    end = day_bounds(max(days))[1]
    rows = session.scalars(
        select(DistrictHour).where(
            DistrictHour.municipality_id == municipality_id,
            DistrictHour.hour >= start,
            DistrictHour.hour < end,
        )
    ).all()
    by_district: dict[int, dict[datetime, DistrictHour]] = {}
    for row in rows:
        by_district.setdefault(row.district_id, {})[row.hour] = row
    out = []
    for district_id, hours in sorted(by_district.items()):
        for day in days:
            out.append(_verdict(settings, district_id, day, hours))
    return out


def _span(start: datetime, end: datetime) -> list[datetime]:
    hours = []
    moment = start
    while moment < end:
        hours.append(moment.astimezone(start.tzinfo))
        moment += timedelta(hours=1)
    return hours


def _verdict(
    settings: Rules, district_id: int, day: date, hours: dict[datetime, DistrictHour]
) -> Verdict:
    afternoon = [
        hours.get(h) for h in _span(*_hours(day, settings.afternoon_from, settings.afternoon_to))
    ]
    night_start = local_hour(day - timedelta(days=1), settings.night_from)
    night = [hours.get(h) for h in _span(night_start, local_hour(day, settings.night_to))]
    afternoon_rows = [r for r in afternoon if r is not None]
    night_rows = [r for r in night if r is not None]
    quantile = settings.quantile
    peak = max(afternoon_rows, key=lambda r: getattr(r, quantile), default=None)
    hot = getattr(peak, quantile) if peak is not None else None
    night_min = min((r.ta_p50 for r in night_rows), default=None)
    afternoon_done = len(afternoon_rows) == len(afternoon)
    night_done = len(night_rows) == len(night)
    level = None
    decided = False
    if afternoon_done and hot is not None:
        if hot > settings.extreme_utci:
            level, decided = "extreme", True
        elif night_done and night_min is not None:
            decided = True
            if hot > settings.strong_utci and night_min >= settings.night_min_ta:
                level = "strong"
    forecast = any(r.source == "forecast" for r in (*afternoon_rows, *night_rows))
    return Verdict(
        district_id=district_id,
        day=day,
        level=level,
        decided=decided,
        afternoon_utci=None if hot is None else round(float(hot), 1),
        peak_hour=None if peak is None else peak.hour,
        night_min_ta=None if night_min is None else round(float(night_min), 1),
        forecast=forecast,
        evidence={
            "day": day.isoformat(),
            "afternoon_utci": None if hot is None else round(float(hot), 1),
            "quantile": quantile,
            "area_share": settings.area_share,
            "peak_hour": None if peak is None else peak.hour.isoformat(),
            "afternoon_max_utci": None if peak is None else round(float(peak.utci_max), 1),
            "night_min_ta": None if night_min is None else round(float(night_min), 1),
            "thresholds": {
                "strong_utci": settings.strong_utci,
                "night_min_ta": settings.night_min_ta,
                "extreme_utci": settings.extreme_utci,
            },
            "forecast": forecast,
            "level": level,
        },
    )


# --- evidence --------------------------------------------------------------------------------


def _cells(
    session: Session, verdict: Verdict, district: District, threshold: float
) -> dict[str, Any]:
    """Cells of the district above the threshold at the peak hour, with the hottest ones; the
    peak hour's map is kept past the retention as the evidence."""
    if verdict.peak_hour is None:
        return {}
    stored = session.get(MapHour, (district.municipality_id, verdict.peak_hour))
    if stored is None:
        return {}
    stored.kept = True
    utci = unpack(stored.data)["utci"]
    grid = grid_of(session, municipality_id=district.municipality_id)
    inside = mask_of(grid, to_metric(district.geom)) & np.isfinite(utci)
    above = inside & (utci > threshold)
    values = np.where(above, utci, -np.inf).ravel()
    top = np.argsort(values)[::-1][: min(HOT_CELLS, int(above.sum()))]
    x, y = grid.centres()
    hottest = []
    for flat in top.tolist():
        row, col = divmod(flat, grid.width)
        lon, lat = to_lonlat(float(x[col]), float(y[row]))
        hottest.append(
            {"lon": round(lon, 6), "lat": round(lat, 6), "utci": round(float(utci[row, col]), 1)}
        )
    return {
        "cells_above": int(above.sum()),
        "cells": int(inside.sum()),
        "share_above": round(float(above.sum() / max(1, inside.sum())), 3),
        "cell_m": grid.cell,
        "hottest_cells": hottest,
    }


def _stations(
    session: Session, verdict: Verdict, district: District, settings: Rules
) -> list[dict[str, Any]]:
    """Stations in the district with their highest UTCI of the afternoon."""
    if district.geom is None:
        return []
    start, end = _hours(verdict.day, settings.afternoon_from, settings.afternoon_to)
    found = []
    for station in find(session, municipality_ids=[district.municipality_id]):
        if station.thing.lon is None or station.thing.lat is None:
            continue
        if not district.geom.contains(shapely.Point(station.thing.lon, station.thing.lat)):
            continue
        stream = station.derived.get("UTCI")
        entry: dict[str, Any] = {
            "thing": station.thing.id,
            "name": station.thing.name,
            "public": station.public,
        }
        if stream is not None:
            values = sensing.series(session, datastream_ids=[stream.id], start=start, end=end)[
                stream.id
            ].values
            if len(values):
                entry["utci_max"] = round(float(np.max(values)), 1)
        ta = sensing.series(session, datastream_ids=[station.inputs["ta"].id], start=start, end=end)
        series = ta[station.inputs["ta"].id].values
        if len(series):
            entry["ta_max"] = round(float(np.max(series)), 1)
        found.append(entry)
    return found


def _evidence(
    session: Session, verdict: Verdict, district: District, settings: Rules
) -> dict[str, Any]:
    threshold = settings.extreme_utci if verdict.level == "extreme" else settings.strong_utci
    return {
        **verdict.evidence,
        **_cells(session, verdict, district, threshold),
        "stations": _stations(session, verdict, district, settings),
    }


# --- the life of a warning -----------------------------------------------------------------


def _payload(warning: HeatWarning, district: District, key: str) -> dict[str, Any]:
    return {
        "warning": warning.id,
        "municipality": key,
        "district": district.name,
        "district_id": district.id,
        "level": warning.level,
        "status": warning.status,
        "first_day": warning.first_day.isoformat(),
        "last_day": warning.last_day.isoformat(),
        "starts_at": warning.starts_at.isoformat(),
        "ends_at": warning.ends_at.isoformat(),
        "forecast": warning.forecast,
        "url": f"/heat/warnings/{warning.id}",
        "cap": f"/heat/warnings/{warning.id}.cap.xml",
    }


def _tell_staff(session: Session, warning: HeatWarning, district: District, raised: bool) -> None:
    """A staff notification of a warning that starts or rises (mailed to staff who opted in,
    in their language); once per warning and level."""
    level = LEVELS[warning.level]
    link = f"/heat/warnings/{warning.id}"
    notify_staff(
        session,
        municipality_id=warning.municipality_id,
        kind=WARNING_CHANGED if raised else WARNING_STARTED,
        subject=Message(
            N_("Heat warning %(district)s: %(level)s"), district=district.name, level=level.label
        ),
        body=Message(
            N_("From %(day)s (forecast)") if warning.forecast else N_("From %(day)s"),
            day=warning.first_day.isoformat(),
        ),
        link=link,
        once=f"{WARNING_STARTED}:{warning.id}:{warning.level}",
        mail_template="heat/mail/staff_warning",
        mail_context={
            "district": district.name,
            "level_label": level.label,
            "first_day": warning.first_day.isoformat(),
            "forecast": bool(warning.forecast),
            "raised": raised,
        },
    )


@dataclass
class Applied:
    started: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)


def apply(
    session: Session, *, municipality_id: int, found: Sequence[Verdict], now: datetime
) -> Applied:
    """Start, extend, raise and end the municipality's warnings by the decided verdicts (in day
    order), publishing the events and switching the action plan in the same transaction."""
    place = session.get(Municipality, municipality_id)
    assert place is not None
    settings = rules(session, municipality_id=municipality_id)
    result = Applied()
    for verdict in sorted(found, key=lambda v: (v.day, v.district_id)):
        if not verdict.decided:
            continue
        district = session.get(District, verdict.district_id)
        assert district is not None
        latest = session.scalar(
            select(HeatWarning)
            .where(HeatWarning.district_id == verdict.district_id)
            .order_by(HeatWarning.last_day.desc(), HeatWarning.id.desc())
            .limit(1)
        )
        if latest is not None and verdict.day <= latest.last_day:
            continue  # decided before
        active = latest if latest is not None and latest.status == "active" else None
        if verdict.level is None:
            if active is not None:
                active.status = "ended"
                active.ended_at = now
                active.version += 1
                active.updated_at = now
                session.flush()
                publish(
                    session,
                    WARNING_ENDED,
                    _payload(active, district, place.key),
                    municipality_id=municipality_id,
                    public=True,
                )
                plan.switch_off(session, warning=active, district=district.name)
                result.ended.append(active.id)
            continue
        evidence = _evidence(session, verdict, district, settings)
        if active is not None and verdict.day == active.last_day + timedelta(days=1):
            before = active.level
            if LEVELS[verdict.level].rank > LEVELS[active.level].rank:
                active.level = verdict.level
            active.last_day = verdict.day
            active.ends_at = day_bounds(verdict.day)[1]
            active.evidence = [*active.evidence, evidence]
            active.forecast = active.forecast or verdict.forecast
            active.version += 1
            active.updated_at = now
            session.flush()
            publish(
                session,
                WARNING_CHANGED,
                _payload(active, district, place.key),
                municipality_id=municipality_id,
                public=True,
            )
            if active.level != before:
                plan.switch_on(
                    session, warning=active, district=district.name, only_new_level=before
                )
                _tell_staff(session, active, district, raised=True)
            result.changed.append(active.id)
            continue
        if active is not None:  # a gap without a decided day between: end the old one first
            active.status = "ended"
            active.ended_at = now
            active.version += 1
            active.updated_at = now
            session.flush()
            publish(
                session,
                WARNING_ENDED,
                _payload(active, district, place.key),
                municipality_id=municipality_id,
                public=True,
            )
            plan.switch_off(session, warning=active, district=district.name)
            result.ended.append(active.id)
        warning = HeatWarning(
            municipality_id=municipality_id,
            district_id=verdict.district_id,
            level=verdict.level,
            status="active",
            first_day=verdict.day,
            last_day=verdict.day,
            starts_at=day_bounds(verdict.day)[0],
            ends_at=day_bounds(verdict.day)[1],
            evidence=[evidence],
            forecast=verdict.forecast,
            version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(warning)
        session.flush()
        publish(
            session,
            WARNING_STARTED,
            _payload(warning, district, place.key),
            municipality_id=municipality_id,
            public=True,
        )
        plan.switch_on(session, warning=warning, district=district.name)
        _tell_staff(session, warning, district, raised=False)
        result.started.append(warning.id)
    return result


def expire(session: Session, *, municipality_id: int, now: datetime) -> list[int]:
    """End active warnings whose last day passed a day ago without a decided day after it (the
    map stopped: no reference weather, no forecast). They do not stay in force forever."""
    place = session.get(Municipality, municipality_id)
    assert place is not None
    ended = []
    stale = session.scalars(
        select(HeatWarning).where(
            HeatWarning.municipality_id == municipality_id,
            HeatWarning.status == "active",
            HeatWarning.ends_at < now - timedelta(days=1),
        )
    ).all()
    for warning in stale:
        district = session.get(District, warning.district_id)
        assert district is not None
        warning.status = "ended"
        warning.ended_at = now
        warning.version += 1
        warning.updated_at = now
        session.flush()
        publish(
            session,
            WARNING_ENDED,
            {**_payload(warning, district, place.key), "reason": "no map after its last day"},
            municipality_id=municipality_id,
            public=True,
        )
        plan.switch_off(session, warning=warning, district=district.name)
        ended.append(warning.id)
    return ended


def days_to_decide(session: Session, *, municipality_id: int, now: datetime) -> list[date]:
    """From the first day of an active warning (or a few days back) to the last day the map
    reaches."""
    newest = session.scalar(
        select(func.max(DistrictHour.hour)).where(DistrictHour.municipality_id == municipality_id)
    )
    if newest is None:
        return []
    oldest_active = session.scalar(
        select(func.min(HeatWarning.last_day)).where(
            HeatWarning.municipality_id == municipality_id, HeatWarning.status == "active"
        )
    )
    first = local_day(now) - timedelta(days=LOOKBACK_DAYS)
    if oldest_active is not None:
        first = min(first, oldest_active)
    last = local_day(newest)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def update(store: Store, *, now: datetime) -> Applied:
    """The job's work for every municipality with a map."""
    total = Applied()
    ids = store.read(
        lambda session: list(session.scalars(select(DistrictHour.municipality_id).distinct()))
    )
    for municipality_id in ids:

        def work(session: Session, m: int = municipality_id) -> Applied:
            days = days_to_decide(session, municipality_id=m, now=now)
            found = verdicts(session, municipality_id=m, days=days)
            done = apply(session, municipality_id=m, found=found, now=now)
            done.ended += expire(session, municipality_id=m, now=now)
            return done

        done = store.write(work)
        total.started += done.started
        total.changed += done.changed
        total.ended += done.ended
    return total


# --- reading -------------------------------------------------------------------------------


def listed(
    session: Session,
    *,
    municipality_ids: Sequence[int] | None = None,
    status: str | None = None,
    limit: int = 200,
) -> list[tuple[HeatWarning, District, Municipality]]:
    query = (
        select(HeatWarning, District, Municipality)
        .join(District, District.id == HeatWarning.district_id)
        .join(Municipality, Municipality.id == HeatWarning.municipality_id)
    )
    if municipality_ids is not None:
        query = query.where(HeatWarning.municipality_id.in_(sorted(municipality_ids)))
    if status is not None:
        query = query.where(HeatWarning.status == status)
    rows = session.execute(
        query.order_by(HeatWarning.first_day.desc(), HeatWarning.id.desc()).limit(limit)
    ).all()
    return [(w, d, m) for w, d, m in rows]


def one(session: Session, *, warning_id: int) -> tuple[HeatWarning, District, Municipality]:
    row = session.execute(
        select(HeatWarning, District, Municipality)
        .join(District, District.id == HeatWarning.district_id)
        .join(Municipality, Municipality.id == HeatWarning.municipality_id)
        .where(HeatWarning.id == warning_id)
    ).first()
    if row is None:
        raise NotFound(detail=f"No heat warning {warning_id}.")
    return row[0], row[1], row[2]


def shown_evidence(evidence: Any, *, internal: bool) -> list[dict[str, Any]]:
    """The evidence per day; without ``internal``, stations that are not public are left out."""
    days = [
        day for day in (evidence if isinstance(evidence, list) else []) if isinstance(day, dict)
    ]
    if internal:
        return days
    return [
        {**day, "stations": [s for s in day.get("stations", []) if s.get("public")]} for day in days
    ]
