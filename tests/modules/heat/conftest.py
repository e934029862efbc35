"""Fixtures of the heat module's tests: a generated town (built once per test module) and a
small station network in the test region."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from allmende.modules.heat import gridmodel, radiant, synthetic
from allmende.modules.heat.landcover import Grid, LandCover
from allmende.sdk import sensing
from allmende.storage.database import Database
from tests.support.region import Region
from tests.support.seeds import seed

CENTRE = (480_000.0, 5_480_000.0)  # EPSG:25832, near Mannheim
RADIUS = 2_500.0


@dataclass(frozen=True)
class Town:
    grid: Grid
    layers: synthetic.TownLayers
    cover: LandCover
    statics: gridmodel.Statics


@pytest.fixture(scope="module")
def town() -> Town:
    cx, cy = CENTRE
    grid = Grid.covering((cx - 2800, cy - 2800, cx + 2800, cy + 2800), cell=10.0)
    layers = synthetic.town_layers(grid, centre=CENTRE, radius=RADIUS, seed=1)
    cover = synthetic.town_cover(grid, layers)
    return Town(grid, layers, cover, gridmodel.prepare(cover))


def weather_of(times: pd.DatetimeIndex, ta: np.ndarray, ghi: np.ndarray) -> list[gridmodel.Weather]:
    """Regional weather per hour: the given air temperature and radiation, 40 % humidity,
    2 m/s of wind."""
    sky = radiant.sun(times, 49.47, 8.72, ghi)
    cloud = radiant.cloud_cover(ghi, sky)
    fields = ("elevation", "azimuth", "direct_normal", "diffuse", "clear_sky")
    return [
        gridmodel.Weather(
            float(ta[h]),
            40.0,
            2.0,
            float(cloud[h]),
            radiant.Sun(*(getattr(sky, f)[h : h + 1] for f in fields)),
        )
        for h in range(len(times))
    ]


def summer_days(days: int = 2) -> list[gridmodel.Weather]:
    """Clear summer days from midnight UTC: 16–32 °C, the sun's radiation under a clear sky."""
    hours = 24 * days
    times = pd.date_range("2025-07-14 00:00", periods=hours, freq="h", tz="UTC")
    ta = 24 + 8 * np.sin(2 * np.pi * (np.arange(hours) - 9) / 24)
    elevation = radiant.sun(times, 49.47, 8.72, np.zeros(hours)).elevation
    ghi = np.clip(900 * np.sin(np.radians(elevation)), 0, None)
    return weather_of(times, ta, ghi)


# --- a station network in the test region (both backends) ---------------------------------

END = datetime(2026, 7, 16, 0, 0, tzinfo=UTC)
HOURS = 48
UCUM = "http://unitsofmeasure.org/ucum.html"


@dataclass(frozen=True)
class Network:
    full: int  # A, public: Ta, RH, wind, global radiation
    globe: int  # A, public: Ta, RH, wind, globe temperature
    humid: int  # A, internal: Ta and RH
    bare: int  # A, public: Ta only
    streams: dict[str, dict[str, int]]


def hours() -> list[datetime]:
    return [END - timedelta(hours=HOURS - i) for i in range(HOURS)]


def summer_series() -> dict[str, np.ndarray]:
    """Two summer days, hourly: warm afternoons, radiation by day."""
    h = np.arange(HOURS)
    local = (h + 2) % 24  # the series starts at midnight local time (UTC+2)
    ta = 24 + 9 * np.sin(2 * np.pi * (local - 9) / 24)
    sun = np.clip(np.sin(np.pi * (local - 6) / 14), 0, None)
    return {
        "ta": np.round(ta, 1),
        "rh": np.round(55 - 20 * np.sin(2 * np.pi * (local - 9) / 24)),
        "wind": np.full(HOURS, 2.0),
        "ghi": np.round(850 * sun),
        "globe": np.round(ta + 18 * sun, 1),
    }


def _stream(session: Session, thing: int, key: str, public: bool) -> int:
    from allmende.sdk import vocabulary

    definitions = {
        "ta": (vocabulary.AIR_TEMPERATURE, "degree Celsius", "Cel"),
        "rh": (vocabulary.RELATIVE_HUMIDITY, "percent", "%"),
        "wind": (vocabulary.WIND_SPEED, "metre per second", "m/s"),
        "ghi": (vocabulary.GLOBAL_RADIATION, "watt per square metre", "W/m2"),
        "globe": (vocabulary.GLOBE_TEMPERATURE, "degree Celsius", "Cel"),
    }
    definition, unit, symbol = definitions[key]
    return sensing.ensure_datastream(
        session,
        thing_id=thing,
        name=f"{key} stream",
        definition=definition,
        observed_property_name=key,
        unit_name=unit,
        unit_symbol=symbol,
        unit_definition=f"{UCUM}#{symbol}",
        public=public,
        sensor_name="Station",
    )


@seed
def network(database: Database, region: Region) -> Network:
    """Built once per backend (its hours are fixed) and copied with the database into each test."""
    return build_network(database, region)


def build_network(database: Database, region: Region) -> Network:
    a = region.municipality_a
    data = summer_series()
    times = hours()

    def build(session: Session) -> Network:
        streams: dict[str, dict[str, int]] = {}
        things = {}
        for name, keys, public, lon in (
            ("full", ("ta", "rh", "wind", "ghi"), True, 8.62),
            ("globe", ("ta", "rh", "wind", "globe"), True, 8.64),
            ("humid", ("ta", "rh"), False, 8.66),
            ("bare", ("ta",), True, 8.68),
        ):
            thing = sensing.create_thing(
                session,
                municipality_id=a,
                name=f"Station {name}",
                lon=lon,
                lat=49.45,
                public=public,
            )
            things[name] = thing
            streams[name] = {}
            for key in keys:
                stream = _stream(session, thing, key, public)
                streams[name][key] = stream
                values = data[key].tolist()
                if name == "full" and key == "rh":
                    values[5] = None  # a gap: no index at that hour
                kept = [(t, v) for t, v in zip(times, values, strict=True) if v is not None]
                sensing.ingest_series(
                    session,
                    datastream_id=stream,
                    times=[t for t, _ in kept],
                    values=[v for _, v in kept],
                )
        return Network(things["full"], things["globe"], things["humid"], things["bare"], streams)

    return database.write(build)
