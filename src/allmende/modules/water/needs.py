"""From the balance to what crews and citizens see: the suction now and in the coming days,
the water need in litres and a status per tree.

* **now**: the suction is in the critical band (above 81 kPa);
* **soon**: it is in the medium band (33-81 kPa), or the forecast takes it into the critical
  band within ``SOON_DAYS`` days;
* **ok**: otherwise.

The need is what brings the tree back to the good band with a margin (depletion at most 40 %
of its available water); one visit gives at most the dose of its age (Gieß den Kiez's rule of
thumb of 100, 200 and 300 litres for young, middle-aged and old trees), the rest is for the
next visit.

The forecast comes from weather-forecast Datastreams where a station has them, else from
climatology: the mean of the same calendar days (± a week) of earlier years of the station's
own record, else, without earlier years, the mean of its last 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from allmende.modules.water import balance, soil

Array = NDArray[np.float64]

OK, SOON, NOW = 0, 1, 2
STATUSES = ("ok", "soon", "now")
SOON_DAYS = 7
HORIZON_DAYS = 14
TARGET_DEPLETION = 0.4


def dose_for_age(age_years: ArrayLike) -> Array:
    age = np.asarray(age_years, dtype=np.float64)
    return np.asarray(np.where(age < 5, 100.0, np.where(age < 15, 200.0, 300.0)))


@dataclass(frozen=True)
class Needs:
    """Per tree: suction now (kPa), its band, the suction at the end of each forecast day
    (days × trees), the status, the litres to the good band and the dose of one visit, and the
    forecast day on which it turns critical (−1: not within the horizon)."""

    suction_kpa: Array
    band: NDArray[np.int8]
    forecast_kpa: Array
    status: NDArray[np.int8]
    need_l: Array
    dose_l: Array
    critical_in_days: NDArray[np.int64]


def assess(
    plants: balance.Plants,
    *,
    depletion_l: Array,
    age_years: Array,
    et0_forecast: Array,
    rain_forecast: Array,
    curve: soil.RetentionCurve = soil.DEFAULT_CURVE,
) -> Needs:
    """Status and need of every plant from its depletion now and the forecast weather
    (stations × days, mm/day)."""
    taw = np.maximum(plants.taw_l, 1e-9)
    fraction = np.clip(depletion_l / taw, 0, 1)
    suction = curve.suction_of_depletion(fraction)
    days = et0_forecast.shape[1]
    if days:
        ahead = balance.run(
            plants,
            et0=et0_forecast,
            rain=rain_forecast,
            initial_depletion_l=depletion_l,
            keep=np.arange(plants.size),
        )
        forecast = curve.suction_of_depletion(ahead.history / taw[None, :])
    else:
        forecast = np.zeros((0, plants.size))
    band = soil.band(suction)
    critical = forecast[:SOON_DAYS] > soil.CRITICAL_ABOVE_KPA
    first = np.where(critical.any(axis=0), critical.argmax(axis=0), -1).astype(np.int64)
    status = np.where(
        band == soil.CRITICAL, NOW, np.where((band == soil.MEDIUM) | (first >= 0), SOON, OK)
    ).astype(np.int8)
    need = np.maximum(depletion_l - TARGET_DEPLETION * taw, 0.0)
    need = np.where(status == OK, 0.0, np.maximum(need, 0.0))
    dose = np.minimum(need, dose_for_age(age_years))
    return Needs(suction, band, forecast, status, need, dose, first)


def climatology(
    day_of_year: ArrayLike,
    values: ArrayLike,
    *,
    years: ArrayLike,
    target_day_of_year: ArrayLike,
    current_year: int,
    window: int = 7,
) -> tuple[Array, str]:
    """Daily values for the target days from a station's own record: the mean of the same
    calendar days (± ``window``) in earlier years, else the mean of the last 30 days.
    Returns the values and which of the two it was ("years" or "recent")."""
    doy = np.asarray(day_of_year, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    y = np.asarray(years, dtype=np.int64)
    targets = np.asarray(target_day_of_year, dtype=np.int64)
    earlier = (y < current_year) & np.isfinite(v)
    if earlier.any():
        out = np.empty(targets.size)
        for i, t in enumerate(targets.tolist()):
            distance = np.abs((doy[earlier] - t + 183) % 366 - 183)
            near = distance <= window
            out[i] = float(v[earlier][near].mean()) if near.any() else float(v[earlier].mean())
        return out, "years"
    recent = v[np.isfinite(v)][-30:]
    level = float(recent.mean()) if recent.size else 0.0
    return np.full(targets.size, level), "recent"
