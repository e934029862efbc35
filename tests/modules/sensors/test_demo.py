"""The demo sensor network: deterministic, plausible, the promised size, at the demo trees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from allmende.core.registry import Registry, discover
from allmende.demo.region import build_region
from allmende.identity.principal import ANONYMOUS, Principal
from allmende.modules.sensors import demo
from allmende.sdk import sensing
from allmende.sensing.models import Datastream, Observation, Thing
from allmende.storage.database import Database

pytestmark = pytest.mark.integration
NOW = datetime(2026, 9, 20, 14, 37, tzinfo=UTC)
ADMIN = Principal(kind="user", is_admin=True)


def generate() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(demo.SEED)
    clock = demo._clock(NOW)
    weather = demo._weather(rng, clock)
    upper, lower = demo._soil(rng, weather, 4, clock)
    return {
        "temperature": weather.temperature,
        "humidity": demo._humidity(weather.temperature, weather.dew_point),
        "rain": weather.rain,
        "radiation": weather.radiation,
        "wind": weather.wind,
        "upper": upper,
        "lower": lower,
        "water": demo._water_flow(rng, clock, "sports"),
        "power": demo._power(rng, clock, "office"),
        "local_hour": clock.local_hour,
        "weekday": clock.weekday,
        "hours": clock.hours,
    }


def test_the_generators_are_deterministic_and_plausible() -> None:
    first, second = generate(), generate()
    for name in first:
        assert np.array_equal(first[name], second[name]), name
    g = first
    assert g["temperature"].size == demo.DAYS * 24 * 4
    assert g["temperature"].min() > 0 and g["temperature"].max() < 30  # late summer, autumn
    daily_range = np.ptp(g["temperature"].reshape(demo.DAYS, -1), axis=1)
    assert 2 < daily_range.mean() < 12  # a diurnal cycle
    # humidity falls as the air warms
    assert np.corrcoef(g["temperature"], g["humidity"])[0, 1] < -0.4
    assert g["humidity"].min() >= 20 and g["humidity"].max() <= 100.0001
    assert 20 < g["rain"].sum() / 4 < 150  # mm in four weeks
    assert g["radiation"].min() == 0 and g["radiation"].max() < 1000
    night = (g["local_hour"] < 4) | (g["local_hour"] > 22)
    assert g["radiation"][night].max() == 0
    assert g["upper"].min() >= 5 and g["upper"].max() <= 45
    # rain wets the upper layer: it gains in the six hours after the wettest hour
    wettest = int(np.argmax(np.convolve(g["rain"], np.ones(4), "same")))
    assert (
        g["upper"][min(wettest + 24, g["upper"].shape[0] - 1)].mean()
        > g["upper"][max(wettest - 24, 0)].mean()
    )
    # the leak: night flow in the last ten days, not before
    leak = g["hours"] >= g["hours"][-1] - 10 * 24
    small_hours = (g["local_hour"] >= 2) & (g["local_hour"] < 4)
    assert g["water"][leak & small_hours].mean() > 3 * g["water"][~leak & small_hours].mean()
    # offices draw more on weekday afternoons than at weekends
    afternoon = (g["local_hour"] >= 10) & (g["local_hour"] < 15)
    weekday = g["weekday"] < 5
    assert g["power"][afternoon & weekday].mean() > 3 * g["power"][afternoon & ~weekday].mean()


def test_the_demo_network_in_the_demo_region(database: Database) -> None:
    # The sensor network alone (with the trees it stands at): the energy and water demos extend
    # it with Things and history of their own.
    registry = Registry.build(discover(), enabled=["assets", "sensors"])
    notes = database.write(lambda s: build_region(s, registry=registry, now=NOW).notes)
    assert any("/sensors" in n for n in notes)
    with database.session() as session:
        things = sensing.list_things(session, principal=ADMIN)
        public = sensing.list_things(session, principal=ANONYMOUS)
        observations = session.scalar(select(func.count()).select_from(Observation))
        streams = session.scalar(select(func.count()).select_from(Datastream))
        kinds = {t.properties["kind"] for t in things}
        probes = [t for t in things if t.properties["kind"] == "soil-moisture"]
        tree_ids = {t.properties.get("tree_object_id") for t in probes}
        first = session.scalar(select(func.min(Observation.phenomenon_time)))
        internal = session.scalars(select(Thing.name).where(Thing.public.is_(False))).all()
    assert len(things) == 19 and len(public) == 18
    assert internal == ["Stromzähler Bauhof Auenstadt"]
    assert kinds == {"weather-station", "soil-moisture", "water-meter", "energy-meter"}
    assert streams == 47
    assert observations == 47 * demo.DAYS * 24 * 4
    assert 100_000 <= observations <= 200_000
    assert None not in tree_ids and len(tree_ids) == 8  # at the assets module's demo trees
    hour = NOW.replace(minute=0)
    assert all(s.latest_time == hour for t in things for s in t.streams)
    assert first is not None
    station = next(t for t in things if t.name == "Wetterstation Auenstadt")
    units = {s.unit_symbol for s in station.streams}
    assert units == {"Cel", "%", "mm", "m/s", "W/m2"}
    with database.session() as session:
        week = sensing.aggregate(
            session,
            datastream_id=station.streams[0].id,
            start=hour - timedelta(days=7),
            end=hour + timedelta(hours=1),
            step=timedelta(hours=1),
        )
    assert len(week) == 7 * 24 + 1 and all(b.count == 4 for b in week[:-1])
