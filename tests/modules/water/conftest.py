"""A small world for the water tests, on both backends: public trees in A (one young, with a
suction probe that dries out), an internal tree in B, a weather station in A with three dry,
warm weeks up to now, a probe that reports negative suction and one that is stuck, and a water
meter whose counter shows a leak from five days ago."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session

from allmende.core.registry import Registry
from allmende.identity.principal import Principal
from allmende.modules.water import jobs, service
from allmende.sdk import sensing, vocabulary
from allmende.storage.database import Database
from allmende.storage.scheduler import JobContext
from tests.modules.assets.conftest import make, point
from tests.support.region import People, Region

DAYS = 21
UCUM = "http://unitsofmeasure.org/ucum.html"


@dataclass(frozen=True)
class Water:
    now: datetime
    young: int  # object ids
    old: int
    birch: int
    internal_b: int
    station: int  # Thing ids
    probe: int
    negative: int
    stuck: int
    meter: int
    probe_stream: int


def hours(now: datetime, days: int = DAYS) -> list[datetime]:
    end = now.replace(minute=0, second=0, microsecond=0)
    return [end - timedelta(hours=days * 24 - 1 - i) for i in range(days * 24)]


def stream(
    session: Session,
    thing: int,
    name: str,
    definition: str,
    unit: tuple[str, str],
    values: list[Any],
    times: list[datetime],
) -> int:
    ident = sensing.ensure_datastream(
        session,
        thing_id=thing,
        name=name,
        definition=definition,
        observed_property_name=name,
        unit_name=unit[0],
        unit_symbol=unit[1],
        unit_definition=f"{UCUM}#{unit[1]}",
        public=True,
        sensor_name="Test",
    )
    sensing.ingest_series(session, datastream_id=ident, times=times, values=values)
    return ident


def thing(
    session: Session, municipality: int, name: str, lon: float, lat: float, **props: Any
) -> int:
    return sensing.create_thing(
        session, municipality_id=municipality, name=name, lon=lon, lat=lat, properties=props
    )


def young_lime(
    session: Session,
    who: Principal,
    municipality: str,
    name: str,
    at: tuple[float, float],
    year: int,
) -> int:
    """A lime tree planted two years before ``year`` (object id)."""
    return make(
        session,
        who,
        municipality,
        "tree",
        name=name,
        geometry=point(*at),
        attributes={
            "species_botanical": "Tilia cordata",
            "planting_year": year - 2,
            "crown_diameter_m": 2.0,
        },
    )


def build(session: Session, people: People, region: Region, now: datetime) -> Water:
    a = region.municipality_a
    year = now.year
    young = young_lime(session, people.staff_a, "a-stadt", "Linde jung", (8.650, 49.450), year)
    old = make(
        session,
        people.staff_a,
        "a-stadt",
        "tree",
        name="Platane alt",
        geometry=point(8.652, 49.450),
        attributes={"species_botanical": "Platanus x hispanica", "planting_year": year - 70},
    )
    birch = make(
        session,
        people.staff_a,
        "a-stadt",
        "tree",
        name="Birke",
        geometry=point(8.651, 49.451),
        attributes={"species_botanical": "Betula pendula", "planting_year": year - 20},
    )
    internal_b = make(
        session,
        people.staff_b,
        "b-dorf",
        "tree",
        name="Eiche intern",
        geometry=point(8.75, 49.45),
        public=False,
    )
    times = hours(now)
    n = len(times)
    local_hour = np.array([(t.hour + 2) % 24 for t in times], dtype=float)
    day = np.clip(np.sin(np.pi * (local_hour - 6) / 14), 0, None)
    station = thing(session, a, "Wetterstation A", 8.655, 49.452, kind="weather-station")
    stream(
        session,
        station,
        "Lufttemperatur",
        vocabulary.AIR_TEMPERATURE,
        ("degree Celsius", "Cel"),
        np.round(18 + 10 * day, 1).tolist(),
        times,
    )
    stream(
        session,
        station,
        "Luftfeuchte",
        vocabulary.RELATIVE_HUMIDITY,
        ("percent", "%"),
        np.round(75 - 35 * day, 0).tolist(),
        times,
    )
    stream(
        session,
        station,
        "Globalstrahlung",
        vocabulary.GLOBAL_RADIATION,
        ("watt per square metre", "W/m2"),
        np.round(800 * day, 0).tolist(),
        times,
    )
    stream(
        session,
        station,
        "Wind",
        vocabulary.WIND_SPEED,
        ("metre per second", "m/s"),
        [2.5] * n,
        times,
    )
    stream(
        session,
        station,
        "Niederschlag",
        vocabulary.PRECIPITATION,
        ("millimetre", "mm"),
        [0.0] * n,
        times,
    )
    suction = np.round(20 * (6.0 ** (np.arange(n) / (n - 1))), 1)  # 20 → 120 kPa
    probe = thing(
        session,
        a,
        "Saugspannung Linde",
        8.65001,
        49.45001,
        kind="soil-moisture",
        tree="Linde jung",
        tree_object_id=young,
    )
    probe_stream = stream(
        session,
        probe,
        "Saugspannung",
        vocabulary.SOIL_WATER_TENSION,
        ("kilopascal", "kPa"),
        suction.tolist(),
        times,
    )
    negative = thing(
        session,
        a,
        "Saugspannung kaputt",
        8.65201,
        49.45001,
        kind="soil-moisture",
        tree_object_id=old,
    )
    stream(
        session,
        negative,
        "Saugspannung",
        vocabulary.SOIL_WATER_TENSION,
        ("kilopascal", "kPa"),
        [-3.0] * n,
        times,
    )
    stuck = thing(
        session,
        a,
        "Saugspannung hängt",
        8.65101,
        49.45101,
        kind="soil-moisture",
        tree_object_id=birch,
    )
    stream(
        session,
        stuck,
        "Saugspannung",
        vocabulary.SOIL_WATER_TENSION,
        ("kilopascal", "kPa"),
        [15.0 + 0.6 * i for i in range(n - 72)] + [15.0 + 0.6 * (n - 73)] * 72,
        times,
    )
    flow = np.where((local_hour >= 7) & (local_hour <= 18), 80.0, 0.0)
    flow = flow + np.where(np.arange(n) >= n - 5 * 24 - 7, 30.0, 0.0)  # a leak, five days ago
    meter = thing(
        session,
        a,
        "Wasserzähler Rathaus A",
        8.653,
        49.449,
        kind="water-meter",
        building="Rathaus A",
    )
    stream(
        session,
        meter,
        "Zählerstand",
        vocabulary.WATER_VOLUME,
        ("cubic metre", "m3"),
        np.round(1000 + np.cumsum(flow) / 1000, 3).tolist(),
        times,
    )
    return Water(
        now, young, old, birch, internal_b, station, probe, negative, stuck, meter, probe_stream
    )


@pytest.fixture
def water(database: Database, people: People, region: Region) -> Water:
    now = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
    return database.write(lambda s: build(s, people, region, now))


def context(database: Database, registry: Registry, settings: Any, now: datetime) -> JobContext:
    return JobContext(
        database, settings, database.bus, now,
        tuple(source for m in registry for source in m.feature_sources),
    )  # fmt: skip


def refresh(
    database: Database, registry: Registry, settings: Any, now: datetime
) -> service.Summary:
    return jobs.refresh_balance(context(database, registry, settings, now))
