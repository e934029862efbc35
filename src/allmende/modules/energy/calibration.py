"""Calibrating a building's 5R1C parameters on measured data (scipy least squares).

Inputs: hourly (or 15-minute) outside air, solar irradiance as gains through the windows,
internal gains, the heat meter's power (delivered to the air node) and the measured indoor air
temperature. Four multipliers on the prior zone are fitted — the envelope conductance (windows
and opaque elements together), the ventilation conductance, the heat capacity and the solar
aperture — by minimising the error of the simulated indoor temperature. The result reports the
calibration error in kelvin and, with the fitted zone holding the measured temperature, the
heat-meter error as CV(RMSE) and NMBE (ASHRAE Guideline 14).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from allmende.modules.energy import rc
from allmende.modules.energy.baseline import Fit, fit_statistics

Array = NDArray[np.float64]
NAMES = ("envelope", "ventilation", "capacity", "solar")
#: Bounds of the multipliers: a prior from the building register is rarely off by more.
LOWER = np.array([0.3, 0.2, 0.2, 0.0])
UPPER = np.array([3.0, 5.0, 5.0, 3.0])


@dataclass(frozen=True)
class Calibration:
    zone: rc.Zone
    multipliers: dict[str, float]
    rmse_k: float
    bias_k: float
    heat: Fit
    converged: bool


def scaled(zone: rc.Zone, envelope: float, ventilation: float, capacity: float) -> rc.Zone:
    return replace(
        zone,
        h_tr_w=zone.h_tr_w * envelope,
        h_tr_em=zone.h_tr_em * envelope,
        h_ve=zone.h_ve * ventilation,
        c_m=zone.c_m * capacity,
    )


def calibrate(
    prior: rc.Zone,
    *,
    t_out: Array,
    solar_gains: Array,
    internal_gains: Array,
    heating_power: Array,
    t_indoor: Array,
    step_seconds: float = 3600.0,
    warmup: int = 48,
) -> Calibration:
    """Fit the multipliers; the first ``warmup`` steps settle the mass and are not scored."""
    t_out = np.asarray(t_out, dtype=float)
    measured = np.asarray(t_indoor, dtype=float)
    score = np.isfinite(measured)
    score[:warmup] = False
    t_m0 = float(np.nanmean(measured[: max(warmup, 1)]))

    def temperatures(theta: Array) -> Array:
        zone = scaled(prior, theta[0], theta[1], theta[2])
        return rc.simulate(
            zone,
            t_out=t_out,
            internal_gains=internal_gains,
            solar_gains=np.asarray(solar_gains) * theta[3],
            air_gains=heating_power,
            t_set_heating=-np.inf,
            t_set_cooling=np.inf,
            t_m0=t_m0,
            step_seconds=step_seconds,
        ).t_air.astype(np.float64)

    def residual(theta: Array) -> Array:
        difference: Array = temperatures(theta) - measured
        return np.asarray(difference[score], dtype=np.float64)

    from scipy.optimize import least_squares  # imported here: half a second of every start

    solution = least_squares(
        residual, x0=np.ones(4), bounds=(LOWER, UPPER), x_scale=np.ones(4), method="trf"
    )
    theta = solution.x
    zone = scaled(prior, theta[0], theta[1], theta[2])
    error = residual(theta)
    # Hold the measured temperature with the fitted zone: the heat it needs against the meter.
    held = rc.simulate(
        zone,
        t_out=t_out,
        internal_gains=internal_gains,
        solar_gains=np.asarray(solar_gains) * theta[3],
        t_set_heating=np.where(score, measured, -np.inf),
        t_set_cooling=np.inf,
        t_m0=t_m0,
        step_seconds=step_seconds,
    )
    metered = np.asarray(heating_power, dtype=float)
    per_day = round(86400 / step_seconds)
    days = int(score.sum()) // per_day
    idx = np.flatnonzero(score)[: days * per_day]
    daily_meter = metered[idx].reshape(days, per_day).sum(axis=1)
    daily_model = np.clip(held.phi_hc[idx], 0, None).reshape(days, per_day).sum(axis=1)
    return Calibration(
        zone=zone,
        multipliers=dict(zip(NAMES, (float(v) for v in theta), strict=True)),
        rmse_k=float(np.sqrt(np.mean(error**2))),
        bias_k=float(np.mean(error)),
        heat=fit_statistics(daily_meter, daily_model, 4),
        converged=bool(solution.success),
    )
