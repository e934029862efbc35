"""UTCI against the reference library pythermalcomfort (4.x).

pythermalcomfort's conventions, checked in its source: ``utci(tdb, tr, v, rh)`` takes air and
mean radiant temperature in °C, the wind speed 10 m above ground in m/s and the relative
humidity in %; ``limit_inputs=True`` (its default) gives NaN outside −50 ≤ tdb ≤ 50,
−30 ≤ tr − tdb ≤ 70, 0.5 ≤ v ≤ 17, 0 ≤ rh ≤ 100 and 0 ≤ vapour pressure ≤ 5 kPa (bounds
included); ``round_output=False`` turns off its rounding to 0.1 K, and its stress categories
come from the unrounded value then. It warns about inputs out of range; those warnings are
silenced here.
"""

from __future__ import annotations

import numpy as np
import pytest
from pythermalcomfort.models import utci as reference

from allmende.modules.heat.utci import CATEGORIES, stress_category, utci

pytestmark = [pytest.mark.unit, pytest.mark.filterwarnings("ignore::UserWarning")]

N = 100_000


def _valid_inputs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    ta = rng.uniform(-50, 50, n)
    tmrt = ta + rng.uniform(-30, 70, n)
    wind = rng.uniform(0.5, 17, n)
    rh = rng.uniform(0, 100, n)
    return ta, tmrt, wind, rh


def test_utci_matches_pythermalcomfort_on_random_valid_inputs() -> None:
    ta, tmrt, wind, rh = _valid_inputs(np.random.default_rng(20121), N)
    expected = reference(ta, tmrt, wind, rh, round_output=False).utci
    got = utci(ta, tmrt, wind, rh)
    # Hot and humid air exceeds 5 kPa of vapour pressure: both give NaN there.
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    assert np.isfinite(got).sum() > 0.9 * N
    assert np.nanmax(np.abs(got - expected)) < 0.01


def test_the_same_nan_mask_outside_the_validity_range() -> None:
    rng = np.random.default_rng(7)
    ta = rng.uniform(-60, 60, N)
    tmrt = ta + rng.uniform(-40, 80, N)
    wind = rng.uniform(0, 20, N)
    rh = rng.uniform(-5, 105, N)
    expected = reference(ta, tmrt, wind, rh, round_output=False).utci
    got = utci(ta, tmrt, wind, rh)
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    assert 0.2 < np.isnan(got).mean() < 0.8
    assert np.nanmax(np.abs(got - expected)) < 0.01


@pytest.mark.parametrize(
    ("ta", "tmrt", "wind", "rh"),
    [
        (50.0, 120.0, 17.0, 10.0),  # every upper bound of Ta, Tmrt − Ta and wind, included
        (-50.0, -80.0, 0.5, 50.0),  # the lower bounds, included
        (30.0, 40.0, 0.4999, 50.0),  # wind just below 0.5 m/s
        (30.0, 40.0, 17.0001, 50.0),
        (20.0, -10.0001, 3.0, 50.0),  # Tmrt − Ta just below −30 K
        (20.0, 90.0001, 3.0, 50.0),
        (50.0001, 60.0, 3.0, 10.0),
        (25.0, 25.0, 1.0, 100.0),
        (25.0, 25.0, 1.0, 100.5),
        (25.0, 25.0, 1.0, -0.5),
        (45.0, 50.0, 3.0, 90.0),  # vapour pressure above 5 kPa
        (float("nan"), 25.0, 1.0, 50.0),
        (25.0, 25.0, float("nan"), 50.0),
    ],
)
def test_edges_of_the_validity_range_as_pythermalcomfort(
    ta: float, tmrt: float, wind: float, rh: float
) -> None:
    expected = float(reference(ta, tmrt, wind, rh, round_output=False).utci)
    got = float(utci(ta, tmrt, wind, rh))
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected, abs=0.01)


def test_stress_categories_as_pythermalcomfort() -> None:
    ta, tmrt, wind, rh = _valid_inputs(np.random.default_rng(3), N)
    result = reference(ta, tmrt, wind, rh, round_output=False)
    codes = stress_category(utci(ta, tmrt, wind, rh))
    names = np.array([*CATEGORIES, "nan"], dtype=object)[codes]  # −1 picks "nan"
    expected = np.array([str(c) for c in result.stress_category], dtype=object)
    assert set(np.unique(codes)) == set(range(-1, 10))
    assert np.array_equal(names, expected)


def test_category_edges_belong_to_the_lower_class() -> None:
    edges = [-40.0, -27.0, -13.0, 0.0, 9.0, 26.0, 32.0, 38.0, 46.0]
    assert stress_category(edges).tolist() == list(range(9))
    assert stress_category([32.01, 38.01, 46.01, float("nan")]).tolist() == [7, 8, 9, -1]


def test_inputs_broadcast_and_keep_their_shape() -> None:
    grid = np.full((3, 4), 30.0)
    result = utci(grid, 50.0, 2.0, 40.0)
    assert result.shape == (3, 4)
    assert float(result[0, 0]) == pytest.approx(
        float(reference(30.0, 50.0, 2.0, 40.0, round_output=False).utci), abs=1e-9
    )
