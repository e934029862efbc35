"""Heat index and apparent temperature against pythermalcomfort (4.x).

Its conventions, checked in its source: ``heat_index_rothfusz(tdb, rh)`` is the plain Rothfusz
regression in °C (tdb in °C, rh in %), NaN below 27 °C with ``limit_inputs=True``, without the
NWS's simple formula and adjustments; ``at(tdb, rh, v, q)`` is Steadman's apparent temperature
with the wind 10 m above ground (m/s) and the vapour pressure from its Hyland-Wexler
saturation pressure. ``round_output=False`` turns off its rounding to 0.1 K.
"""

from __future__ import annotations

import numpy as np
import pytest
from pythermalcomfort.models import at, heat_index_rothfusz

from allmende.modules.heat.indices import (
    apparent_temperature,
    heat_index,
    relative_humidity,
    saturation_vapour_pressure,
    vapour_pressure_hpa,
)

pytestmark = [pytest.mark.unit, pytest.mark.filterwarnings("ignore::UserWarning")]

N = 100_000


def _fahrenheit(celsius: np.ndarray) -> np.ndarray:
    return celsius * 1.8 + 32


def test_heat_index_matches_rothfusz_where_the_nws_uses_the_plain_regression() -> None:
    rng = np.random.default_rng(1990)
    ta, rh = rng.uniform(-10, 50, N), rng.uniform(0, 100, N)
    expected = heat_index_rothfusz(ta, rh, round_output=False).hi
    got = heat_index(ta, rh)
    assert np.array_equal(np.isnan(got), np.isnan(expected))  # NaN below 27 °C
    t = _fahrenheit(ta)
    simple = 0.5 * (t + 61 + (t - 68) * 1.2 + rh * 0.094)
    plain = (
        ((simple + t) / 2 >= 80)
        & ~((rh < 13) & (t <= 112))  # the dry adjustment
        & ~((rh > 85) & (t <= 87))  # the humid adjustment
        & ~np.isnan(expected)
    )
    assert plain.sum() > 0.2 * N
    assert np.max(np.abs(got[plain] - expected[plain])) < 0.01


@pytest.mark.parametrize(
    ("ta_f", "rh", "hi_f"),
    [
        (96.0, 65.0, 121.0),  # the NWS heat index chart
        (90.0, 50.0, 95.0),
        (104.0, 40.0, 119.0),
        (81.0, 10.0, 78.3),  # the simple formula: its mean with Ta stays below 80 °F
    ],
)
def test_heat_index_follows_the_nws_chart(ta_f: float, rh: float, hi_f: float) -> None:
    got = float(heat_index((ta_f - 32) / 1.8, rh)) * 1.8 + 32
    assert got == pytest.approx(hi_f, abs=0.5)


@pytest.mark.parametrize(
    ("ta_f", "rh", "adjustment_f"),
    [
        (100.0, 8.0, -(13 - 8) / 4 * np.sqrt((17 - 5) / 17)),  # dry heat
        (85.0, 95.0, (95 - 85) / 10 * (87 - 85) / 5),  # humid warmth
    ],
)
def test_heat_index_adjusts_the_regression_as_the_nws_says(
    ta_f: float, rh: float, adjustment_f: float
) -> None:
    ta = (ta_f - 32) / 1.8
    regression = float(heat_index_rothfusz(ta, rh, round_output=False).hi)
    assert float(heat_index(ta, rh)) == pytest.approx(regression + adjustment_f / 1.8, abs=0.01)


def test_heat_index_refuses_humidity_outside_0_to_100() -> None:
    assert np.isnan(heat_index([30.0, 30.0], [-1.0, 101.0])).all()


def test_apparent_temperature_matches_pythermalcomfort() -> None:
    rng = np.random.default_rng(1994)
    ta, rh, wind = rng.uniform(-20, 50, N), rng.uniform(0, 100, N), rng.uniform(0, 20, N)
    expected = at(ta, rh, wind, round_output=False).at
    assert np.max(np.abs(apparent_temperature(ta, rh, wind) - expected)) < 0.01
    q = rng.uniform(0, 500, N)
    with_sun = at(ta, rh, wind, q=q, round_output=False).at
    assert np.max(np.abs(apparent_temperature(ta, rh, wind, q) - with_sun)) < 0.01


def test_relative_humidity_inverts_vapour_pressure() -> None:
    ta = np.array([-5.0, 10.0, 25.0, 35.0])
    rh = np.array([90.0, 60.0, 45.0, 30.0])
    assert relative_humidity(ta, vapour_pressure_hpa(ta, rh)) == pytest.approx(rh)
    assert relative_humidity(20.0, 100.0) == 100.0  # supersaturated: at most 100 %


def test_saturation_pressure_is_the_same_with_or_without_frost_in_the_array() -> None:
    warm = np.array([0.5, 10.0, 25.0, 35.0])
    np.testing.assert_array_equal(
        saturation_vapour_pressure(warm), saturation_vapour_pressure(np.r_[-5.0, warm])[1:]
    )
