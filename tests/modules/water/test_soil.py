"""The retention curve, the suction bands and the plausibility checks of probe readings."""

from __future__ import annotations

import numpy as np
import pytest

from allmende.modules.water import soil

pytestmark = pytest.mark.unit


def test_the_curve_inverts_itself() -> None:
    suction = np.array([0.5, 10.0, 33.0, 81.0, 500.0, 1500.0])
    for curve in soil.CURVES.values():
        assert np.allclose(curve.suction(curve.theta(suction)), suction, rtol=1e-6)


def test_loam_puts_the_good_band_at_half_the_available_water() -> None:
    loam = soil.LOAM
    assert loam.field_capacity == pytest.approx(0.2406, abs=1e-4)
    assert loam.wilting_point == pytest.approx(0.0883, abs=1e-4)
    assert float(loam.depletion_of_suction(33.0)) == pytest.approx(0.50, abs=0.01)
    assert float(loam.depletion_of_suction(81.0)) == pytest.approx(0.72, abs=0.01)
    assert float(loam.suction_of_depletion(0.5)) == pytest.approx(33.0, rel=0.02)


def test_bands_follow_the_qtrees_limits() -> None:
    assert soil.band([0, 32.9, 33, 81, 81.1, 400]).tolist() == [0, 0, 1, 1, 2, 2]


def test_a_volumetric_reading_lands_in_the_same_bands() -> None:
    loam = soil.LOAM
    wet, middle, dry = loam.theta(20.0), loam.theta(50.0), loam.theta(120.0)
    assert soil.band(loam.suction([wet, middle, dry])).tolist() == [0, 1, 2]


HOUR = 3600.0


def test_negative_and_out_of_range_readings_are_flagged() -> None:
    times = np.arange(5) * HOUR
    flags = soil.quality_flags(times, [20.0, -3.0, 2000.0, np.nan, 25.0], kind="suction")
    assert flags.tolist() == [0, soil.NEGATIVE, soil.OUT_OF_RANGE, soil.NOT_A_NUMBER, 0]
    flags = soil.quality_flags(times[:3], [25.0, 75.0, -1.0], kind="volumetric")
    assert flags.tolist() == [0, soil.OUT_OF_RANGE, soil.NEGATIVE]


def test_a_value_frozen_for_two_days_is_flagged_from_then_on() -> None:
    times = np.arange(0, 96) * HOUR
    values = np.concatenate([np.linspace(10, 30, 24), np.full(72, 30.0)])
    flags = soil.quality_flags(times, values, kind="suction")
    frozen = np.flatnonzero(flags & soil.FROZEN)
    # The flat run starts at hour 23 (the last rising value); a reading counts as frozen once
    # the 48 hours ending with it (hours 23-70 for the first) are flat.
    assert frozen[0] == 70
    assert frozen[-1] == 95
    assert not (flags[:70] & soil.FROZEN).any()
    assert (flags[70:] == soil.FROZEN).all()


def test_a_slowly_drying_probe_is_not_frozen() -> None:
    times = np.arange(0, 24 * 10) * HOUR
    values = 15 + 0.1 * np.arange(times.size)  # 2.4 kPa a day
    assert not soil.quality_flags(times, values, kind="suction").any()
