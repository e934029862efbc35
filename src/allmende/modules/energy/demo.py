"""The demo's energy management: three municipal buildings with metering from 1 January of the
previous year up to now, one of them under predictive control.

* The sensors network already has electricity meters (15-minute readings of the last four
  weeks) and a weather station per municipality. The demo extends those Datastreams backwards
  with hourly values, so every building has a continuous meter and every municipality a
  continuous outdoor temperature (the Mannheim test reference year inside ``teaser`` where it
  is installed, else a generated climate of the same shape).
* Heat meters (hourly counters) come from each building's 5R1C model under its thermostat
  schedule in that weather; the fire station's heat meter was exchanged once (a counter reset
  the plausibility check finds) and was offline for two days.
* The primary school in Lindenbach heats with a heat pump under predictive control against the
  day-ahead tariff: the last 24 hours were re-planned every hour and the building followed the
  plans, so its page shows the plan beside the thermostat schedule and what the building did.
* A demand-response event (an import limit from the grid operator's VTN) yesterday at noon,
  re-planned for and reported.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from allmende.modules.energy import (
    calibrate,
    calibration,
    catalogue,
    outlook,
    rc,
    service,
    tariff,
)
from allmende.modules.energy.models import DemandEvent, VenLink, Zone
from allmende.sdk import ANONYMOUS, DemoContext, Municipality, sensing, vocabulary

Array = NDArray[np.float64]
SEED = 20261206
HOUR = timedelta(hours=1)
W_PER_M2 = ("watt per square metre", "W/m²", "http://unitsofmeasure.org/ucum.html#para-30")

#: (municipality, building, use, heating, NGF m², year, zone geometry, control)
BUILDINGS: tuple[tuple[str, str, str, str, float, int, str], ...] = (
    ("auenstadt", "Rathaus Auenstadt", "town_hall", "heat", 2400.0, 1962, "schedule"),
    ("lindenbach", "Grundschule Lindenbach", "school", "heat_pump", 1900.0, 1974, "mpc"),
    ("eichtal", "Feuerwehrhaus Eichtal", "fire_station", "gas", 850.0, 1988, "schedule"),
)
HOURS_OPEN = {"town_hall": (7.0, 18.0), "school": (7.5, 16.0), "fire_station": (7.0, 16.0)}
#: How the real building differs from its register data (envelope, ventilation, capacity).
TRUTH = {"lindenbach": (1.2, 1.0, 0.8)}
U_VALUES = {1962: (2.6, 0.9), 1974: (1.6, 0.55), 1988: (1.4, 0.5)}


def _first(session: Any, stream: int) -> tuple[datetime, float] | None:
    found = sensing.series(
        session,
        datastream_ids=[stream],
        start=datetime(2000, 1, 1, tzinfo=UTC),
        end=datetime(2100, 1, 1, tzinfo=UTC),
    )[stream]
    if not len(found.times):
        return None
    return found.times[0].item().replace(tzinfo=UTC), float(found.values[0])


def _stream_of(session: Any, m: Municipality, thing_name: str, definition: str) -> int | None:
    for thing in sensing.list_things(session, principal=ANONYMOUS, municipality_ids=[m.id]):
        if thing.name == thing_name or thing_name == "*":
            for stream in thing.streams:
                if stream.definition == definition:
                    return stream.id
    return None


def _climate(hours: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """Hourly outdoor temperature and global radiation: the Mannheim test reference year where
    ``teaser`` is installed, else a generated climate (annual and daily cycle, weather noise)."""
    try:
        from pathlib import Path

        import teaser

        from allmende.modules.energy import weather

        year = weather.read_mos(
            Path(teaser.__file__).parent
            / "data/input/inputdata/weatherdata/DEU_BW_Mannheim_107290_TRY2010_12_Jahr_BBSR.mos"
        )
        index = hours.astype(int) % 8760
        return np.asarray(year.t_air[index], dtype=float), np.asarray(year.ghi[index], float)
    except ImportError:
        day = hours / 24.0
        noise = np.cumsum(rng.normal(0, 0.35, len(hours)))
        noise -= np.convolve(noise, np.ones(240) / 240, mode="same")
        climate: Array = (
            10.5
            - 9.5 * np.cos(2 * np.pi * (day - 20) / 365)
            - 4 * np.cos(2 * np.pi * (hours % 24 - 3) / 24)
            + noise
        )
        noon = np.clip(np.sin(np.pi * (hours % 24 - 6) / 13), 0, None)
        season = 0.55 - 0.35 * np.cos(2 * np.pi * (day - 10) / 365)
        return climate, 800.0 * season * noon


def _measured(session: Any, stream: int | None, grid: list[datetime], fallback: Array) -> Array:
    """Hourly means of what a station stream holds over ``grid``, ``fallback`` elsewhere: the
    buildings then answer to the weather their municipality measured."""
    if stream is None:
        return fallback
    found = sensing.series(session, datastream_ids=[stream], start=grid[0], end=grid[-1] + HOUR)[
        stream
    ]
    if not len(found.times):
        return fallback
    start = np.datetime64(grid[0].replace(tzinfo=None), "us")
    index = ((found.times - start) // np.timedelta64(1, "h")).astype(int)
    inside = (index >= 0) & (index < len(grid))
    sums = np.bincount(index[inside], weights=found.values[inside], minlength=len(grid))
    counts = np.bincount(index[inside], minlength=len(grid))
    return np.where(counts > 0, sums / np.maximum(counts, 1), fallback)


def add_demo(ctx: DemoContext) -> None:
    rng = np.random.default_rng(SEED)
    session = ctx.session
    now = ctx.now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    begin = datetime(now.year - 1, 1, 1, tzinfo=UTC) - HOUR
    grid = [begin + HOUR * k for k in range(int((now - begin) / HOUR))]
    hour_of_year = np.array([(t - datetime(t.year, 1, 1, tzinfo=UTC)) / HOUR for t in grid])
    stored = 0
    weather: dict[str, tuple[Array, Array]] = {}
    for key, m in ctx.municipalities.items():
        t_out, ghi = _climate(hour_of_year, rng)
        t_out = t_out - {"lindenbach": 0.4, "eichtal": 1.1}.get(key, 0.0)
        station = _stream_of(session, m, "*", vocabulary.AIR_TEMPERATURE)
        if station is not None:
            first = _first(session, station)
            cut = len(grid) if first is None else sum(1 for t in grid if t < first[0])
            stored += sensing.ingest_series(
                session,
                datastream_id=station,
                times=grid[:cut],
                values=[round(float(v), 1) for v in t_out[:cut]],
            )
        radiation = _stream_of(session, m, "*", vocabulary.GLOBAL_RADIATION)
        weather[key] = (
            _measured(session, station, grid, t_out),
            _measured(session, radiation, grid, ghi),
        )
    for key, name, use, heating, area, year, control in BUILDINGS:
        if key not in ctx.municipalities:
            continue
        place = ctx.municipalities[key]
        stored += _building(
            ctx, place, key, name, use, heating, area, year, control, grid, weather[key], rng
        )
    ctx.notes.append(
        f"Energy: {len(BUILDINGS)} buildings with metering since {begin.year + 1}-01-01 "
        f"({stored} Observations), predictive control and a demand-response event at /energy"
    )


def _building(
    ctx: DemoContext,
    m: Municipality,
    key: str,
    name: str,
    use: str,
    heating: str,
    area: float,
    year: int,
    control: str,
    grid: list[datetime],
    weather: tuple[Array, Array],
    rng: np.random.Generator,
) -> int:
    session = ctx.session
    t_out, ghi = weather
    assert m.geom is not None
    centre = m.geom.centroid
    building = service.create_building(
        session,
        municipality_id=m.id,
        name=name,
        use=use,
        floor_area=area,
        heating_system=heating,
        year_built=year,
        lon=float(centre.x) + 0.002,
        lat=float(centre.y) + 0.001,
        pv_kwp=30.0 if use == "school" else 0.0,
    )
    u_window, u_opaque = U_VALUES[year]
    start, end = HOURS_OPEN[use]
    zone = service.add_zone(
        session,
        building_id=building.id,
        name="Gesamtgebäude",
        floor_area=area,
        volume=area * 3.2,
        window_area=0.22 * area,
        opaque_area=1.4 * area,
        u_window=u_window,
        u_opaque=u_opaque,
        air_changes=0.6,
        heat_capacity=260_000.0,
        heating_kw=0.0 + round(area * 0.07),
        occupied_start=start,
        occupied_end=end,
        control=control,
    )
    model = service.zone_model(zone)
    design = model.heat_loss_coefficient * 32 / 1000
    zone.heating_kw = float(round(1.3 * design))
    # The building as it is: the school leaks more and is lighter than its register says,
    # which the calibration on its measurements finds.
    truth = calibration.scaled(model, *TRUTH.get(key, (1.0, 1.0, 1.0)))
    thermostat = outlook.schedule(zone, grid)[2]
    occupied = outlook.occupied(zone, grid)
    gains = area * np.where(occupied, outlook.GAINS_OCCUPIED, outlook.GAINS_EMPTY)
    sun = outlook.solar_gains(session, zone=zone, building=building, grid=grid, ghi=ghi, step=HOUR)
    run = rc.simulate(
        truth,
        t_out=t_out,
        internal_gains=gains,
        solar_gains=sun,
        t_set_heating=thermostat,
        t_set_cooling=np.inf,
        max_heating=zone.heating_kw * 1000,
        t_m0=19.0,
    )
    heat_kw = np.clip(run.phi_hc, 0, None) / 1000 * rng.normal(1.0, 0.05, len(grid)).clip(0.8, 1.2)
    stored = 0
    heat_carrier = "electricity" if heating == "heat_pump" else heating
    if heat_carrier != "electricity":
        heat_meter = service.add_meter(
            session,
            building_id=building.id,
            name="Wärmezähler" if heating == "heat" else "Gaszähler",
            carrier=heating,
            nominal_seconds=3600,
        )
        fuel = heat_kw / (0.92 if heating == "gas" else 1.0)
        counter = 12_000 + np.cumsum(fuel) - fuel  # a reading counts the hours before it
        times = list(grid)
        if name.startswith("Feuerwehrhaus"):
            # The meter was exchanged in March: the new one starts from zero; two days offline.
            swap = next(
                i
                for i, t in enumerate(grid)
                if t.month == 3 and t.day == 14 and t.year == grid[-1].year - 1
            )
            counter[swap:] -= counter[swap - 1] - 3.0
            gap = slice(swap + 600, swap + 648)
            counter = np.delete(counter, np.r_[gap])
            times = [t for i, t in enumerate(grid) if not (gap.start <= i < gap.stop)]
        stored += sensing.ingest_series(
            session,
            datastream_id=heat_meter.datastream_id,
            times=times,
            values=[round(float(v), 1) for v in counter],
        )
    # Electricity: the sensors network's smart meter, extended backwards with hourly readings.
    power = area * 0.004 * np.where(occupied, 2.2, 0.6) * rng.normal(1, 0.06, len(grid))
    if heating == "heat_pump":
        plant = service.plant_of(session, zone=zone, building=building, when=grid[-1])
        power = power + plant.electricity(heat_kw, t_out)
    existing = _stream_of(session, m, f"Stromzähler {name}", vocabulary.ENERGY)
    first = _first(session, existing) if existing is not None else None
    cut = len(grid) if first is None else sum(1 for t in grid if t < first[0])
    energy = np.cumsum(power[:cut])
    top = first[1] if first is not None else 100_000.0 + float(energy[-1])
    # A reading counts the hours before it; the first one the network has is "top".
    readings = top - (energy[-1] - energy) - power[:cut] if cut else np.empty(0)
    meter = service.add_meter(
        session,
        building_id=building.id,
        name="Stromzähler (Hauptzähler)",
        carrier="electricity",
        nominal_seconds=3600,
        datastream_id=existing,
    )
    stored += sensing.ingest_series(
        session,
        datastream_id=meter.datastream_id,
        times=grid[:cut],
        values=[round(float(v), 2) for v in readings],
    )
    if heating == "heat_pump":
        # The heat the pump delivers, a sub-meter of the electricity it draws.
        heat_meter = service.add_meter(
            session,
            building_id=building.id,
            name="Wärmemengenzähler Wärmepumpe",
            carrier="heat",
            nominal_seconds=3600,
            parent_id=meter.id,
        )
        stored += sensing.ingest_series(
            session,
            datastream_id=heat_meter.datastream_id,
            times=grid,
            values=[round(float(v), 1) for v in 40_000 + np.cumsum(heat_kw) - heat_kw],
        )
    if control == "mpc":
        # The room sensor's last four weeks under the schedule, the calibration on them, then
        # predictive control.
        recent = slice(len(grid) - 24 * 28, len(grid) - 24)
        stored += sensing.ingest_series(
            session,
            datastream_id=zone.indoor_stream_id,
            times=grid[recent],
            values=[round(float(v), 2) for v in run.t_air[recent] + rng.normal(0, 0.1, 24 * 27)],
        )
        calibrate.calibrate_zone(session, zone_id=zone.id, now=grid[recent.stop])
        stored += _predictive(ctx, m, building.id, zone, grid, t_out, sun, truth)
    return stored


def _predictive(
    ctx: DemoContext,
    m: Municipality,
    building_id: int,
    zone: Zone,
    grid: list[datetime],
    t_out: Array,
    sun: Array,
    truth: rc.Zone,
) -> int:
    """Market streams, a weather forecast, a day of hourly re-planning the building (its real
    model) followed, and a demand event."""
    session = ctx.session
    assert m.geom is not None
    market = service.ensure_market(
        session, municipality_id=m.id, lon=float(m.geom.centroid.x), lat=float(m.geom.centroid.y)
    )
    now = grid[-1] + HOUR
    days = [now - timedelta(days=14) + HOUR * k for k in range(24 * 15)]
    hours = np.array([(t - datetime(t.year, 1, 1, tzinfo=UTC)) / HOUR for t in days])
    stored = sensing.ingest_series(
        session,
        datastream_id=market.price_stream,
        times=days,
        values=[round(float(v), 4) for v in tariff.retail_price(hours)],
    )
    stored += sensing.ingest_series(
        session,
        datastream_id=market.co2_stream,
        times=days,
        values=[round(float(v) * 1000) for v in tariff.grid_co2(hours)],
    )
    # A demand-response event yesterday 11:00–13:00 UTC, from the grid operator's programme.
    yesterday = (now - timedelta(days=1)).replace(hour=11)
    link = VenLink(
        municipality_id=m.id,
        vtn_url="https://vtn.netzbetreiber.example/openadr3",
        client_id="lindenbach-ven",
        client_secret="demo-only",  # noqa: S106 - a demo link that is never polled
        ven_name="allmende-lindenbach",
        ven_id="17",
        building_id=building_id,
        active=False,
        polled_at=now,
    )
    session.add(link)
    session.flush()
    intervals = [
        {
            "start": (yesterday + timedelta(minutes=15 * i)).isoformat(),
            "seconds": 900,
            "value": 25.0,
            "limit_kw": 25.0,
        }
        for i in range(8)
    ]
    event = DemandEvent(
        link_id=link.id,
        event_id="evt-2291",
        program_id="engpass-lindenbach",
        name="Netzengpass Mittag",
        payload_type="IMPORT_CAPACITY_LIMIT",
        start=yesterday,
        end=yesterday + timedelta(hours=2),
        intervals=intervals,
        received_at=yesterday - timedelta(hours=20),
        replanned_at=yesterday - timedelta(hours=20),
        reported_at=yesterday + timedelta(hours=2, minutes=1),
        share_kept=1.0,
    )
    session.add(event)
    stored += _forecast(session, m, now, t_out, grid)
    # The last 24 hours: re-planned every hour; the building followed each plan's first hour.
    a, b, c, _ = rc.state_space(truth, step_seconds=900.0)
    t_m = 20.0
    for k in range(24, 0, -1):
        at = now - HOUR * k
        plan = service.replan_zone(session, zone=zone, now=at)
        steps = [at + timedelta(minutes=15 * j) for j in range(4)]
        busy = outlook.occupied(zone, steps)
        indoor: list[float] = []
        for j, step in enumerate(steps):
            i = min(int((step - grid[0]) / HOUR), len(t_out) - 1)
            gains = zone.floor_area * (outlook.GAINS_OCCUPIED if busy[j] else outlook.GAINS_EMPTY)
            u = np.array([t_out[i], t_out[i], gains, sun[i], plan.heating_kw[j] * 1000])
            indoor.append(round(float(c[0] * t_m + c[1:] @ u), 2))
            t_m = a * t_m + b @ u
        # What the room sensor reported while the building followed the plan.
        stored += sensing.ingest_series(
            session, datastream_id=zone.indoor_stream_id, times=steps, values=indoor
        )
    service.replan_zone(session, zone=zone, now=now)
    return stored


def _forecast(
    session: Any, m: Municipality, now: datetime, t_out: Array, grid: list[datetime]
) -> int:
    """A weather forecast for the next 48 hours as a forecast feed would deliver it (see the
    convention in ``outlook``): the test reference year's coming hours, shifted to meet the
    last measured temperature and converging to the reference year over a day."""
    assert m.geom is not None
    centre = m.geom.centroid
    thing = sensing.ensure_thing(
        session,
        name=f"Wettervorhersage {m.name}",
        municipality_id=m.id,
        public=True,
        lon=float(centre.x),
        lat=float(centre.y),
        properties={"kind": "weather-forecast"},
        description="Stündliche Vorhersage von Lufttemperatur und Globalstrahlung (Demo).",
    )
    hours = [now + HOUR * k for k in range(49)]
    hour_of_year = np.array([(t - datetime(t.year, 1, 1, tzinfo=UTC)) / HOUR for t in hours])
    reference, ghi = _climate(hour_of_year, np.random.default_rng(SEED))
    offset = (t_out[-1] - reference[0]) * np.exp(-np.arange(49) / 24.0)
    stored = 0
    for name, definition, unit, values in (
        (
            "Lufttemperatur (Vorhersage)",
            catalogue.AIR_TEMPERATURE_FORECAST,
            service.CELSIUS,
            reference + offset,
        ),
        (
            "Globalstrahlung (Vorhersage)",
            catalogue.GLOBAL_RADIATION_FORECAST,
            W_PER_M2,
            ghi,
        ),
    ):
        stream = sensing.ensure_datastream(
            session,
            thing_id=thing,
            name=name,
            definition=definition,
            observed_property_name=name,
            unit_name=unit[0],
            unit_symbol=unit[1],
            unit_definition=unit[2],
            public=True,
            sensor_name="Vorhersagemodell",
        )
        stored += sensing.ingest_series(
            session,
            datastream_id=stream,
            times=hours,
            values=[round(float(v), 1) for v in values],
        )
    return stored
