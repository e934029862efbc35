"""Heat index and apparent temperature, and the humidity they need (numpy in, numpy out).

* Heat index: the US National Weather Service's algorithm (NWS Technical Attachment SR 90-23,
  Rothfusz 1990, with the NWS's published steps): Steadman's simple formula first; where its
  mean with the air temperature reaches 80 °F, the Rothfusz regression with the two
  adjustments for dry heat (relative humidity below 13 % at 80–112 °F) and for humid warmth
  (above 85 % at 80–87 °F). Computed in °F as the NWS defines it and returned in °C. Like
  pythermalcomfort's ``heat_index_rothfusz`` it is NaN below 27 °C air temperature, where the
  index has no meaning.
* Apparent temperature: Steadman (1994) as the Australian Bureau of Meteorology uses it,
  AT = Ta + 0.33 e − 0.70 v − 4.00 (e vapour pressure in hPa, v wind 10 m above ground in m/s),
  or with the net radiation absorbed by the body q (W/m²):
  AT = Ta + 0.348 e − 0.70 v + 0.70 q / (v + 10) − 4.25.
* Saturation vapour pressure over water and ice after Hyland and Wexler (1983), the
  formulation of the ASHRAE Handbook of Fundamentals, as pythermalcomfort computes it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

#: Below this air temperature (°C) the heat index is not defined here.
HEAT_INDEX_MIN_TA = 27.0


def saturation_vapour_pressure(ta: ArrayLike) -> Array:
    """Saturation vapour pressure (Pa) at air temperature ``ta`` (°C): over ice below 0 °C,
    over water above (Hyland and Wexler 1983)."""
    t = np.asarray(ta, dtype=np.float64) + 273.15
    log_t = np.log(t)
    over_water = (
        -5800.2206 / t
        + 1.3914993
        + t * (-0.048640239 + t * (0.41764768e-4 - 0.14452093e-7 * t))
        + 6.5459673 * log_t
    )
    frozen = t < 273.15
    if not frozen.any():  # a summer's map: the ice branch would be computed for nothing
        return np.asarray(np.exp(over_water))
    over_ice = (
        -5674.5359 / t
        + 6.3925247
        + t * (-0.9677843e-2 + t * (0.62215701e-6 + t * (0.20747825e-8 - 0.9484024e-12 * t)))
        + 4.1635019 * log_t
    )
    return np.asarray(np.exp(np.where(frozen, over_ice, over_water)))


def vapour_pressure_hpa(ta: ArrayLike, rh: ArrayLike) -> Array:
    """Water vapour pressure (hPa) from air temperature (°C) and relative humidity (%)."""
    return np.asarray(np.asarray(rh, dtype=np.float64) / 100 * saturation_vapour_pressure(ta) / 100)


def relative_humidity(ta: ArrayLike, vapour_pressure: ArrayLike) -> Array:
    """Relative humidity (%) of air at ``ta`` (°C) holding ``vapour_pressure`` (hPa), at most
    100 %."""
    rh = np.asarray(vapour_pressure, dtype=np.float64) * 100 / saturation_vapour_pressure(ta) * 100
    return np.asarray(np.minimum(rh, 100.0))


def heat_index(ta: ArrayLike, rh: ArrayLike) -> Array:
    """The NWS heat index (°C) of air temperature ``ta`` (°C) and relative humidity ``rh`` (%);
    NaN below 27 °C, for humidity outside 0–100 % and for NaN inputs."""
    ta_c = np.asarray(ta, dtype=np.float64)
    h = np.asarray(rh, dtype=np.float64)
    t = ta_c * 1.8 + 32.0
    simple = 0.5 * (t + 61.0 + (t - 68.0) * 1.2 + h * 0.094)
    regression = (
        -42.379
        + 2.04901523 * t
        + 10.14333127 * h
        - 0.22475541 * t * h
        - 0.00683783 * t * t
        - 0.05481717 * h * h
        + 0.00122874 * t * t * h
        + 0.00085282 * t * h * h
        - 0.00000199 * t * t * h * h
    )
    with np.errstate(invalid="ignore"):
        dry = (h < 13.0) & (t >= 80.0) & (t <= 112.0)
        dry_adjustment = ((13.0 - h) / 4.0) * np.sqrt(
            np.clip((17.0 - np.abs(t - 95.0)) / 17.0, 0.0, None)
        )
        humid = (h > 85.0) & (t >= 80.0) & (t <= 87.0)
        humid_adjustment = ((h - 85.0) / 10.0) * ((87.0 - t) / 5.0)
        adjusted = (
            regression - np.where(dry, dry_adjustment, 0.0) + np.where(humid, humid_adjustment, 0.0)
        )
        value = np.where((simple + t) / 2.0 >= 80.0, adjusted, simple)
        valid = (ta_c >= HEAT_INDEX_MIN_TA) & (h >= 0.0) & (h <= 100.0)
    return np.asarray(np.where(valid, (value - 32.0) / 1.8, np.nan))


def apparent_temperature(
    ta: ArrayLike, rh: ArrayLike, wind: ArrayLike, absorbed: ArrayLike | None = None
) -> Array:
    """Steadman's apparent temperature (°C) from air temperature (°C), relative humidity (%),
    wind 10 m above ground (m/s) and, if given, the radiation absorbed by the body (W/m²)."""
    t = np.asarray(ta, dtype=np.float64)
    v = np.asarray(wind, dtype=np.float64)
    e = vapour_pressure_hpa(t, rh)
    if absorbed is None:
        return np.asarray(t + 0.33 * e - 0.70 * v - 4.00)
    q = np.asarray(absorbed, dtype=np.float64)
    return np.asarray(t + 0.348 * e - 0.70 * v + 0.70 * q / (v + 10.0) - 4.25)
