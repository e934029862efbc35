"""Every rule of the energy module: keyword-only functions taking a session.

Buildings are linked to register objects and publish to one SensorThings Thing each; meters are
Datastreams on it; zones carry their 5R1C model, comfort schedule and a set-point Actuator.
Consumption, dashboards and the annual report read the meters through the sensing core;
baselines, calibration and plans call the pure models beside this file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.modules.energy import baseline, catalogue, metering, mpc, rc
from allmende.modules.energy.models import Building, DemandEvent, Meter, Plan, VenLink, Zone
from allmende.sdk import (
    Conflict,
    NotFound,
    ValidationFailed,
    actuation,
    csvformat,
    features,
    notify_staff,
    publish,
    sensing,
    vocabulary,
)

ORIGIN = "energy.mpc"
STEP = timedelta(minutes=15)
HORIZON_STEPS = 96
#: Days of daily data a baseline needs (CalTRACK asks 90 % of a 365-day year).
BASELINE_DAYS = baseline.MIN_DAYS
CELSIUS = ("degree Celsius", "°C", "http://unitsofmeasure.org/ucum.html#para-30")
KWH = ("kilowatt hour", "kWh", "http://unitsofmeasure.org/ucum.html#para-30")
KW = ("kilowatt", "kW", "http://unitsofmeasure.org/ucum.html#para-30")
M3 = ("cubic metre", "m³", "http://unitsofmeasure.org/ucum.html#para-30")
EUR_PER_KWH = ("euro per kilowatt hour", "€/kWh", "https://allmende.example/def/eur_per_kwh")
G_PER_KWH = ("gram per kilowatt hour", "g/kWh", "https://allmende.example/def/g_per_kwh")
#: What each carrier's meter measures: ObservedProperty definition, its name, and unit.
METER_KINDS = {
    "electricity": (vocabulary.ENERGY, "Elektrische Energie", KWH),
    "heat": (vocabulary.HEAT_ENERGY, "Wärmemenge", KWH),
    "gas": (vocabulary.GAS_ENERGY, "Gasmenge (Brennwert)", KWH),
    "oil": (vocabulary.ENERGY, "Heizöl (Heizwert)", KWH),
    "pv": (vocabulary.ENERGY, "PV-Ertrag", KWH),
    "water": (vocabulary.WATER_VOLUME, "Wasservolumen", M3),
}
SETPOINT_PARAMETERS = {
    "type": "DataRecord",
    "field": [
        {
            "name": "setpoint",
            "label": "Raumtemperatur-Sollwert",
            "type": "Quantity",
            "uom": {"code": "Cel"},
            "constraint": {"type": "AllowedInterval", "interval": [[10, 30]]},
        }
    ],
}


def _local(zone: str = catalogue.LOCAL_ZONE) -> ZoneInfo:
    return ZoneInfo(zone)


# --- buildings, zones, meters ----------------------------------------------------------------


def _check_ref(
    session: Session, ref: str, sources: Sequence[features.FeatureSource], principal: Any
) -> None:
    collection, _, feature_id = ref.partition("/")
    if not collection or not feature_id:
        raise ValidationFailed.one("object_ref", "must be '<collection>/<feature id>'")
    for source in sources:
        if source.item(session, principal, collection, feature_id) is not None:
            return
    raise ValidationFailed.one("object_ref", f"no register object {ref!r} is visible to you")


def create_building(
    session: Session,
    *,
    municipality_id: int,
    name: str,
    use: str,
    floor_area: float,
    heating_system: str,
    lon: float,
    lat: float,
    year_built: int | None = None,
    heat_pump: bool = False,
    pv_kwp: float = 0.0,
    object_ref: str | None = None,
    public: bool = True,
    sources: Sequence[features.FeatureSource] = (),
    principal: Any = None,
) -> Building:
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed.one("name", "must be 1 to 200 characters")
    if use not in catalogue.USE_BY_KEY:
        raise ValidationFailed.one("use", f"must be one of {', '.join(catalogue.USE_BY_KEY)}")
    if not 10 <= floor_area <= 1_000_000:
        raise ValidationFailed.one("floor_area", "must be between 10 and 1 000 000 m²")
    if heating_system not in catalogue.HEATING_SYSTEMS:
        raise ValidationFailed.one(
            "heating_system", f"must be one of {', '.join(catalogue.HEATING_SYSTEMS)}"
        )
    if year_built is not None and not 1000 <= year_built <= 2100:
        raise ValidationFailed.one("year_built", "must be a year between 1000 and 2100")
    if not 0 <= pv_kwp <= 100_000:
        raise ValidationFailed.one("pv_kwp", "must be between 0 and 100 000 kWp")
    if object_ref:
        _check_ref(session, object_ref, sources, principal)
    if session.scalar(
        select(Building.id).where(
            Building.municipality_id == municipality_id, Building.name == name
        )
    ):
        raise Conflict(detail=f"The municipality already has a building named {name!r}.")
    thing_id = sensing.ensure_thing(
        session,
        name=name,
        municipality_id=municipality_id,
        public=public,
        lon=lon,
        lat=lat,
        properties={"kind": "building", "use": use},
    )
    building = Building(
        municipality_id=municipality_id,
        name=name,
        use=use,
        floor_area=floor_area,
        year_built=year_built,
        heating_system=heating_system,
        heat_pump=heat_pump or heating_system == "heat_pump",
        pv_kwp=pv_kwp,
        object_ref=object_ref or None,
        thing_id=thing_id,
        public=public,
    )
    session.add(building)
    session.flush()
    return building


def get_building(session: Session, building_id: int) -> Building:
    building = session.get(Building, building_id)
    if building is None:
        raise NotFound(detail=f"No building with id {building_id}.")
    return building


def buildings(session: Session, *, municipality_ids: Sequence[int] | None) -> list[Building]:
    query = select(Building).order_by(Building.name, Building.id)
    if municipality_ids is not None:
        query = query.where(Building.municipality_id.in_(sorted(municipality_ids)))
    return list(session.scalars(query))


def add_zone(
    session: Session,
    *,
    building_id: int,
    name: str,
    floor_area: float,
    volume: float,
    window_area: float,
    opaque_area: float,
    u_window: float = 1.3,
    u_opaque: float = 0.4,
    air_changes: float = 0.6,
    heat_capacity: float = 165_000.0,
    heating_kw: float,
    cooling_kw: float = 0.0,
    occupied_start: float = 7.0,
    occupied_end: float = 17.0,
    comfort_low: float = 20.0,
    comfort_high: float = 26.0,
    setback: float = 16.0,
    control: str = "schedule",
    objective: str = "cost",
) -> Zone:
    building = get_building(session, building_id)
    checks = (
        ("floor_area", floor_area, 1, 1_000_000),
        ("volume", volume, 1, 10_000_000),
        ("window_area", window_area, 0, 1_000_000),
        ("opaque_area", opaque_area, 1, 1_000_000),
        ("u_window", u_window, 0.1, 7),
        ("u_opaque", u_opaque, 0.05, 5),
        ("air_changes", air_changes, 0.05, 20),
        ("heat_capacity", heat_capacity, 10_000, 1_000_000),
        ("heating_kw", heating_kw, 0, 100_000),
        ("cooling_kw", cooling_kw, 0, 100_000),
        ("occupied_start", occupied_start, 0, 24),
        ("occupied_end", occupied_end, 0, 24),
        ("comfort_low", comfort_low, 10, 30),
        ("comfort_high", comfort_high, 10, 35),
        ("setback", setback, 5, 30),
    )
    for field_name, value, low, high in checks:
        if not low <= value <= high:
            raise ValidationFailed.one(field_name, f"must be between {low} and {high}")
    if comfort_high <= comfort_low:
        raise ValidationFailed.one("comfort_high", "must be above comfort_low")
    if occupied_end <= occupied_start:
        raise ValidationFailed.one("occupied_end", "must be after occupied_start")
    if control not in ("schedule", "mpc"):
        raise ValidationFailed.one("control", "must be 'schedule' or 'mpc'")
    if objective not in ("cost", "co2"):
        raise ValidationFailed.one("objective", "must be 'cost' or 'co2'")
    prefix = f"{name}: "

    def stream(label: str, definition: str, property_name: str, unit: tuple[str, str, str]) -> int:
        return sensing.ensure_datastream(
            session,
            thing_id=building.thing_id,
            name=prefix + label,
            definition=definition,
            observed_property_name=property_name,
            unit_name=unit[0],
            unit_symbol=unit[1],
            unit_definition=unit[2],
            public=building.public,
        )

    zone = Zone(
        building_id=building.id,
        name=name,
        floor_area=floor_area,
        volume=volume,
        window_area=window_area,
        opaque_area=opaque_area,
        u_window=u_window,
        u_opaque=u_opaque,
        air_changes=air_changes,
        heat_capacity=heat_capacity,
        heating_kw=heating_kw,
        cooling_kw=cooling_kw,
        occupied_start=occupied_start,
        occupied_end=occupied_end,
        comfort_low=comfort_low,
        comfort_high=comfort_high,
        setback=setback,
        control=control,
        objective=objective,
        indoor_stream_id=stream(
            "Raumtemperatur", vocabulary.INDOOR_AIR_TEMPERATURE, "Raumlufttemperatur", CELSIUS
        ),
        setpoint_stream_id=stream(
            "Sollwert", vocabulary.SETPOINT_TEMPERATURE, "Raumtemperatur-Sollwert", CELSIUS
        ),
        heating_stream_id=stream(
            "Geplante Heizleistung", vocabulary.HEATING_POWER, "Heizleistung", KW
        ),
        capability_id=actuation.ensure_actuator(
            session,
            thing_id=building.thing_id,
            name=f"{name}: Sollwert",
            description=f"Raumtemperatur-Sollwert der Zone {name} ({building.name})",
            parameters=SETPOINT_PARAMETERS,
        ),
    )
    session.add(zone)
    session.flush()
    return zone


def zones(session: Session, *, building_id: int) -> list[Zone]:
    return list(session.scalars(select(Zone).where(Zone.building_id == building_id)))


def add_meter(
    session: Session,
    *,
    building_id: int,
    name: str,
    carrier: str,
    reading: str = "counter",
    nominal_seconds: int = 900,
    parent_id: int | None = None,
    datastream_id: int | None = None,
) -> Meter:
    """A meter of the building: a new Datastream on its Thing, or an existing one
    (``datastream_id``, e.g. a meter the sensors network already reads)."""
    building = get_building(session, building_id)
    if carrier not in METER_KINDS:
        raise ValidationFailed.one("carrier", f"must be one of {', '.join(METER_KINDS)}")
    if reading not in ("counter", "interval"):
        raise ValidationFailed.one("reading", "must be 'counter' or 'interval'")
    if not 60 <= nominal_seconds <= 31 * 86400:
        raise ValidationFailed.one("nominal_seconds", "must be between 60 s and 31 days")
    if parent_id is not None:
        parent = session.get(Meter, parent_id)
        if parent is None or parent.building_id != building_id:
            raise ValidationFailed.one("parent_id", "must be a meter of the same building")
    if datastream_id is None:
        definition, property_name, unit = METER_KINDS[carrier]
        datastream_id = sensing.ensure_datastream(
            session,
            thing_id=building.thing_id,
            name=name,
            definition=definition,
            observed_property_name=property_name,
            unit_name=unit[0],
            unit_symbol=unit[1],
            unit_definition=unit[2],
            public=building.public,
            sensor_name="Zähler",
            sensor_description="Energy and water meters of the municipality's buildings.",
            properties={"carrier": carrier, "reading": reading},
        )
    if session.scalar(select(Meter.id).where(Meter.datastream_id == datastream_id)):
        raise Conflict(detail="That Datastream is already a meter.")
    meter = Meter(
        building_id=building_id,
        parent_id=parent_id,
        name=name,
        carrier=carrier,
        reading=reading,
        nominal_seconds=nominal_seconds,
        datastream_id=datastream_id,
    )
    session.add(meter)
    session.flush()
    return meter


def meters(session: Session, *, building_ids: Sequence[int]) -> list[Meter]:
    if not building_ids:
        return []
    return list(
        session.scalars(
            select(Meter).where(Meter.building_id.in_(sorted(building_ids))).order_by(Meter.id)
        )
    )


# --- consumption -----------------------------------------------------------------------------


def consumption(
    session: Session, *, meter: Meter, start: datetime, end: datetime
) -> metering.Consumption:
    """The meter's consumption of the intervals that end in (start, end], checked for
    plausibility. A counter needs the reading before ``start``: the read begins earlier."""
    lead = timedelta(seconds=meter.nominal_seconds * 2)
    found = sensing.series(
        session,
        datastream_ids=[meter.datastream_id],
        start=start - lead,
        end=end + timedelta(microseconds=1),
    )[meter.datastream_id]
    if meter.reading == "counter":
        result = metering.from_counter(
            found.times, found.values, nominal_seconds=meter.nominal_seconds
        )
    else:
        result = metering.from_intervals(found.times, found.values)
    low = np.datetime64(start.astimezone(UTC).replace(tzinfo=None), "us")
    high = np.datetime64(end.astimezone(UTC).replace(tzinfo=None), "us")
    keep = (result.end > low) & (result.end <= high)
    issues = [i for i in result.issues if low < i.time <= high]
    return metering.Consumption(result.end[keep], result.value[keep], issues)


@dataclass(frozen=True)
class Buckets:
    starts: list[datetime]
    values: list[float | None]
    coverage: list[float]
    issues: list[metering.Issue]


def buckets(
    session: Session, *, meter: Meter, start: datetime, end: datetime, resolution: str
) -> Buckets:
    if resolution not in metering.RESOLUTIONS:
        raise ValidationFailed.one(
            "resolution", f"must be one of {', '.join(metering.RESOLUTIONS)}"
        )
    if end <= start:
        raise ValidationFailed.one("end", "must be after start")
    if end - start > timedelta(days=3 * 366):
        raise ValidationFailed.one("end", "a range of at most three years")
    used = consumption(session, meter=meter, start=start, end=end)
    if not len(used.end):
        return Buckets([], [], [], used.issues)
    starts, sums, coverage = metering.resample(
        used,
        resolution=resolution,
        zone=catalogue.LOCAL_ZONE,
        nominal_seconds=meter.nominal_seconds,
    )
    return Buckets(
        [s for s in starts if isinstance(s, datetime)],
        [None if not np.isfinite(v) else float(v) for v in sums],
        [float(c) for c in coverage],
        used.issues,
    )


# --- weather ---------------------------------------------------------------------------------


def outdoor_stream(session: Session, *, municipality_id: int) -> int | None:
    """The municipality's public air-temperature Datastream with the most Observations: its
    weather station, not a street station measuring one summer."""
    from allmende.sdk import ANONYMOUS

    things = sensing.list_things(
        session,
        principal=ANONYMOUS,
        municipality_ids=[municipality_id],
        definitions=[vocabulary.AIR_TEMPERATURE],
    )
    candidates = [
        (stream.observation_count, -stream.id)
        for thing in things
        for stream in thing.streams
        if stream.definition == vocabulary.AIR_TEMPERATURE
    ]
    return -max(candidates)[1] if candidates else None


def daily_temperature(
    session: Session, *, municipality_id: int, start: datetime, end: datetime
) -> tuple[list[datetime], np.ndarray]:
    """Daily mean outdoor temperature (local days) of the municipality's station."""
    import pandas as pd

    stream = outdoor_stream(session, municipality_id=municipality_id)
    if stream is None:
        return [], np.empty(0)
    found = sensing.series(session, datastream_ids=[stream], start=start, end=end)[stream]
    if not len(found.times):
        return [], np.empty(0)
    index = pd.DatetimeIndex(found.times, tz="UTC").tz_convert(catalogue.LOCAL_ZONE)
    daily = pd.Series(found.values, index=index).resample("D").mean()
    return [d.to_pydatetime() for d in daily.index], daily.to_numpy(dtype=float)


# --- dashboards and the annual report --------------------------------------------------------


@dataclass
class CarrierYear:
    carrier: str
    kwh: float
    cost: float
    co2_kg: float
    coverage: float
    issues: int


@dataclass
class BuildingYear:
    building: Building
    year: int
    carriers: list[CarrierYear]
    heat_kwh: float
    heat_corrected_kwh: float | None
    electricity_kwh: float
    degree_days: float | None
    benchmark_heat: float
    cost: float
    co2_kg: float
    notes: list[str] = field(default_factory=list)

    @property
    def heat_per_m2(self) -> float:
        return self.heat_kwh / self.building.floor_area

    @property
    def heat_corrected_per_m2(self) -> float | None:
        if self.heat_corrected_kwh is None:
            return None
        return self.heat_corrected_kwh / self.building.floor_area

    @property
    def electricity_per_m2(self) -> float:
        return self.electricity_kwh / self.building.floor_area

    @property
    def benchmark_ratio(self) -> float | None:
        value = self.heat_corrected_per_m2
        return None if value is None else value / self.benchmark_heat


def year_bounds(year: int) -> tuple[datetime, datetime]:
    if not 1990 <= year <= 2100:
        raise ValidationFailed.one("year", "must be between 1990 and 2100")
    zone = _local()
    return (
        datetime(year, 1, 1, tzinfo=zone).astimezone(UTC),
        datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC),
    )


def degree_days(temperatures: np.ndarray) -> float:
    """VDI 3807 G20/15: Σ (20 − T) over the days with a mean below 15 °C."""
    t = temperatures[np.isfinite(temperatures)]
    heating = t < catalogue.HEATING_LIMIT
    return float(np.sum(catalogue.INDOOR_BASE - t[heating]))


def building_year(session: Session, *, building: Building, year: int) -> BuildingYear:
    start, end = year_bounds(year)
    carriers: list[CarrierYear] = []
    pumped = 0.0
    for meter in meters(session, building_ids=[building.id]):
        if meter.parent_id is not None:
            # Sub-meters are inside their main meter; a heat pump's heat meter gives the heat.
            if building.heat_pump and meter.carrier == "heat":
                pumped += consumption(session, meter=meter, start=start, end=end).total()
            continue
        used = consumption(session, meter=meter, start=start, end=end)
        spec = catalogue.CARRIER_BY_KEY[meter.carrier]
        kwh = used.total()
        expected = max((end - start).total_seconds() / meter.nominal_seconds, 1.0)
        carriers.append(
            CarrierYear(
                carrier=meter.carrier,
                kwh=kwh,
                cost=kwh * spec.price,
                co2_kg=kwh * spec.co2,
                coverage=min(float(np.isfinite(used.value).sum()) / expected, 1.0),
                issues=len(used.issues),
            )
        )
    heat = pumped + sum(c.kwh for c in carriers if catalogue.CARRIER_BY_KEY[c.carrier].heating)
    electricity = sum(c.kwh for c in carriers if c.carrier == "electricity")
    _, temperatures = daily_temperature(
        session, municipality_id=building.municipality_id, start=start, end=end
    )
    notes: list[str] = []
    gt: float | None = None
    corrected: float | None = None
    if len(temperatures) >= 330:
        gt = degree_days(temperatures)
        corrected = heat * catalogue.REFERENCE_DEGREE_DAYS / gt if gt > 0 else None
    else:
        notes.append(
            f"no weather correction: {len(temperatures)} days of outdoor temperature in {year}"
        )
    use = catalogue.USE_BY_KEY[building.use]
    return BuildingYear(
        building=building,
        year=year,
        carriers=carriers,
        heat_kwh=heat,
        heat_corrected_kwh=corrected,
        electricity_kwh=electricity,
        degree_days=gt,
        benchmark_heat=catalogue.heat_benchmark(use, building.floor_area),
        cost=sum(c.cost for c in carriers),
        co2_kg=sum(c.co2_kg for c in carriers),
        notes=notes,
    )


def portfolio(session: Session, *, municipality_id: int, year: int) -> list[BuildingYear]:
    return [
        building_year(session, building=b, year=year)
        for b in buildings(session, municipality_ids=[municipality_id])
    ]


REPORT_COLUMNS = (
    "Gebäude",
    "Nutzung",
    "NGF m²",
    "Wärme kWh",
    "Wärme witterungsbereinigt kWh",
    "Wärme kWh/m²a (bereinigt)",
    "Vergleichswert Wärme kWh/m²a",
    "Strom kWh",
    "Strom kWh/m²a",
    "Kosten €",
    "CO2 kg",
    "Gradtagzahl G20/15",
)


def report_rows(rows: list[BuildingYear]) -> list[list[Any]]:
    return [
        [
            r.building.name,
            catalogue.USE_BY_KEY[r.building.use].category,
            r.building.floor_area,
            r.heat_kwh,
            r.heat_corrected_kwh,
            r.heat_corrected_per_m2,
            r.benchmark_heat,
            r.electricity_kwh,
            r.electricity_per_m2,
            r.cost,
            r.co2_kg,
            r.degree_days,
        ]
        for r in rows
    ]


def report_csv(rows: list[BuildingYear]) -> bytes:
    """German Excel convention (the product's CSV helper): UTF-8 with BOM, semicolons,
    decimal commas; figures to one decimal."""
    table = [[round(v, 1) if isinstance(v, float) else v for v in row] for row in report_rows(rows)]
    return csvformat.to_bytes(REPORT_COLUMNS, table, "excel-de")


# --- baselines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineResult:
    """A daily baseline of a meter, or the reason there is none."""

    meter: Meter
    model: baseline.DailyModel | None
    reason: str | None
    days: int


def meter_baseline(
    session: Session, *, meter: Meter, start: datetime, end: datetime
) -> BaselineResult:
    building = get_building(session, meter.building_id)
    used = buckets(session, meter=meter, start=start, end=end, resolution="day")
    days, temperatures = daily_temperature(
        session, municipality_id=building.municipality_id, start=start, end=end
    )
    by_day = {d.date(): t for d, t in zip(days, temperatures, strict=True)}
    usage, temps = [], []
    for day, value, cover in zip(used.starts, used.values, used.coverage, strict=True):
        t = by_day.get(day.date())
        if value is not None and cover >= 0.9 and t is not None and np.isfinite(t):
            usage.append(value)
            temps.append(t)
    if not by_day:
        return BaselineResult(meter, None, "no outdoor temperature from a weather station", 0)
    try:
        model = baseline.fit_daily(np.array(temps), np.array(usage))
    except baseline.NotEnoughData as missing:
        return BaselineResult(meter, None, missing.reason, len(usage))
    return BaselineResult(meter, model, None, len(usage))


# --- the thermal model and plans -------------------------------------------------------------


def zone_model(zone: Zone) -> rc.Zone:
    prior = rc.Zone.from_building(
        floor_area=zone.floor_area,
        volume=zone.volume,
        window_area=zone.window_area,
        opaque_area=zone.opaque_area,
        u_window=zone.u_window,
        u_opaque=zone.u_opaque,
        air_changes=zone.air_changes,
        heat_capacity_per_floor_area=zone.heat_capacity,
    )
    if zone.calibration:
        from allmende.modules.energy.calibration import scaled

        m = zone.calibration.get("multipliers", {})
        return scaled(
            prior, m.get("envelope", 1.0), m.get("ventilation", 1.0), m.get("capacity", 1.0)
        )
    return prior


def plant_of(zone: Zone, building: Building) -> mpc.Plant:
    if building.heat_pump:
        return mpc.Plant(heating_kw=zone.heating_kw, cooling_kw=zone.cooling_kw)
    carrier = catalogue.CARRIER_BY_KEY.get(building.heating_system, catalogue.CARRIER_BY_KEY["gas"])
    return mpc.Plant(
        heating_kw=zone.heating_kw,
        cooling_kw=zone.cooling_kw,
        heating_carrier=carrier.key,
        fuel_price=carrier.price,
        fuel_co2=carrier.co2,
    )


def schedule(zone: Zone, times: Sequence[datetime]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Comfort band (low, high) and the thermostat's set point at ``times``: occupied on
    weekdays between ``occupied_start`` and ``occupied_end`` local time, the thermostat
    starting two hours early."""
    local = [t.astimezone(_local()) for t in times]
    hours = np.array([t.hour + t.minute / 60 for t in local])
    weekday = np.array([t.weekday() < 5 for t in local])
    occupied = weekday & (hours >= zone.occupied_start) & (hours < zone.occupied_end)
    early = weekday & (hours >= zone.occupied_start - 2) & (hours < zone.occupied_end)
    low = np.where(occupied, zone.comfort_low, zone.setback - 1.0)
    high = np.where(occupied, zone.comfort_high, 30.0)
    thermostat = np.where(early, zone.comfort_low + 1.0, zone.setback)
    return low.astype(float), high.astype(float), thermostat.astype(float)


@dataclass(frozen=True)
class Market:
    """The region's price and grid-intensity Datastreams (inputs of the controller)."""

    price_stream: int
    co2_stream: int


def ensure_market(session: Session, *, municipality_id: int, lon: float, lat: float) -> Market:
    thing = sensing.ensure_thing(
        session,
        name="Strommarkt (Day-Ahead) und Netz",
        municipality_id=municipality_id,
        public=True,
        lon=lon,
        lat=lat,
        properties={"kind": "market"},
        description="Dynamic electricity tariff and grid CO2 intensity the controller plans with.",
    )
    price = sensing.ensure_datastream(
        session,
        thing_id=thing,
        name="Dynamischer Stromtarif",
        definition=vocabulary.ELECTRICITY_PRICE,
        observed_property_name="Strompreis",
        unit_name=EUR_PER_KWH[0],
        unit_symbol=EUR_PER_KWH[1],
        unit_definition=EUR_PER_KWH[2],
        public=True,
        sensor_name="Tarif",
    )
    co2 = sensing.ensure_datastream(
        session,
        thing_id=thing,
        name="CO2-Intensität des Netzstroms",
        definition=vocabulary.GRID_CO2_INTENSITY,
        observed_property_name="CO2-Intensität",
        unit_name=G_PER_KWH[0],
        unit_symbol=G_PER_KWH[1],
        unit_definition=G_PER_KWH[2],
        public=True,
        sensor_name="Tarif",
    )
    return Market(price, co2)


def _market_streams(session: Session, municipality_id: int) -> Market | None:
    from allmende.sdk import ANONYMOUS

    found = sensing.list_things(
        session,
        principal=ANONYMOUS,
        municipality_ids=[municipality_id],
        definitions=[vocabulary.ELECTRICITY_PRICE],
    )
    price = co2 = None
    for thing in found:
        for s in thing.streams:
            if s.definition == vocabulary.ELECTRICITY_PRICE and price is None:
                price = s.id
            if s.definition == vocabulary.GRID_CO2_INTENSITY and co2 is None:
                co2 = s.id
    return Market(price, co2) if price is not None and co2 is not None else None


def _step_grid(now: datetime) -> list[datetime]:
    first = now.astimezone(UTC).replace(second=0, microsecond=0)
    first -= timedelta(minutes=first.minute % 15)
    return [first + STEP * k for k in range(HORIZON_STEPS)]


def _hold(series: sensing.Series, grid: list[datetime], default: float) -> np.ndarray:
    """The last known value at or before each step (sample and hold); ``default`` before any."""
    if not len(series.times):
        return np.full(len(grid), default)
    stamps = np.array([np.datetime64(t.replace(tzinfo=None), "us") for t in grid])
    index = np.searchsorted(series.times, stamps, side="right") - 1
    values = series.values[np.clip(index, 0, None)]
    return np.where(index >= 0, values, default).astype(float)


@dataclass(frozen=True)
class Inputs:
    grid: list[datetime]
    forecast: mpc.Forecast
    thermostat: np.ndarray
    t_m0: float
    notes: list[str]


def plan_inputs(
    session: Session, *, zone: Zone, building: Building, now: datetime, limit_kw: np.ndarray | None
) -> Inputs:
    """The controller's view of the next 24 h. Outside temperature: the station's last 24 h
    repeated (persistence, until a weather forecast comes in as a Datastream); price and CO2:
    the market streams (day-ahead values are known a day ahead); gains from the schedule."""
    grid = _step_grid(now)
    notes: list[str] = []
    station = outdoor_stream(session, municipality_id=building.municipality_id)
    market = _market_streams(session, building.municipality_id)
    ids = [zone.indoor_stream_id] + ([station] if station else [])
    if market:
        ids += [market.price_stream, market.co2_stream]
    found = sensing.series(
        session, datastream_ids=ids, start=now - timedelta(days=1), end=now + timedelta(days=2)
    )
    past = [t - timedelta(days=1) for t in grid]
    if station and len(found[station].times):
        t_out = _hold(found[station], past, 10.0)
    else:
        t_out = np.full(len(grid), 10.0)
        notes.append("no outdoor temperature: 10 °C assumed")
    if market:
        price = _hold(
            found[market.price_stream], grid, catalogue.CARRIER_BY_KEY["electricity"].price
        )
        co2 = _hold(found[market.co2_stream], grid, 380.0) / 1000.0
    else:
        price = np.full(len(grid), catalogue.CARRIER_BY_KEY["electricity"].price)
        co2 = np.full(len(grid), catalogue.CARRIER_BY_KEY["electricity"].co2)
        notes.append("no dynamic tariff: the fixed electricity price is used")
    indoor = found[zone.indoor_stream_id]
    t_m0 = float(indoor.values[-1]) if len(indoor.values) else zone.comfort_low
    low, high, thermostat = schedule(zone, grid)
    local = [t.astimezone(_local()) for t in grid]
    occupied = np.array(
        [
            t.weekday() < 5 and zone.occupied_start <= t.hour + t.minute / 60 < zone.occupied_end
            for t in local
        ]
    )
    gains = zone.floor_area * np.where(occupied, 10.0, 1.5)
    forecast = mpc.Forecast(
        t_out=t_out,
        internal_gains=gains,
        solar_gains=np.zeros(len(grid)),
        low=low,
        high=high,
        price=price,
        co2=co2,
        base_load=np.full(len(grid), building.floor_area * 0.003),
        pv=np.zeros(len(grid)),
        limit=limit_kw,
    )
    return Inputs(grid, forecast, thermostat, t_m0, notes)


def active_limit(
    session: Session, *, building: Building, grid: list[datetime]
) -> tuple[np.ndarray | None, DemandEvent | None]:
    """The import limit (kW) per step from demand-response events for this building."""
    link = session.scalar(select(VenLink).where(VenLink.building_id == building.id))
    if link is None:
        return None, None
    events = list(
        session.scalars(
            select(DemandEvent).where(
                DemandEvent.link_id == link.id,
                DemandEvent.end > grid[0],
                DemandEvent.start < grid[-1] + STEP,
                DemandEvent.payload_type.in_(["IMPORT_CAPACITY_LIMIT", "SIMPLE"]),
            )
        )
    )
    if not events:
        return None, None
    limit = np.full(len(grid), np.inf)
    for event in events:
        for interval in event.intervals:
            begin = datetime.fromisoformat(interval["start"])
            finish = begin + timedelta(seconds=int(interval["seconds"]))
            value = float(interval["limit_kw"])
            for k, t in enumerate(grid):
                if begin <= t < finish:
                    limit[k] = min(limit[k], value)
    return (limit if np.isfinite(limit).any() else None), events[0]


def replan_zone(session: Session, *, zone: Zone, now: datetime) -> Plan:
    """Plan the next 24 h, store the plan, publish the planned set point and heating power,
    and send the first step's set point as a Task when it changed. An infeasible plan falls
    back to the schedule and tells the municipality's staff."""
    building = get_building(session, zone.building_id)
    grid = _step_grid(now)
    limit, event = active_limit(session, building=building, grid=grid)
    inputs = plan_inputs(session, zone=zone, building=building, now=now, limit_kw=limit)
    model = zone_model(zone)
    plant = plant_of(zone, building)
    weights = (1.0, 0.0) if zone.objective == "cost" else (0.0, 1.0)
    result = mpc.plan(
        model,
        plant,
        inputs.forecast,
        t_m0=inputs.t_m0,
        weight_cost=weights[0],
        weight_co2=weights[1],
        soft_comfort=limit is not None,
    )
    source = "demand_response" if event is not None else "mpc"
    if result.feasible:
        setpoints = [float(v) for v in np.clip(result.setpoints, 10, 30)]
        heating = [round(float(v), 3) for v in result.heating_kw]
        status, message = "optimal", "; ".join(inputs.notes)
    else:
        source, status = "schedule", "fallback"
        setpoints = [float(v) for v in inputs.thermostat]
        heating = [0.0] * len(grid)
        message = f"Plan infeasible ({result.message}); the schedule runs instead."
        notify_staff(
            session,
            municipality_id=building.municipality_id,
            kind="energy.plan.fallback",
            subject=f"{building.name}, {zone.name}: Zeitplan statt Optimierung",
            body=message,
            link=f"/energy/buildings/{building.id}",
        )
        publish(
            session,
            "energy.plan.fallback",
            {"building": building.id, "zone": zone.id, "reason": result.message},
            municipality_id=building.municipality_id,
        )
    previous = session.scalar(
        select(Plan).where(Plan.zone_id == zone.id).order_by(Plan.start.desc()).limit(1)
    )
    task_id = None
    if previous is None or abs(previous.setpoints[0] - setpoints[0]) >= 0.1:
        task_id = actuation.send_task(
            session,
            capability_id=zone.capability_id,
            parameters={"setpoint": setpoints[0]},
            reason=f"{source}: plan for {zone.name}",
            origin=ORIGIN,
        )
    plan = Plan(
        zone_id=zone.id,
        created_at=now,
        start=grid[0],
        step_seconds=int(STEP.total_seconds()),
        source=source,
        status=status,
        message=message,
        cost=None if not result.feasible else result.cost,
        co2=None if not result.feasible else result.co2,
        solve_ms=result.seconds * 1000.0,
        setpoints=setpoints,
        heating_kw=heating,
        import_limit_kw=None if limit is None else float(np.nanmin(limit)),
        task_id=task_id,
    )
    session.add(plan)
    if event is not None and event.replanned_at is None:
        event.replanned_at = now
    for stream, value in (
        (zone.setpoint_stream_id, setpoints[0]),
        (zone.heating_stream_id, heating[0]),
    ):
        sensing.ingest_series(
            session,
            datastream_id=stream,
            times=[grid[0]],
            values=[value],
            duplicates=sensing.DuplicatePolicy.IGNORE,
        )
    session.flush()
    return plan


def replan_all(session: Session, *, now: datetime) -> list[Plan]:
    found = session.scalars(select(Zone).where(Zone.control == "mpc").order_by(Zone.id))
    return [replan_zone(session, zone=z, now=now) for z in found]


def plans(session: Session, *, zone_id: int, start: datetime, end: datetime) -> list[Plan]:
    return list(
        session.scalars(
            select(Plan)
            .where(Plan.zone_id == zone_id, Plan.start >= start, Plan.start < end)
            .order_by(Plan.start)
        )
    )


def latest_plan(session: Session, *, zone_id: int) -> Plan | None:
    return session.scalar(
        select(Plan).where(Plan.zone_id == zone_id).order_by(Plan.start.desc()).limit(1)
    )


@dataclass(frozen=True)
class Comparison:
    """The plan beside the thermostat schedule over the same horizon and forecast."""

    grid: list[datetime]
    plan_t_air: np.ndarray
    schedule_t_air: np.ndarray
    plan_setpoints: np.ndarray
    schedule_setpoints: np.ndarray
    low: np.ndarray
    plan_kpis: dict[str, float]
    schedule_kpis: dict[str, float]


def compare_with_schedule(session: Session, *, zone: Zone, plan: Plan) -> Comparison:
    from allmende.modules.energy import kpi

    building = get_building(session, zone.building_id)
    inputs = plan_inputs(session, zone=zone, building=building, now=plan.start, limit_kw=None)
    model = zone_model(zone)
    plant = plant_of(zone, building)
    f = inputs.forecast
    step_h = plan.step_seconds / 3600.0
    heating_plan = np.asarray(plan.heating_kw, dtype=float)
    planned = rc.simulate(
        model,
        t_out=f.t_out,
        internal_gains=f.internal_gains,
        solar_gains=f.solar_gains,
        air_gains=heating_plan * 1000.0,
        t_set_heating=-np.inf,
        t_set_cooling=np.inf,
        t_m0=inputs.t_m0,
        step_seconds=plan.step_seconds,
    )
    scheduled = rc.simulate(
        model,
        t_out=f.t_out,
        internal_gains=f.internal_gains,
        solar_gains=f.solar_gains,
        t_set_heating=inputs.thermostat,
        t_set_cooling=np.inf,
        max_heating=plant.heating_kw * 1000.0,
        t_m0=inputs.t_m0,
        step_seconds=plan.step_seconds,
    )
    heating_schedule = np.clip(scheduled.phi_hc, 0, None) / 1000.0

    def kpis(t_air: np.ndarray, heat: np.ndarray) -> dict[str, float]:
        electric = heat / plant.cop(f.t_out) if plant.electric else np.zeros_like(heat)
        fuel = None if plant.electric else heat / plant.efficiency
        values = kpi.compute(
            floor_area=zone.floor_area,
            step_hours=step_h,
            zone_temperatures=[t_air],
            lows=[f.low],
            highs=[f.high],
            electricity_kw=electric,
            gas_kw=fuel,
            price=f.price,
            co2=f.co2,
            gas_price=plant.fuel_price,
            gas_co2=plant.fuel_co2,
            compute_seconds=(plan.solve_ms or 0.0) / 1000.0,
        )
        return values.as_dict()

    return Comparison(
        grid=inputs.grid,
        plan_t_air=planned.t_air,
        schedule_t_air=scheduled.t_air,
        plan_setpoints=np.asarray(plan.setpoints, dtype=float),
        schedule_setpoints=inputs.thermostat,
        low=f.low,
        plan_kpis=kpis(planned.t_air, heating_plan),
        schedule_kpis=kpis(scheduled.t_air, heating_schedule),
    )


def executed(
    session: Session, *, zone: Zone, start: datetime, end: datetime
) -> tuple[sensing.Series, sensing.Series]:
    """What the building did: the set points sent and the measured indoor temperature."""
    found = sensing.series(
        session,
        datastream_ids=[zone.setpoint_stream_id, zone.indoor_stream_id],
        start=start,
        end=end,
    )
    return found[zone.setpoint_stream_id], found[zone.indoor_stream_id]


def demand_events(session: Session, *, building_id: int) -> list[DemandEvent]:
    link = session.scalar(select(VenLink).where(VenLink.building_id == building_id))
    if link is None:
        return []
    return list(
        session.scalars(
            select(DemandEvent)
            .where(DemandEvent.link_id == link.id)
            .order_by(DemandEvent.start.desc())
        )
    )
