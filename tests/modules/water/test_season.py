"""The irrigation controller against a fixed timer over a season of real weather."""

from __future__ import annotations

import numpy as np
import pytest

from allmende.modules.water import irrigation, season
from allmende.modules.water import weather_files as wf

pytestmark = pytest.mark.unit


def zone() -> irrigation.Zone:
    return irrigation.Zone(area_m2=100, coefficient=0.8, taw_mm=40, rate_mm_per_h=12)


def test_the_controller_waters_when_the_soil_would_pass_the_allowed_depletion() -> None:
    decision = irrigation.decide(zone(), depletion_mm=18, demand_next_mm=4, rain_next_mm=0)
    assert decision.reason == irrigation.WATER
    # Refill to 90 % of field capacity: 18 − 4 = 14 mm net, 17.5 mm gross at 80 % efficiency.
    assert decision.net_mm == pytest.approx(14.0)
    assert decision.minutes == pytest.approx(87.5)
    assert decision.gross_l == pytest.approx(1750.0)
    assert decision.facts["allowed_mm"] == 20.0


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"depletion_mm": 10, "demand_next_mm": 4, "rain_next_mm": 0}, irrigation.SOIL_MOIST),
        (
            {"depletion_mm": 30, "demand_next_mm": 4, "rain_next_mm": 10, "rain_after_mm": 25},
            irrigation.RAIN_EXPECTED,
        ),
        (
            {"depletion_mm": 18, "demand_next_mm": 4, "rain_next_mm": 0, "probe_depletion": 0.1},
            irrigation.PROBE_WET,
        ),
        (
            {"depletion_mm": 18, "demand_next_mm": 4, "rain_next_mm": 0, "min_temperature": 0.5},
            irrigation.FROST,
        ),
    ],
)
def test_reasons_to_skip(kwargs: dict, reason: str) -> None:
    decision = irrigation.decide(zone(), **kwargs)
    assert decision.reason == reason and decision.minutes == 0


def test_a_long_run_is_capped() -> None:
    decision = irrigation.decide(zone(), depletion_mm=39, demand_next_mm=4, rain_next_mm=0)
    assert decision.minutes == 120.0


@pytest.fixture(scope="module", params=["mannheim", "greensboro"])
def weather(request: pytest.FixtureRequest) -> wf.DailyWeather:
    if request.param == "mannheim":
        pytest.importorskip("teaser", reason="the Mannheim TRY ships in the teaser package")
        return wf.mannheim_try().days()
    pytest.importorskip("pvlib", reason="the Greensboro TMY3 ships in the pvlib package")
    return wf.greensboro_tmy3().days()


def test_the_controller_saves_a_fifth_and_stays_adequate(weather: wf.DailyWeather) -> None:
    rain = weather.precipitation if weather.precipitation is not None else np.zeros(365)
    results = season.simulate(
        et0=weather.et0(),
        rain=rain,
        day_of_year=weather.day_of_year,
        weekday=((weather.day_of_year - 1) % 7).astype(np.int64),
    )
    for r in results:
        assert r.saving >= 0.20, r.zone
        assert r.controller.adequacy >= 80.0, r.zone
        assert r.controller.excess <= 5.0, r.zone
    total_timer = sum(r.timer.water_m3 for r in results)
    total_controller = sum(r.controller.water_m3 for r in results)
    assert total_controller <= 0.8 * total_timer
