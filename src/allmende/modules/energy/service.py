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

from allmende.modules.energy import (
    baseline,
    calibration,
    catalogue,
    kpi,
    metering,
    mpc,
    outlook,
    rc,
    tariffs,
)
from allmende.modules.energy.catalogue import N_
from allmende.modules.energy.models import Building, DemandEvent, Meter, Plan, VenLink, Zone
from allmende.sdk import (
    ANONYMOUS,
    Message,
    Municipality,
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
#: The reason of a zone's setpoint Task, by the plan's source.
PLAN_REASONS = {
    "mpc": N_("Optimised plan for %(zone)s"),
    "demand_response": N_("Plan for %(zone)s during a demand response event"),
    "schedule": N_("Schedule of %(zone)s"),
}
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
#: The quantities a meter may read from an existing Datastream.
METER_DEFINITIONS = frozenset(definition for definition, _, _ in METER_KINDS.values())
#: Datastreams the meter form lists at most; with more, it asks for the Datastream's number.
METER_CHOICES = 500
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


# --- municipalities --------------------------------------------------------------------------


def municipalities(session: Session) -> list[Municipality]:
    """Every municipality by name (who may see or change which is the caller's to decide)."""
    return list(session.scalars(select(Municipality).order_by(Municipality.name)))


def municipality_by_key(session: Session, key: str) -> Municipality | None:
    return session.scalar(select(Municipality).where(Municipality.key == key))


def municipality_id_of(session: Session, key: str, *, field: str | None = None) -> int:
    """The municipality's id: 404 for one named in the path, 422 naming ``field`` in a body."""
    found = session.scalar(select(Municipality.id).where(Municipality.key == key))
    if found is None and field is not None:
        raise ValidationFailed.one(field, N_("no such municipality"))
    if found is None:
        raise NotFound(detail=f"No municipality {key!r}.")
    return int(found)


# --- buildings, zones, meters ----------------------------------------------------------------


def _check_ref(
    session: Session, ref: str, sources: Sequence[features.FeatureSource], principal: Any
) -> None:
    collection, _, feature_id = ref.partition("/")
    if not collection or not feature_id:
        raise ValidationFailed.one("object_ref", N_("must be '<collection>/<feature id>'"))
    for source in sources:
        if source.item(session, principal, collection, feature_id) is not None:
            return
    raise ValidationFailed.one("object_ref", N_("no register object of that id is visible to you"))


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
    name = _check_building(
        session,
        municipality_id=municipality_id,
        building_id=None,
        name=name,
        use=use,
        floor_area=floor_area,
        heating_system=heating_system,
        year_built=year_built,
        pv_kwp=pv_kwp,
        object_ref=object_ref,
        sources=sources,
        principal=principal,
    )
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


def _check_building(
    session: Session,
    *,
    municipality_id: int,
    building_id: int | None,
    name: str,
    use: str,
    floor_area: float,
    heating_system: str,
    year_built: int | None,
    pv_kwp: float,
    object_ref: str | None,
    sources: Sequence[features.FeatureSource],
    principal: Any,
) -> str:
    """Check a building's data; returns the name as stored."""
    name = _check_name(name)
    if use not in catalogue.USE_BY_KEY:
        raise ValidationFailed.one("use", f"must be one of {', '.join(catalogue.USE_BY_KEY)}")
    if not 10 <= floor_area <= 1_000_000:
        raise ValidationFailed.one("floor_area", N_("must be between 10 and 1 000 000 m²"))
    if heating_system not in catalogue.HEATING_SYSTEMS:
        raise ValidationFailed.one(
            "heating_system", f"must be one of {', '.join(catalogue.HEATING_SYSTEMS)}"
        )
    if year_built is not None and not 1000 <= year_built <= 2100:
        raise ValidationFailed.one("year_built", N_("must be a year between 1000 and 2100"))
    if not 0 <= pv_kwp <= 100_000:
        raise ValidationFailed.one("pv_kwp", N_("must be between 0 and 100 000 kWp"))
    if object_ref:
        _check_ref(session, object_ref, sources, principal)
    clash = session.scalar(
        select(Building.id).where(
            Building.municipality_id == municipality_id, Building.name == name
        )
    )
    if clash is not None and clash != building_id:
        raise ValidationFailed.one("name", N_("another building of the municipality has this name"))
    return name


def update_building(
    session: Session,
    *,
    building_id: int,
    name: str,
    use: str,
    floor_area: float,
    heating_system: str,
    year_built: int | None = None,
    heat_pump: bool = False,
    pv_kwp: float = 0.0,
    object_ref: str | None = None,
    sources: Sequence[features.FeatureSource] = (),
    principal: Any = None,
) -> Building:
    """Change a building's data. Its Thing keeps the name it was made with (a stable name for
    the clients that read its Datastreams) and its visibility."""
    building = get_building(session, building_id)
    building.name = _check_building(
        session,
        municipality_id=building.municipality_id,
        building_id=building.id,
        name=name,
        use=use,
        floor_area=floor_area,
        heating_system=heating_system,
        year_built=year_built,
        pv_kwp=pv_kwp,
        object_ref=object_ref if object_ref != building.object_ref else None,
        sources=sources,
        principal=principal,
    )
    building.use, building.floor_area = use, floor_area
    building.heating_system, building.year_built = heating_system, year_built
    building.heat_pump = heat_pump or heating_system == "heat_pump"
    building.pv_kwp, building.object_ref = pv_kwp, object_ref or None
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


#: Bounds of a zone's envelope and plant: (low, high) per field.
ZONE_BOUNDS: dict[str, tuple[float, float]] = {
    "floor_area": (1, 1_000_000),
    "volume": (1, 10_000_000),
    "window_area": (0, 1_000_000),
    "opaque_area": (1, 1_000_000),
    "u_window": (0.1, 7),
    "u_opaque": (0.05, 5),
    "air_changes": (0.05, 20),
    "heat_capacity": (10_000, 1_000_000),
    "heating_kw": (0, 100_000),
    "cooling_kw": (0, 100_000),
}
#: Bounds of a zone's schedule and comfort band.
CONTROL_BOUNDS: dict[str, tuple[float, float]] = {
    "occupied_start": (0, 24),
    "occupied_end": (0, 24),
    "comfort_low": (10, 30),
    "comfort_high": (10, 35),
    "setback": (5, 30),
    "preheat_hours": (0, 12),
}
CONTROLS = ("schedule", "mpc")
OBJECTIVES = ("cost", "co2")


def _check_bounds(values: dict[str, float], bounds: dict[str, tuple[float, float]]) -> None:
    for field_name, (low, high) in bounds.items():
        if field_name in values and not low <= values[field_name] <= high:
            raise ValidationFailed.one(field_name, f"must be between {low:g} and {high:g}")


def _check_control(
    *,
    occupied_start: float,
    occupied_end: float,
    comfort_low: float,
    comfort_high: float,
    setback: float,
    preheat_hours: float,
    control: str,
    objective: str,
) -> None:
    _check_bounds(
        {
            "occupied_start": occupied_start,
            "occupied_end": occupied_end,
            "comfort_low": comfort_low,
            "comfort_high": comfort_high,
            "setback": setback,
            "preheat_hours": preheat_hours,
        },
        CONTROL_BOUNDS,
    )
    if comfort_high <= comfort_low:
        raise ValidationFailed.one("comfort_high", N_("must be above comfort_low"))
    if setback > comfort_low:
        raise ValidationFailed.one("setback", N_("must not be above comfort_low"))
    if occupied_end <= occupied_start:
        raise ValidationFailed.one("occupied_end", N_("must be after occupied_start"))
    if control not in CONTROLS:
        raise ValidationFailed.one("control", N_("must be 'schedule' or 'mpc'"))
    if objective not in OBJECTIVES:
        raise ValidationFailed.one("objective", N_("must be 'cost' or 'co2'"))


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed.one("name", N_("must be 1 to 200 characters"))
    return name


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
    comfort_high: float = 24.0,
    setback: float = 16.0,
    preheat_hours: float = 2.0,
    control: str = "schedule",
    objective: str = "cost",
) -> Zone:
    """A thermal zone of the building with its Datastreams (measured indoor temperature, set
    point sent, planned heating power) and its set-point Actuator. The default band is DIN EN
    16798-1 category II for the heating season (20–24 °C)."""
    building = get_building(session, building_id)
    name = _check_name(name)
    envelope = {
        "floor_area": floor_area,
        "volume": volume,
        "window_area": window_area,
        "opaque_area": opaque_area,
        "u_window": u_window,
        "u_opaque": u_opaque,
        "air_changes": air_changes,
        "heat_capacity": heat_capacity,
        "heating_kw": heating_kw,
        "cooling_kw": cooling_kw,
    }
    _check_bounds(envelope, ZONE_BOUNDS)
    control_values: dict[str, Any] = {
        "occupied_start": occupied_start,
        "occupied_end": occupied_end,
        "comfort_low": comfort_low,
        "comfort_high": comfort_high,
        "setback": setback,
        "preheat_hours": preheat_hours,
        "control": control,
        "objective": objective,
    }
    _check_control(**control_values)
    if session.scalar(select(Zone.id).where(Zone.building_id == building_id, Zone.name == name)):
        raise ValidationFailed.one("name", N_("another zone of the building has this name"))
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
        **envelope,
        **control_values,
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


def get_zone(session: Session, zone_id: int) -> Zone:
    zone = session.get(Zone, zone_id)
    if zone is None:
        raise NotFound(detail=f"No zone with id {zone_id}.")
    return zone


def update_zone(session: Session, *, zone_id: int, **envelope: float) -> Zone:
    """Change a zone's envelope and plant (the fields of :data:`ZONE_BOUNDS`). A changed
    envelope invalidates a calibration: it is dropped and the page says so."""
    zone = get_zone(session, zone_id)
    unknown = set(envelope) - set(ZONE_BOUNDS)
    if unknown:
        raise ValidationFailed.one(sorted(unknown)[0], "is not a field of a zone's envelope")
    _check_bounds(envelope, ZONE_BOUNDS)
    changed = {k: v for k, v in envelope.items() if getattr(zone, k) != v}
    for key, value in changed.items():
        setattr(zone, key, value)
    if changed.keys() - {"heating_kw", "cooling_kw"}:
        zone.calibration = None
    session.flush()
    return zone


def update_control(
    session: Session,
    *,
    zone_id: int,
    occupied_start: float,
    occupied_end: float,
    comfort_low: float,
    comfort_high: float,
    setback: float,
    preheat_hours: float,
    control: str,
    objective: str,
) -> Zone:
    """Change how a zone is controlled: schedule or predictive control, cost or CO2, the
    occupancy, the comfort band, the setback and the thermostat's fixed start."""
    zone = get_zone(session, zone_id)
    values: dict[str, Any] = {
        "occupied_start": occupied_start,
        "occupied_end": occupied_end,
        "comfort_low": comfort_low,
        "comfort_high": comfort_high,
        "setback": setback,
        "preheat_hours": preheat_hours,
        "control": control,
        "objective": objective,
    }
    _check_control(**values)
    for key, value in values.items():
        setattr(zone, key, value)
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
    principal: Any = None,
) -> Meter:
    """A meter of the building: a new Datastream on its Thing, or an existing one
    (``datastream_id``, e.g. a meter the sensors network already reads: an energy, heat, gas
    or water Datastream of the municipality that ``principal`` sees, public ones without)."""
    building = get_building(session, building_id)
    name = _check_name(name)
    if carrier not in METER_KINDS:
        raise ValidationFailed.one("carrier", f"must be one of {', '.join(METER_KINDS)}")
    _check_meter(session, building_id, reading, nominal_seconds, parent_id)
    if datastream_id is not None and not _meterable(session, building, principal, datastream_id):
        raise ValidationFailed.one(
            "datastream_id", "must be an energy, heat, gas or water Datastream of the municipality"
        )
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
        raise ValidationFailed.one("datastream_id", N_("is a meter already"))
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


def get_meter(session: Session, meter_id: int) -> Meter:
    meter = session.get(Meter, meter_id)
    if meter is None:
        raise NotFound(detail=f"No meter with id {meter_id}.")
    return meter


def update_meter(
    session: Session,
    *,
    meter_id: int,
    name: str,
    reading: str,
    nominal_seconds: int,
    parent_id: int | None = None,
) -> Meter:
    """Change a meter's name, how it reads, its interval and its main meter. The carrier and
    the Datastream stay: a meter of another carrier or stream is another meter."""
    meter = get_meter(session, meter_id)
    name = _check_name(name)
    _check_meter(session, meter.building_id, reading, nominal_seconds, parent_id)
    if parent_id is not None and _descends_from(session, parent_id, meter.id):
        raise ValidationFailed.one(
            "parent_id", "must not be the meter itself or one of its sub-meters"
        )
    meter.name, meter.reading, meter.nominal_seconds, meter.parent_id = (
        name,
        reading,
        nominal_seconds,
        parent_id,
    )
    session.flush()
    return meter


def _descends_from(session: Session, meter_id: int, ancestor_id: int) -> bool:
    seen: set[int] = set()
    current: int | None = meter_id
    while current is not None and current not in seen:
        if current == ancestor_id:
            return True
        seen.add(current)
        current = session.scalar(select(Meter.parent_id).where(Meter.id == current))
    return False


def _check_meter(
    session: Session, building_id: int, reading: str, nominal_seconds: int, parent_id: int | None
) -> None:
    if reading not in ("counter", "interval"):
        raise ValidationFailed.one("reading", N_("must be 'counter' or 'interval'"))
    if not 60 <= nominal_seconds <= 31 * 86400:
        raise ValidationFailed.one("nominal_seconds", N_("must be between 60 s and 31 days"))
    if parent_id is not None:
        parent = session.get(Meter, parent_id)
        if parent is None or parent.building_id != building_id:
            raise ValidationFailed.one("parent_id", N_("must be a meter of the same building"))


def _meterable(session: Session, building: Building, principal: Any, datastream_id: int) -> bool:
    """Whether a meter of ``building`` may read the Datastream: one of the building's
    municipality that ``principal`` sees and that measures what a meter reads."""
    found = sensing.get_datastream(
        session, principal=principal or ANONYMOUS, datastream_id=datastream_id
    )
    if found is None:
        return False
    thing, stream = found
    return (
        thing.municipality_id == building.municipality_id and stream.definition in METER_DEFINITIONS
    )


@dataclass(frozen=True)
class MeterStreams:
    """The Datastreams a new meter of a building may read, for a form's list: the first
    ``limit`` by their Thing's name, and whether there are more."""

    streams: list[sensing.StreamSummary]
    more: bool


def meter_streams(
    session: Session, *, building: Building, principal: Any, limit: int
) -> MeterStreams:
    """The Datastreams of the building's municipality a meter may read (energy, heat, gas,
    water) that ``principal`` sees and that are no meter yet: at most ``limit`` of them, a
    page of Things at a time (a city's smart meters may be tens of thousands)."""
    taken = set(session.scalars(select(Meter.datastream_id)))
    found: list[sensing.StreamSummary] = []
    offset = 0
    while True:
        page = sensing.list_things(
            session,
            principal=principal or ANONYMOUS,
            municipality_ids=[building.municipality_id],
            definitions=METER_DEFINITIONS,
            limit=limit + 1,
            offset=offset,
        )
        if not page:
            return MeterStreams(found, more=False)
        offset += len(page)
        found.extend(
            stream
            for thing in page
            for stream in thing.streams
            if stream.definition in METER_DEFINITIONS and stream.id not in taken
        )
        if len(found) > limit:
            return MeterStreams(found[:limit], more=True)


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
        raise ValidationFailed.one("end", N_("must be after start"))
    if end - start > timedelta(days=3 * 366):
        raise ValidationFailed.one("end", N_("a range of at most three years"))
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
    """The municipality's public air-temperature Datastream with the most Observations (see
    :func:`outlook.streams`)."""
    return outlook.streams(session, municipality_id=municipality_id).outdoor


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
        raise ValidationFailed.one("year", N_("must be between 1990 and 2100"))
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


def building_year(
    session: Session, *, building: Building, year: int, book: tariffs.PriceBook | None = None
) -> BuildingYear:
    """A building's year: energy per carrier billed at the municipality's tariffs of the day
    each interval ended (``book``, read when not given), weather-corrected heat, benchmark."""
    start, end = year_bounds(year)
    if book is None:
        book = tariffs.price_book(session, municipality_id=building.municipality_id)
    carriers: list[CarrierYear] = []
    pumped = 0.0
    for meter in meters(session, building_ids=[building.id]):
        if meter.parent_id is not None:
            # Sub-meters are inside their main meter; a heat pump's heat meter gives the heat.
            if building.heat_pump and meter.carrier == "heat":
                pumped += consumption(session, meter=meter, start=start, end=end).total()
            continue
        used = consumption(session, meter=meter, start=start, end=end)
        prices, factors = book.over(meter.carrier, used.end)
        known = np.isfinite(used.value)
        expected = max((end - start).total_seconds() / meter.nominal_seconds, 1.0)
        carriers.append(
            CarrierYear(
                carrier=meter.carrier,
                kwh=used.total(),
                cost=float(np.sum(used.value[known] * prices[known])),
                co2_kg=float(np.sum(used.value[known] * factors[known])),
                coverage=min(float(known.sum()) / expected, 1.0),
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
    book = tariffs.price_book(session, municipality_id=municipality_id)
    return [
        building_year(session, building=b, year=year, book=book)
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


def zone_model(zone: Zone, *, calibrated: bool = True) -> rc.Zone:
    """The zone's 5R1C model: the prior from its register data, scaled by its calibration
    (unless ``calibrated`` is False)."""
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
    if calibrated and zone.calibration:
        m = zone.calibration.get("multipliers", {})
        return calibration.scaled(
            prior, m.get("envelope", 1.0), m.get("ventilation", 1.0), m.get("capacity", 1.0)
        )
    return prior


def plant_of(
    session: Session,
    *,
    zone: Zone,
    building: Building,
    when: datetime,
    book: tariffs.PriceBook | None = None,
) -> mpc.Plant:
    """The zone's plant; a boiler or district heat buys its fuel at the municipality's tariff
    at ``when`` (from ``book``, read when not given)."""
    if building.heat_pump:
        return mpc.Plant(heating_kw=zone.heating_kw, cooling_kw=zone.cooling_kw)
    fuels = ("gas", "heat", "oil")
    carrier = building.heating_system if building.heating_system in fuels else "gas"
    if book is None:
        book = tariffs.price_book(session, municipality_id=building.municipality_id)
    price, co2 = book.at(carrier, when)
    return mpc.Plant(
        heating_kw=zone.heating_kw,
        cooling_kw=zone.cooling_kw,
        heating_carrier=carrier,
        fuel_price=price,
        fuel_co2=co2,
    )


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


@dataclass(frozen=True)
class Round:
    """What a re-planning round reads once per municipality: its surroundings and tariffs."""

    around: outlook.Surroundings
    book: tariffs.PriceBook


def planning_round(session: Session, *, municipality_id: int, now: datetime) -> Round:
    return Round(
        outlook.surroundings(session, municipality_id=municipality_id, now=now),
        tariffs.price_book(session, municipality_id=municipality_id),
    )


def plan_inputs(
    session: Session,
    *,
    zone: Zone,
    building: Building,
    now: datetime,
    shared: Round | None = None,
) -> outlook.Inputs:
    """The controller's view of the zone's next 24 hours (see :mod:`outlook`)."""
    if shared is None:
        shared = planning_round(session, municipality_id=building.municipality_id, now=now)
    price, co2 = shared.book.at("electricity", now)
    solar_share = (zone.calibration or {}).get("multipliers", {}).get("solar", 1.0)
    return outlook.plan_inputs(
        session,
        zone=zone,
        building=building,
        now=now,
        electricity_price=price,
        electricity_co2=co2,
        solar_share=float(solar_share),
        around=shared.around,
    )


def replan_zone(
    session: Session, *, zone: Zone, now: datetime, shared: Round | None = None
) -> Plan:
    """Plan the next 24 h, store the plan, publish the planned set point and heating power,
    and send the first step's set point as a Task when it changed. An infeasible plan falls
    back to the schedule and tells the municipality's staff. ``shared``: what the round read
    once for the municipality (read here when not given)."""
    building = get_building(session, zone.building_id)
    if shared is None:
        shared = planning_round(session, municipality_id=building.municipality_id, now=now)
    inputs = plan_inputs(session, zone=zone, building=building, now=now, shared=shared)
    grid, limit, event = inputs.grid, inputs.forecast.limit, inputs.event
    model = zone_model(zone)
    plant = plant_of(session, zone=zone, building=building, when=now, book=shared.book)
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
            subject=Message(
                N_("%(building)s, %(zone)s: the schedule instead of the optimisation"),
                building=building.name,
                zone=zone.name,
            ),
            body=Message(
                N_("Plan infeasible (%(why)s); the schedule runs instead."), why=result.message
            ),
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
            reason=Message(PLAN_REASONS[source], zone=zone.name),
            origin=ORIGIN,
        )
    plan = Plan(
        zone_id=zone.id,
        created_at=now,
        start=grid[0],
        step_seconds=int(outlook.STEP.total_seconds()),
        source=source,
        status=status,
        message=message,
        cost=None if not result.feasible else result.cost,
        co2=None if not result.feasible else result.co2,
        solve_ms=result.seconds * 1000.0,
        setpoints=setpoints,
        heating_kw=heating,
        import_limit_kw=None if limit is None else float(np.min(limit)),
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
    """Re-plan every zone under predictive control, reading each municipality's weather,
    market and tariffs once."""
    found = session.execute(
        select(Zone, Building.municipality_id)
        .join(Building, Building.id == Zone.building_id)
        .where(Zone.control == "mpc")
        .order_by(Zone.id)
    ).all()
    rounds: dict[int, Round] = {}
    made: list[Plan] = []
    for zone, municipality_id in found:
        if municipality_id not in rounds:
            rounds[municipality_id] = planning_round(
                session, municipality_id=municipality_id, now=now
            )
        made.append(replan_zone(session, zone=zone, now=now, shared=rounds[municipality_id]))
    return made


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
    """The plan and the thermostat schedule on the same model, forecast, band and KPIs."""
    building = get_building(session, zone.building_id)
    inputs = plan_inputs(session, zone=zone, building=building, now=plan.start)
    model = zone_model(zone)
    plant = plant_of(session, zone=zone, building=building, when=plan.start)
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
        values = kpi.compute(
            floor_area=zone.floor_area,
            step_hours=step_h,
            zone_temperatures=[t_air],
            lows=[f.low],
            highs=[f.high],
            electricity_kw=plant.electricity(heat, f.t_out),
            gas_kw=None if plant.electric else plant.fuel(heat),
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
