"""Calibration of the 5R1C parameters on a measured indoor temperature and heat meter."""

from __future__ import annotations

import numpy as np
import pytest

from allmende.modules.energy import calibration, rc

pytestmark = pytest.mark.unit


def test_calibration_recovers_the_building_from_its_measurements() -> None:
    """'Measurements' from a building whose envelope leaks 40 % more and whose mass is lighter
    than the register says, with sensor noise; the prior is the register's."""
    prior = rc.Zone.from_building(
        floor_area=900.0,
        volume=2900.0,
        window_area=180.0,
        opaque_area=1400.0,
        u_window=1.3,
        u_opaque=0.4,
        air_changes=0.6,
    )
    truth = calibration.scaled(prior, 1.4, 0.8, 0.7)
    rng = np.random.default_rng(2)
    hours = np.arange(24 * 28)
    t_out = 3 + 4 * np.sin(2 * np.pi * (hours - 9) / 24) + rng.normal(0, 1, len(hours))
    sun = 15000 * np.clip(np.sin(2 * np.pi * (hours % 24 - 7) / 20), 0, None)
    working = ((hours // 24) % 7 < 5) & (hours % 24 >= 7) & (hours % 24 < 17)
    gains = np.where(working, 7000.0, 900.0)
    heating = np.where(working | (hours % 24 == 6), 36000.0, 9000.0)
    true_run = rc.simulate(
        truth,
        t_out=t_out,
        internal_gains=gains,
        solar_gains=sun,
        air_gains=heating,
        t_set_heating=-np.inf,
        t_set_cooling=np.inf,
        t_m0=19.0,
    )
    measured = true_run.t_air + rng.normal(0, 0.1, len(hours))
    result = calibration.calibrate(
        prior,
        t_out=t_out,
        solar_gains=sun,
        internal_gains=gains,
        heating_power=heating,
        t_indoor=measured,
    )
    assert result.converged
    assert result.multipliers["envelope"] == pytest.approx(1.4, rel=0.1)
    assert result.rmse_k < 0.15  # the sensor noise is 0.1 K
    assert result.heat.meets("daily")
