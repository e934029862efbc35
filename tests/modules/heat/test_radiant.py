"""Mean radiant temperature: ISO 7726 against pythermalcomfort, the estimate against the
physics it must obey."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pythermalcomfort.environment import mean_radiant_tmp

from allmende.modules.heat.indices import vapour_pressure_hpa
from allmende.modules.heat.radiant import (
    cloud_cover,
    mrt_estimate,
    mrt_from_globe,
    sun,
    wind_at_height,
)

pytestmark = [pytest.mark.unit, pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")]


def test_globe_conversion_matches_pythermalcomfort_iso() -> None:
    rng = np.random.default_rng(7726)
    n = 20_000
    ta = rng.uniform(-10, 45, n)
    tg = ta + rng.uniform(-5, 30, n)
    v = rng.uniform(0.05, 10, n)
    for diameter, emissivity in ((0.15, 0.95), (0.05, 0.9)):
        expected = mean_radiant_tmp(tg, ta, v, diameter, emissivity, standard="ISO")
        got = mrt_from_globe(tg, ta, v, diameter=diameter, emissivity=emissivity)
        assert np.array_equal(np.isnan(got), np.isnan(expected))
        assert np.nanmax(np.abs(got - expected)) < 0.01


def test_iso_example_of_pythermalcomfort() -> None:
    assert float(mrt_from_globe(53.2, 30.0, 0.3, diameter=0.1)) == pytest.approx(74.8, abs=0.05)


def test_wind_at_another_height() -> None:
    assert float(wind_at_height(2.0, measured_at=10, wanted_at=10)) == 2.0
    two_m = float(wind_at_height(3.0, measured_at=2, wanted_at=10))
    assert two_m == pytest.approx(3.0 * np.log(1000) / np.log(200))


@pytest.fixture(scope="module")
def summer_day() -> dict[str, np.ndarray]:
    times = pd.date_range("2025-07-15 00:00", periods=24, freq="h", tz="UTC")
    ghi = np.array(
        [0, 0, 0, 0, 10, 80, 220, 380, 530, 660, 760, 820, 840, 810, 740, 630, 490, 330, 170,
         40, 0, 0, 0, 0],
        dtype=float,
    )  # fmt: skip
    ta = 25 + 7 * np.sin(np.pi * (np.arange(24) - 8) / 14)
    sky = sun(times, 49.47, 8.72, ghi)
    return {
        "ta": ta,
        "e": vapour_pressure_hpa(ta, 45.0),
        "ghi": ghi,
        "sky": sky,  # type: ignore[dict-item]
        "cloud": cloud_cover(ghi, sky),
    }


def test_estimate_in_sun_shade_and_night(summer_day: dict) -> None:  # type: ignore[type-arg]
    d = summer_day
    sunny = mrt_estimate(d["ta"], d["e"], d["sky"], d["cloud"])
    shaded = mrt_estimate(d["ta"], d["e"], d["sky"], d["cloud"], sunlit=0.0)
    noon = 11  # 13:00 CEST
    # A clear summer noon in the open: Tmrt 20–35 K above the air (Thorsson et al. 2007).
    assert 20 < sunny[noon] - d["ta"][noon] < 35
    # Shade takes most of that away; the night sky pulls Tmrt below the air.
    assert shaded[noon] < sunny[noon] - 15
    assert sunny[1] < d["ta"][1]
    # Walls and crowns (sky view factor < 1) keep the night warmer than the open field.
    walled = mrt_estimate(d["ta"], d["e"], d["sky"], d["cloud"], sky_view=0.4)
    assert walled[1] > sunny[1]


def test_cloud_cover_is_carried_through_the_night(summer_day: dict) -> None:  # type: ignore[type-arg]
    cloud, elevation = summer_day["cloud"], summer_day["sky"].elevation
    assert cloud[0] == pytest.approx(0.6)  # before the first daylight value
    last_light = int(np.flatnonzero(elevation > 10)[-1])
    assert (cloud[last_light:] == cloud[last_light]).all()  # carried on after sunset
    assert (cloud >= 0).all() and (cloud <= 1).all()
