"""What the controller sees of a zone's next 24 hours, read from the sensing core.

* **Outside temperature**: the municipality's weather forecast where one exists, else
  persistence (the station's last 24 hours repeated), else 10 °C.
* **Solar gains**: global horizontal irradiance — its forecast, else the station's last 24 hours
  repeated — split into beam and diffuse (Erbs), on the zone's windows (pvlib, ISO 13790
  11.3); none, and a note, where the municipality measures no radiation.
* **Tariff and grid intensity**: the market Datastreams (day-ahead values are known a day
  ahead); demand-response ``PRICE`` events replace the tariff in their intervals and
  ``IMPORT_CAPACITY_LIMIT``/``SIMPLE`` events cap the import.
* **Comfort band and thermostat schedule** of the occupancy, the measured indoor temperature.

**Forecast convention.** A weather forecast is a Datastream of any Thing of the municipality
(its weather station, or a Thing a forecast feed keeps) whose ObservedProperty has the
definition :data:`catalogue.AIR_TEMPERATURE_FORECAST` (°C) or
:data:`catalogue.GLOBAL_RADIATION_FORECAST` (W/m²): one Observation per forecast hour, its
phenomenonTime the hour, its resultTime when the forecast was issued. A new forecast run
replaces the values of the hours it covers (one Observation per hour). Its own ObservedProperty
keeps a forecast from ever being read as a measurement by the modules that look for air
temperature. Steps the forecast does not cover fall back to persistence, and the plan says how
many did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.energy import catalogue, mpc, solar
from allmende.modules.energy.models import Building, DemandEvent, VenLink, Zone
from allmende.sdk import ANONYMOUS, Municipality, parse_datetime, sensing, vocabulary

Array = NDArray[np.float64]
STEP = timedelta(minutes=15)
HORIZON_STEPS = 96
#: What a plan falls back to without any outside temperature, °C.
DEFAULT_OUTSIDE = 10.0
#: Internal gains per m² of floor while occupied and while empty, W/m² (people, lighting,
#: equipment of offices and classrooms; DIN V 18599-10 gives 6–12 while occupied).
GAINS_OCCUPIED = 10.0
GAINS_EMPTY = 1.5
#: Electric base load (lighting, IT, pumps) per m² of floor, kW/m².
BASE_LOAD = 0.003


@dataclass(frozen=True)
class Streams:
    """The Datastreams of a municipality the controller reads (None where it has none)."""

    outdoor: int | None = None
    outdoor_forecast: int | None = None
    radiation: int | None = None
    radiation_forecast: int | None = None
    price: int | None = None
    co2: int | None = None

    def ids(self) -> list[int]:
        return [
            i
            for i in (
                self.outdoor,
                self.outdoor_forecast,
                self.radiation,
                self.radiation_forecast,
                self.price,
                self.co2,
            )
            if i is not None
        ]


WANTED = {
    vocabulary.AIR_TEMPERATURE: "outdoor",
    catalogue.AIR_TEMPERATURE_FORECAST: "outdoor_forecast",
    vocabulary.GLOBAL_RADIATION: "radiation",
    catalogue.GLOBAL_RADIATION_FORECAST: "radiation_forecast",
    vocabulary.ELECTRICITY_PRICE: "price",
    vocabulary.GRID_CO2_INTENSITY: "co2",
}


def streams(session: Session, *, municipality_id: int) -> Streams:
    """The public Datastream of each kind among the municipality's Things with the most
    Observations (the weather station, not a street station that measured one summer); the
    oldest among equals."""
    found = sensing.busiest_streams(
        session, principal=ANONYMOUS, municipality_id=municipality_id, definitions=WANTED
    )
    return Streams(**{WANTED[definition]: stream for definition, stream in found.items()})


def step_grid(now: datetime) -> list[datetime]:
    """The 96 quarter-hours of the horizon, from the one that contains ``now``."""
    first = now.astimezone(UTC).replace(second=0, microsecond=0)
    first -= timedelta(minutes=first.minute % 15)
    return [first + STEP * k for k in range(HORIZON_STEPS)]


def _stamps(times: Sequence[datetime]) -> NDArray[np.datetime64]:
    return np.array([np.datetime64(t.astimezone(UTC).replace(tzinfo=None), "us") for t in times])


def hold(series: sensing.Series, grid: Sequence[datetime], default: float) -> Array:
    """The last known value at or before each step (sample and hold); ``default`` before any."""
    if not len(series.times):
        return np.full(len(grid), default)
    index = np.searchsorted(series.times, _stamps(grid), side="right") - 1
    values = series.values[np.clip(index, 0, None)]
    return np.asarray(np.where(index >= 0, values, default), dtype=np.float64)


def forecast_or_persistence(
    grid: Sequence[datetime],
    forecast: sensing.Series | None,
    measured: sensing.Series | None,
    default: float,
) -> tuple[Array, int, int]:
    """Per step: the forecast interpolated between its hours where it covers the step, else
    the measured value 24 hours earlier, else ``default``. Also how many steps each of the
    first two gave."""
    stamps = _stamps(grid)
    values = np.full(len(grid), default)
    by_forecast = np.zeros(len(grid), dtype=bool)
    if forecast is not None and len(forecast.times):
        hours = forecast.times.astype("datetime64[us]").astype(np.int64)
        at = stamps.astype(np.int64)
        by_forecast = (at >= hours[0]) & (at <= hours[-1])
        values[by_forecast] = np.interp(at[by_forecast], hours, forecast.values)
    by_persistence = np.zeros(len(grid), dtype=bool)
    if measured is not None and len(measured.times):
        day_before = [t - timedelta(days=1) for t in grid]
        first = measured.times[0]
        by_persistence = ~by_forecast & (_stamps(day_before) >= first)
        values[by_persistence] = hold(measured, day_before, default)[by_persistence]
    return values, int(by_forecast.sum()), int(by_persistence.sum())


def interval_bounds(interval: dict[str, Any]) -> tuple[datetime, datetime]:
    """Start and end of a demand-response interval as stored (``start``, ``seconds``)."""
    start = parse_datetime(interval["start"], field="start")
    return start, start + timedelta(seconds=int(interval["seconds"]))


@dataclass(frozen=True)
class Overrides:
    """What demand-response events change in the horizon: the import limit (kW, inf where
    none) and the price (€/kWh, NaN where the tariff holds), and the first such event."""

    limit: Array | None
    price: Array | None
    event: DemandEvent | None


def event_overrides(session: Session, *, building: Building, grid: Sequence[datetime]) -> Overrides:
    link = session.scalar(select(VenLink).where(VenLink.building_id == building.id))
    if link is None:
        return Overrides(None, None, None)
    events = list(
        session.scalars(
            select(DemandEvent)
            .where(
                DemandEvent.link_id == link.id,
                DemandEvent.end > grid[0],
                DemandEvent.start < grid[-1] + STEP,
            )
            .order_by(DemandEvent.start, DemandEvent.id)
        )
    )
    limit = np.full(len(grid), np.inf)
    price = np.full(len(grid), np.nan)
    stamps = _stamps(grid)
    used: list[DemandEvent] = []
    for event in events:
        touched = False
        for interval in event.intervals:
            begin, end = interval_bounds(interval)
            inside = (stamps >= _stamps([begin])[0]) & (stamps < _stamps([end])[0])
            if not inside.any():
                continue
            if "limit_kw" in interval:
                limit[inside] = np.minimum(limit[inside], float(interval["limit_kw"]))
                touched = True
            if "price" in interval:
                price[inside] = float(interval["price"])
                touched = True
        if touched:
            used.append(event)
    return Overrides(
        limit if np.isfinite(limit).any() else None,
        price if np.isfinite(price).any() else None,
        used[0] if used else None,
    )


def local(times: Sequence[datetime]) -> list[datetime]:
    zone = ZoneInfo(catalogue.LOCAL_ZONE)
    return [t.astimezone(zone) for t in times]


def occupied(zone: Zone, times: Sequence[datetime]) -> NDArray[np.bool_]:
    """Weekdays between ``occupied_start`` and ``occupied_end``, local time."""
    hours = [(t.weekday(), t.hour + t.minute / 60) for t in local(times)]
    return np.array(
        [day < 5 and zone.occupied_start <= hour < zone.occupied_end for day, hour in hours],
        dtype=bool,
    )


def schedule(zone: Zone, times: Sequence[datetime]) -> tuple[Array, Array, Array]:
    """Comfort band (low, high) and the thermostat's set point at ``times``.

    Occupied: the zone's band (20–24 °C by default, DIN EN 16798-1 category II in winter);
    empty: from the setback up to 30 °C. The thermostat holds the band's lower edge while
    occupied, starting a fixed ``preheat_hours`` before occupancy, and the setback otherwise —
    the same band the plan keeps, so that they are compared on equal terms."""
    busy = occupied(zone, times)
    lead = timedelta(hours=zone.preheat_hours)
    early = occupied(zone, [t + lead for t in times]) | busy
    low = np.where(busy, zone.comfort_low, zone.setback)
    high = np.where(busy, zone.comfort_high, 30.0)
    thermostat = np.where(early, zone.comfort_low, zone.setback)
    return low.astype(float), high.astype(float), thermostat.astype(float)


@dataclass(frozen=True)
class Surroundings:
    """What the zones of a municipality share at one moment: its weather and market
    Datastreams and their values from a day before ``now`` to two days after (read once per
    re-planning round, not once per zone)."""

    now: datetime
    start: datetime
    end: datetime
    streams: Streams
    found: dict[int, sensing.Series]


def surroundings(session: Session, *, municipality_id: int, now: datetime) -> Surroundings:
    found_streams = streams(session, municipality_id=municipality_id)
    start, end = now - timedelta(days=1, hours=1), now + timedelta(days=2)
    found = sensing.series(session, datastream_ids=found_streams.ids(), start=start, end=end)
    return Surroundings(now, start, end, found_streams, found)


@dataclass(frozen=True)
class Inputs:
    grid: list[datetime]
    forecast: mpc.Forecast
    thermostat: Array
    t_m0: float
    event: DemandEvent | None
    notes: list[str] = field(default_factory=list)


def plan_inputs(
    session: Session,
    *,
    zone: Zone,
    building: Building,
    now: datetime,
    electricity_price: float,
    electricity_co2: float,
    solar_share: float = 1.0,
    around: Surroundings | None = None,
) -> Inputs:
    """The controller's view of the next 24 hours (see the module's description).
    ``electricity_price`` (€/kWh) and ``electricity_co2`` (kg/kWh) stand in where the
    municipality has no dynamic tariff; ``solar_share`` is the calibrated solar aperture;
    ``around`` what the municipality's zones share (read here when not given)."""
    grid = step_grid(now)
    notes: list[str] = []
    if around is None or around.now != now:
        around = surroundings(session, municipality_id=building.municipality_id, now=now)
    found_streams = around.streams
    found = {
        **around.found,
        **sensing.series(
            session, datastream_ids=[zone.indoor_stream_id], start=around.start, end=around.end
        ),
    }

    def series(stream: int | None) -> sensing.Series | None:
        return None if stream is None else found[stream]

    t_out, by_forecast, by_persistence = forecast_or_persistence(
        grid,
        series(found_streams.outdoor_forecast),
        series(found_streams.outdoor),
        DEFAULT_OUTSIDE,
    )
    if by_forecast + by_persistence:
        notes.append(_weather_note("outdoor temperature", by_forecast, by_persistence, len(grid)))
    else:
        notes.append(f"no outdoor temperature: {DEFAULT_OUTSIDE:g} °C assumed")
    ghi, sun_forecast, sun_persistence = forecast_or_persistence(
        grid,
        series(found_streams.radiation_forecast),
        series(found_streams.radiation),
        0.0,
    )
    if sun_forecast + sun_persistence:
        gains_sun = solar_gains(session, zone=zone, building=building, grid=grid, ghi=ghi)
        gains_sun *= solar_share
        notes.append(_weather_note("global radiation", sun_forecast, sun_persistence, len(grid)))
    else:
        gains_sun = np.zeros(len(grid))
        notes.append("no global radiation: no solar gains")

    if found_streams.price is not None and found_streams.co2 is not None:
        price = hold(found[found_streams.price], grid, electricity_price)
        co2 = hold(found[found_streams.co2], grid, electricity_co2 * 1000.0) / 1000.0
    else:
        price = np.full(len(grid), electricity_price)
        co2 = np.full(len(grid), electricity_co2)
        notes.append("no dynamic tariff: the fixed electricity price is used")
    overrides = event_overrides(session, building=building, grid=grid)
    if overrides.price is not None:
        replaced = np.isfinite(overrides.price)
        price = np.where(replaced, overrides.price, price)
        notes.append(f"demand-response price in {int(replaced.sum())} steps")

    indoor = found[zone.indoor_stream_id]
    t_m0 = float(indoor.values[-1]) if len(indoor.values) else zone.comfort_low
    low, high, thermostat = schedule(zone, grid)
    gains = zone.floor_area * np.where(occupied(zone, grid), GAINS_OCCUPIED, GAINS_EMPTY)
    forecast = mpc.Forecast(
        t_out=t_out,
        internal_gains=gains,
        solar_gains=gains_sun,
        low=low,
        high=high,
        price=price,
        co2=co2,
        base_load=np.full(len(grid), building.floor_area * BASE_LOAD),
        pv=np.zeros(len(grid)),
        limit=overrides.limit,
    )
    return Inputs(grid, forecast, thermostat, t_m0, overrides.event, notes)


def _weather_note(what: str, by_forecast: int, by_persistence: int, steps: int) -> str:
    if by_forecast == steps:
        return f"{what}: forecast"
    if by_forecast:
        return f"{what}: forecast for {by_forecast} of {steps} steps, then persistence"
    if by_persistence == steps:
        return f"{what}: persistence (the last 24 hours repeated)"
    return f"{what}: persistence for {by_persistence} of {steps} steps"


def solar_gains(
    session: Session,
    *,
    zone: Zone,
    building: Building,
    grid: Sequence[datetime],
    ghi: Array,
    step: timedelta = STEP,
) -> Array:
    """Solar gains (W) through the zone's windows for global horizontal irradiance ``ghi`` at
    the middle of each step, the sun seen from the municipality's centre."""
    import pandas as pd

    place = session.get(Municipality, building.municipality_id)
    if place is None or place.geom is None:
        return np.zeros(len(grid))
    centre = place.geom.centroid
    times = pd.DatetimeIndex([t.astimezone(UTC) + step / 2 for t in grid])
    sun = solar.sun_at(times, latitude=float(centre.y), longitude=float(centre.x))
    light = solar.from_global(ghi, sun, times)
    return solar.gains(light, sun, solar.windows(zone.window_area, zone.u_window))
