"""Mean radiant temperature (Tmrt): measured with a black globe, or estimated from global
radiation and the position of the sun (numpy in, numpy out).

* From a globe thermometer per ISO 7726:1998, Annex B: the convective heat transfer
  coefficient of the globe is the larger of natural convection, 1.4 (|Tg − Ta| / D)^0.25, and
  forced convection, 6.3 v^0.6 / D^0.4; then
  Tmrt = [(Tg + 273.15)⁴ + h (Tg − Ta) / (ε σ)]^0.25 − 273.15, with the globe's diameter D
  (0.15 m) and emissivity ε (0.95) as parameters and v the air speed at the globe.
* Estimated, when no globe is measured: the six-directional method of Thorsson et al. (2007,
  Int. J. Climatol. 27:1983-1993) as Kántor and Unger (2011, Cent. Eur. J. Geosci. 3:90-100)
  describe it for a standing person: the short- and long-wave flux densities from above,
  below and the four sides, weighted 0.06, 0.06 and 4 × 0.22, absorbed with 0.7 (short wave)
  and 0.97 (long wave), plus the direct beam on the person's projected area (factor
  0.308 cos(β (1 − β²/48402)), β the sun's elevation in degrees). The inputs it needs but a
  weather station does not measure are estimated, and said so:

  - direct and diffuse radiation from global radiation with the Erbs et al. (1982)
    decomposition (pvlib), the sun's position with NREL's SPA (pvlib);
  - the sky's long-wave radiation from Brutsaert's (1975) clear-sky emissivity, raised by
    clouds after Crawford and Duchon (1999), cloud cover from measured against clear-sky
    (Haurwitz) radiation while the sun stands above 10°, else carried on from the last
    daylight value (0.6 when there is none);
  - the ground's temperature as air temperature plus 0.01 K per W/m² of absorbed short-wave
    radiation (a sunlit paved surface is 8–10 K warmer than the air at noon), albedo 0.2;
  - obstacles (walls, crowns) at air temperature where the sky view factor is below 1.

  The result is an estimate (±5–10 K in sunshine); pages and Datastreams say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

# pvlib and pandas are imported where they compute: they cost every server start seconds.
if TYPE_CHECKING:
    import pandas as pd

Array = NDArray[np.float64]

SIGMA = 5.67e-8
ABSORBED_SHORT = 0.70
EMISSIVITY_PERSON = 0.97
EMISSIVITY_GROUND = 0.95
#: View factors of the six directions for a standing person (up, down, each side).
F_VERTICAL = 0.06
F_LATERAL = 0.22
#: Cloud cover assumed before the first daylight value (the German long-term mean is 0.6–0.7).
NIGHT_CLOUD = 0.6
#: Cloud cover is derived from radiation only while the sun stands higher than this (°).
CLOUD_MIN_ELEVATION = 10.0


def mrt_from_globe(
    tg: ArrayLike,
    ta: ArrayLike,
    air_speed: ArrayLike,
    *,
    diameter: float = 0.15,
    emissivity: float = 0.95,
) -> Array:
    """Tmrt (°C) from globe temperature ``tg`` and air temperature ``ta`` (°C) and the air
    speed at the globe (m/s), ISO 7726 (the larger of natural and forced convection)."""
    g = np.asarray(tg, dtype=np.float64) + 273.15
    a = np.asarray(ta, dtype=np.float64) + 273.15
    v = np.asarray(air_speed, dtype=np.float64)
    natural = 1.4 * np.power(np.abs(g - a) / diameter, 0.25)
    forced = 6.3 * np.power(v, 0.6) / diameter**0.4
    h = np.maximum(natural, forced)
    with np.errstate(invalid="ignore"):  # a globe far colder than the air: NaN, not a value
        return np.asarray(np.power(g**4 + h * (g - a) / (emissivity * SIGMA), 0.25) - 273.15)


def wind_at_height(
    wind: ArrayLike, *, measured_at: float, wanted_at: float, roughness: float = 0.01
) -> Array:
    """Wind speed moved from one height above ground to another with the logarithmic profile
    (roughness length 0.01 m, as the UTCI documentation uses for 10 m wind)."""
    factor = np.log(wanted_at / roughness) / np.log(measured_at / roughness)
    return np.asarray(np.asarray(wind, dtype=np.float64) * factor)


@dataclass(frozen=True)
class Sun:
    """The sun's position and the split of global radiation, per time."""

    elevation: Array  # degrees above the horizon
    azimuth: Array  # degrees clockwise from north
    direct_normal: Array  # W/m² on a plane facing the sun
    diffuse: Array  # W/m² on the horizontal
    clear_sky: Array  # W/m², global horizontal under a clear sky (Haurwitz)


def sun(
    times: pd.DatetimeIndex, latitude: float, longitude: float, global_radiation: ArrayLike
) -> Sun:
    """Sun position (SPA) and the Erbs split of measured ``global_radiation`` (W/m²)."""
    import pvlib

    position = pvlib.solarposition.get_solarposition(times, latitude, longitude)
    zenith = position["apparent_zenith"].to_numpy()
    ghi = np.clip(np.asarray(global_radiation, dtype=np.float64), 0.0, None)
    split = pvlib.irradiance.erbs(ghi, zenith, times.day_of_year.to_numpy())
    return Sun(
        elevation=position["apparent_elevation"].to_numpy(),
        azimuth=position["azimuth"].to_numpy(),
        direct_normal=np.nan_to_num(np.asarray(split["dni"], dtype=np.float64)),
        diffuse=np.nan_to_num(np.asarray(split["dhi"], dtype=np.float64)),
        clear_sky=pvlib.clearsky.haurwitz(position["apparent_zenith"])["ghi"].to_numpy(),
    )


def cloud_cover(global_radiation: ArrayLike, sky: Sun) -> Array:
    """Cloud cover (0–1) from measured against clear-sky radiation by day, carried on from
    the last daylight value through the night (:data:`NIGHT_CLOUD` before the first)."""
    import pandas as pd

    ghi = np.asarray(global_radiation, dtype=np.float64)
    day = sky.elevation > CLOUD_MIN_ELEVATION
    with np.errstate(invalid="ignore", divide="ignore"):
        by_day = np.clip(1.0 - ghi / sky.clear_sky, 0.0, 1.0)
    value = np.where(day & np.isfinite(by_day), by_day, np.nan)
    return np.asarray(pd.Series(value).ffill().fillna(NIGHT_CLOUD).to_numpy())


def projected_area_factor(elevation: ArrayLike) -> Array:
    """Share of a standing person's surface that the direct beam hits (Fanger's fit)."""
    beta = np.clip(np.asarray(elevation, dtype=np.float64), 0.0, 90.0)
    return np.asarray(0.308 * np.cos(np.radians(beta * (1.0 - beta * beta / 48402.0))))


def mrt_estimate(
    ta: ArrayLike,
    vapour_pressure: ArrayLike,
    sky: Sun,
    cloud: ArrayLike,
    *,
    sunlit: ArrayLike = 1.0,
    sky_view: ArrayLike = 1.0,
    albedo: ArrayLike = 0.2,
    ground_heating: ArrayLike = 0.01,
) -> Array:
    """Estimated Tmrt (°C) of a standing person (see the module's description).

    ``vapour_pressure`` in hPa; ``sky`` the sun and the split of the measured global
    radiation (:func:`sun`); ``cloud`` 0–1. ``sunlit`` (0–1) is the share of the direct beam
    that reaches the person and the ground around, ``sky_view`` the sky view factor,
    ``albedo`` that of the ground and ``ground_heating`` its warming in K per absorbed W/m².
    All broadcast (per cell of a map, or per time of a station).
    """
    t = np.asarray(ta, dtype=np.float64) + 273.15
    e = np.asarray(vapour_pressure, dtype=np.float64)
    c = np.clip(np.asarray(cloud, dtype=np.float64), 0.0, 1.0)
    lit = np.asarray(sunlit, dtype=np.float64)
    svf = np.asarray(sky_view, dtype=np.float64)
    rho = np.asarray(albedo, dtype=np.float64)
    up = np.sin(np.radians(np.clip(sky.elevation, 0.0, 90.0)))
    direct = lit * sky.direct_normal
    diffuse = svf * sky.diffuse
    on_ground = direct * up + diffuse
    clear = 1.24 * np.power(np.clip(e, 0.01, None) / t, 1.0 / 7.0)
    black = SIGMA * np.square(np.square(t))  # a map's hours spend most of their time here
    sky_long = (c + (1.0 - c) * clear) * black
    obstacles = EMISSIVITY_GROUND * black
    ground_t = t + np.asarray(ground_heating, dtype=np.float64) * (1.0 - rho) * on_ground
    ground_long = EMISSIVITY_GROUND * SIGMA * np.square(np.square(ground_t))
    above_long = svf * sky_long + (1.0 - svf) * obstacles
    reflected = rho * on_ground
    short = F_VERTICAL * (diffuse + reflected) + 4 * F_LATERAL * 0.5 * (diffuse + reflected)
    long = (
        F_VERTICAL * above_long
        + F_VERTICAL * ground_long
        + 4 * F_LATERAL * 0.5 * (above_long + ground_long)
    )
    absorbed = (
        ABSORBED_SHORT * (short + projected_area_factor(sky.elevation) * direct)
        + EMISSIVITY_PERSON * long
    )
    return np.asarray(np.sqrt(np.sqrt(absorbed / (EMISSIVITY_PERSON * SIGMA))) - 273.15)
