"""Generated price and grid-intensity series for simulations and the demo region.

They are *generated*, not market data: a documented shape that resembles the German day-ahead
market of recent years, so that the optimiser meets the patterns it would meet in reality.

Day-ahead price (€/MWh), per hour of local time:
  * a seasonal level of 95 €/MWh in January falling to 70 €/MWh in summer (cosine over the year);
  * a daily profile: night trough (−22 % at 03:00), morning ramp to a peak at 08:00 (+25 %),
    a midday dip from solar feed-in whose depth grows with the sun (down to −45 % at 13:00 in
    June, −10 % in December), an evening peak at 19:00 (+35 %);
  * weekends and the generated holidays 12 % lower;
  * weather noise: an AR(1) process (ρ = 0.9 per hour, σ = 12 % of the level), so that windy or
    dull days come in runs; negative prices are allowed down to −20 €/MWh on sunny weekend middays.

The dynamic retail tariff adds the grid fees, levies and VAT a municipal customer pays per kWh
(0.17 €/kWh, a documented assumption) to the day-ahead price.

Grid CO2 intensity (kg/kWh): 0.38 on average, lower when the sun shines (−35 % at a summer
midday) and on windy days (the same AR(1) weather, which couples price and intensity).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

#: Grid fees, levies and VAT per kWh added to the day-ahead price (a municipal customer, 2024).
RETAIL_ADDER = 0.17
MEAN_CO2 = 0.38


def _weather_noise(hours: int, seed: int) -> Array:
    rng = np.random.default_rng(seed)
    shocks = rng.normal(0.0, 0.12 * np.sqrt(1 - 0.9**2), hours)
    noise = np.empty(hours)
    value = 0.0
    for i in range(hours):
        value = 0.9 * value + shocks[i]
        noise[i] = value
    return noise


def day_ahead(hour_of_year: Array, *, seed: int = 2024) -> Array:
    """Day-ahead price in €/MWh for hours counted from 1 January 00:00 local time (a Monday)."""
    h = np.asarray(hour_of_year, dtype=float)
    day = np.floor(h / 24.0)
    hod = h - 24.0 * day
    season = np.cos(2 * np.pi * day / 365.0)  # 1 in winter, −1 in summer
    level = 82.5 + 12.5 * season
    sun_depth = 0.275 - 0.175 * season  # 0.10 in winter … 0.45 in summer
    profile = (
        -0.22 * np.exp(-0.5 * ((hod - 3.0) / 2.0) ** 2)
        + 0.25 * np.exp(-0.5 * ((hod - 8.0) / 1.3) ** 2)
        - sun_depth * np.exp(-0.5 * ((hod - 13.0) / 2.2) ** 2)
        + 0.35 * np.exp(-0.5 * ((hod - 19.0) / 1.6) ** 2)
    )
    weekend = (day % 7) >= 5
    hours = int(np.max(h)) + 1 if len(h) else 0
    noise = _weather_noise(max(hours, 1), seed)[np.clip(h.astype(int), 0, None)]
    price = level * (1 + profile) * np.where(weekend, 0.88, 1.0) * (1 + noise)
    return np.asarray(np.maximum(price, -20.0), dtype=np.float64)


def retail_price(hour_of_year: Array, *, seed: int = 2024) -> Array:
    """The dynamic retail tariff in €/kWh."""
    return RETAIL_ADDER + day_ahead(hour_of_year, seed=seed) / 1000.0


def grid_co2(hour_of_year: Array, *, seed: int = 2024) -> Array:
    """Grid CO2 intensity in kg/kWh."""
    h = np.asarray(hour_of_year, dtype=float)
    day = np.floor(h / 24.0)
    hod = h - 24.0 * day
    season = np.cos(2 * np.pi * day / 365.0)
    solar = (0.225 - 0.125 * season) * np.exp(-0.5 * ((hod - 13.0) / 2.5) ** 2)
    hours = int(np.max(h)) + 1 if len(h) else 0
    noise = _weather_noise(max(hours, 1), seed)[np.clip(h.astype(int), 0, None)]
    return np.asarray(np.clip(MEAN_CO2 * (1 - solar) * (1 + 0.8 * noise), 0.1, 0.7), dtype=float)
