"""Probe readings to daily depletion, nonsense left out, and the spread to similar trees."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from allmende.modules.water import probes, soil

pytestmark = pytest.mark.unit

DAY = 86_400.0


def test_daily_medians_of_plausible_readings_only() -> None:
    times = np.arange(0, 3 * 24) * 3600.0
    values = np.r_[np.full(24, 20.0), np.full(24, 50.0), np.full(24, 90.0)]
    values = values + np.tile(np.arange(24) * 0.6, 3)  # the soil dries through each day
    values[30] = -4.0  # a negative tension: nonsense
    result = probes.daily(times, values, kind="suction", start_s=0.0, days=3)
    assert result.day.tolist() == [0, 1, 2]
    assert result.flagged == 1 and result.total == 72
    expected = soil.LOAM.depletion_of_suction(np.median(values[24:48][values[24:48] > 0]))
    assert result.depletion[1] == pytest.approx(float(expected))
    assert result.sigma == probes.SUCTION_SIGMA


def test_a_frozen_probe_contributes_nothing_after_two_days() -> None:
    times = np.arange(0, 5 * 24) * 3600.0
    values = np.full(times.size, 42.0)
    result = probes.daily(times, values, kind="suction", start_s=0.0, days=5)
    assert result.day.tolist() == [0, 1]  # from hour 47 on every reading is frozen
    assert result.last_flags == soil.FROZEN


def test_volumetric_readings_go_through_the_curve() -> None:
    theta = float(soil.LOAM.theta(60.0))
    result = probes.daily([0.0, 3600.0], [100 * theta] * 2, kind="volumetric", start_s=0, days=1)
    assert result.depletion[0] == pytest.approx(float(soil.LOAM.depletion_of_suction(60.0)))
    assert result.sigma == probes.VOLUMETRIC_SIGMA


def test_spread_takes_the_error_of_similar_trees_nearby_with_its_uncertainty() -> None:
    # Tree 0 has the probe; 1 is 40 m away and alike, 2 is alike but 3 km away,
    # 3 is 40 m away but of another water-use and age class.
    x = np.array([0.0, 40.0, 3000.0, 0.0])
    y = np.array([0.0, 0.0, 0.0, 40.0])
    result = probes.spread(
        x_m=x,
        y_m=y,
        water_class=np.array([1, 1, 1, 2]),
        age_class=np.array([0, 0, 0, 1]),
        model_variance=np.full(4, 0.04),
        probe_rows=np.array([0]),
        bias=np.array([0.2]),
        bias_sigma=np.array([0.06]),
    )
    rho = np.exp(-40 / 400)
    assert result.correction.tolist() == pytest.approx([0.0, rho * 0.2, np.exp(-7.5) * 0.2, 0.0])
    assert result.sigma[1] == pytest.approx(np.sqrt((1 - rho**2) * 0.04 + rho**2 * 0.06**2))
    assert result.sigma[3] == pytest.approx(0.2)  # the model's own σ
    assert result.probe.tolist() == [0, 0, 0, -1]
    assert result.distance_m[1] == pytest.approx(40.0)
    assert np.isnan(result.distance_m[3])


def _two_probes_100_m_apart(x_m: np.ndarray, **extra: Any) -> probes.Spread:
    """Trees along a line at ``x_m``, alike; 0 and 1 have probes (errors 0.1 and 0.3)."""
    n = x_m.size
    return probes.spread(
        x_m=x_m,
        y_m=np.zeros(n),
        water_class=np.zeros(n, dtype=np.int64),
        age_class=np.zeros(n, dtype=np.int64),
        model_variance=np.full(n, 0.04),
        probe_rows=np.array([0, 1]),
        bias=np.array([0.1, 0.3]),
        bias_sigma=np.array([0.06, 0.06]),
        **extra,
    )


def test_an_internal_probe_corrects_its_own_municipality_s_trees_only() -> None:
    """Trees 0 (probe, municipality 1, internal) and 1 (probe, municipality 2, public); tree 2
    of municipality 2 and tree 3 of municipality 1, both 50 m from each probe."""
    result = _two_probes_100_m_apart(
        np.array([0.0, 100.0, 50.0, 50.0]),
        owner=np.array([1, 2, 2, 1]),
        shared=np.array([False, True]),
    )
    rho = np.exp(-50 / 400)
    assert result.correction[2] == pytest.approx(rho * 0.3)  # the public probe alone
    assert result.correction[3] == pytest.approx(rho * 0.2)  # both
    assert result.probe.tolist()[2:] == [1, 0]


def test_two_probes_average_their_errors_by_correlation() -> None:
    result = _two_probes_100_m_apart(np.array([0.0, 100.0, 50.0]))
    rho = np.exp(-50 / 400)
    assert result.correction[2] == pytest.approx(rho * 0.2)
    assert result.correction[:2].tolist() == [0.0, 0.0]
