"""FAO-56 Penman-Monteith reference evapotranspiration (short grass, ET0), daily and hourly.

Allen, Pereira, Raes, Smith (1998): *Crop evapotranspiration*, FAO Irrigation and Drainage
Paper 56, chapters 2-4; equation numbers below are that paper's. Pure numpy: every input is a
scalar or an array, all broadcast together, NaN meaning "not measured".

Where a value is missing, FAO-56's own fallbacks fill it and the per-value ``flags`` say so:

* solar radiation from the sunshine duration (Angström, eq. 35) when given, else from the
  temperature range (Hargreaves' radiation formula, eq. 50, ``krs`` 0.16 inland, 0.19 coastal);
* actual vapour pressure from the dew point, else from RHmax and RHmin (eq. 17), RHmax alone
  (eq. 18), mean RH (eq. 19), else from the minimum temperature (Tdew ≈ Tmin, eq. 48);
* wind speed 2 m/s (FAO-56 chapter 3, "missing wind speed data").

The net long-wave term limits Rs/Rso to 0.3…1.0 as the ASCE-EWRI (2005) standardised equation
does (FAO-56 states only the upper bound); negative daily values are reported as 0 (dew is not
a water supply in the balance). Both match ``pyet.pm_fao56``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

#: Bits of ``flags``: which inputs of a value were estimated.
RADIATION_FROM_SUNSHINE = 1
RADIATION_FROM_TEMPERATURE = 2
HUMIDITY_FROM_TMIN = 4
WIND_DEFAULT = 8

FLAG_NAMES = {
    RADIATION_FROM_SUNSHINE: "radiation from sunshine hours (FAO-56 eq. 35)",
    RADIATION_FROM_TEMPERATURE: "radiation from the temperature range (FAO-56 eq. 50)",
    HUMIDITY_FROM_TMIN: "vapour pressure from the minimum temperature (FAO-56 eq. 48)",
    WIND_DEFAULT: "wind speed 2 m/s (FAO-56 default)",
}

SOLAR_CONSTANT = 0.0820  # MJ m-2 min-1
SIGMA_DAY = 4.903e-9  # Stefan-Boltzmann, MJ K-4 m-2 day-1
SIGMA_HOUR = SIGMA_DAY / 24
ALBEDO = 0.23
DEFAULT_WIND = 2.0


@dataclass(frozen=True)
class ET0:
    """Reference evapotranspiration (mm per day or per hour) with the flags of each value."""

    values: Array
    flags: NDArray[np.uint8]

    def flag_names(self, index: int | tuple[int, ...]) -> list[str]:
        bits = int(self.flags[index])
        return [name for bit, name in FLAG_NAMES.items() if bits & bit]


def _array(value: ArrayLike | None) -> Array | None:
    return None if value is None else np.asarray(value, dtype=np.float64)


def saturation_vapour_pressure(t: ArrayLike) -> Array:
    """e°(T) in kPa (eq. 11)."""
    t = np.asarray(t, dtype=np.float64)
    return np.asarray(0.6108 * np.exp(17.27 * t / (t + 237.3)))


def pressure_from_elevation(elevation: ArrayLike) -> Array:
    """Atmospheric pressure in kPa (eq. 7)."""
    return np.asarray(101.3 * ((293.0 - 0.0065 * np.asarray(elevation, float)) / 293.0) ** 5.26)


def wind_at_2m(speed: ArrayLike, height: float) -> Array:
    """Wind speed measured at ``height`` metres converted to 2 m (eq. 47)."""
    return np.asarray(np.asarray(speed, dtype=np.float64) * (4.87 / np.log(67.8 * height - 5.42)))


def _declination(doy: Array) -> Array:
    return np.asarray(0.409 * np.sin(2 * np.pi / 365 * doy - 1.39))  # eq. 24


def _inverse_distance(doy: Array) -> Array:
    return np.asarray(1 + 0.033 * np.cos(2 * np.pi / 365 * doy))  # eq. 23


def extraterrestrial_daily(latitude_deg: ArrayLike, day_of_year: ArrayLike) -> tuple[Array, Array]:
    """Ra in MJ m-2 day-1 (eq. 21) and the daylight hours N (eq. 34)."""
    phi = np.radians(np.asarray(latitude_deg, dtype=np.float64))
    doy = np.asarray(day_of_year, dtype=np.float64)
    delta = _declination(doy)
    omega_s = np.arccos(np.clip(-np.tan(phi) * np.tan(delta), -1.0, 1.0))  # eq. 25
    ra = (
        24
        * 60
        / np.pi
        * SOLAR_CONSTANT
        * _inverse_distance(doy)
        * (omega_s * np.sin(phi) * np.sin(delta) + np.cos(phi) * np.cos(delta) * np.sin(omega_s))
    )
    return np.asarray(np.maximum(ra, 0.0)), np.asarray(24 / np.pi * omega_s)


def _daily_ra(latitude: Array, doy: Array) -> tuple[Array, Array]:
    """Ra and N, from a 366-day table when the latitude is one number (most calls)."""
    if latitude.ndim == 0 and doy.size > 366:
        table_ra, table_n = extraterrestrial_daily(latitude, np.arange(367, dtype=np.float64))
        index = np.clip(doy.astype(np.int64), 0, 366)
        return table_ra[index], table_n[index]
    return extraterrestrial_daily(latitude, doy)


def _vapour_pressure(
    *,
    shape: tuple[int, ...],
    e_tmax: Array,
    e_tmin: Array,
    e_mean: Array,
    ea: Array | None,
    tdew: Array | None,
    rh_max: Array | None,
    rh_min: Array | None,
    rh_mean: Array | None,
) -> tuple[Array, NDArray[np.bool_]]:
    """Actual vapour pressure by FAO-56's order of preference; True where it fell back to Tmin."""
    result = np.full(shape, np.nan)

    def fill(candidate: Array) -> None:
        gap = np.isnan(result)
        if gap.any():
            np.copyto(result, np.broadcast_to(candidate, shape), where=gap)

    if ea is not None:
        fill(ea)
    if tdew is not None:
        fill(saturation_vapour_pressure(tdew))
    if rh_max is not None and rh_min is not None:
        fill(e_tmin * rh_max / 200 + e_tmax * rh_min / 200)  # eq. 17
    if rh_max is not None:
        fill(e_tmin * rh_max / 100)  # eq. 18
    if rh_mean is not None:
        fill(e_mean * rh_mean / 100)  # eq. 19
    fallback = np.isnan(result)
    if fallback.any():
        np.copyto(result, np.broadcast_to(e_tmin, shape), where=fallback)  # eq. 48
    return result, fallback


def et0_daily(
    *,
    tmax: ArrayLike,
    tmin: ArrayLike,
    latitude: ArrayLike,
    elevation: ArrayLike,
    day_of_year: ArrayLike,
    rs: ArrayLike | None = None,
    sunshine_hours: ArrayLike | None = None,
    wind_2m: ArrayLike | None = None,
    ea: ArrayLike | None = None,
    tdew: ArrayLike | None = None,
    rh_max: ArrayLike | None = None,
    rh_min: ArrayLike | None = None,
    rh_mean: ArrayLike | None = None,
    pressure: ArrayLike | None = None,
    tmean: ArrayLike | None = None,
    soil_heat: ArrayLike = 0.0,
    krs: float = 0.16,
    clip_negative: bool = True,
) -> ET0:
    """Daily ET0 in mm/day (eq. 6).

    Temperatures in °C, ``rs`` in MJ m-2 day-1, ``wind_2m`` in m/s at 2 m (see
    :func:`wind_at_2m`), humidity in %, ``ea`` in kPa, ``pressure`` in kPa (else from the
    elevation in m), latitude in degrees north, ``soil_heat`` G in MJ m-2 day-1 (0 for days).
    ``tmean`` defaults to (Tmax + Tmin) / 2 as FAO-56 prescribes.
    """
    t_max = np.asarray(tmax, dtype=np.float64)
    t_min = np.asarray(tmin, dtype=np.float64)
    lat = np.asarray(latitude, dtype=np.float64)
    doy = np.asarray(day_of_year, dtype=np.float64)
    z = np.asarray(elevation, dtype=np.float64)
    u2, radiation = _array(wind_2m), _array(rs)
    shape = np.broadcast_shapes(
        t_max.shape, t_min.shape, lat.shape, doy.shape, z.shape,
        *(np.shape(v) for v in (rs, sunshine_hours, wind_2m, ea, tdew, rh_max, rh_min, rh_mean,
                                 pressure, tmean) if v is not None),
    )  # fmt: skip
    flags = np.zeros(shape, dtype=np.uint8)
    t_mean = (t_max + t_min) / 2 if tmean is None else np.asarray(tmean, dtype=np.float64)

    p = pressure_from_elevation(z) if pressure is None else np.asarray(pressure, dtype=np.float64)
    if pressure is not None and np.isnan(p).any():
        p = np.where(np.isnan(p), pressure_from_elevation(z), p)
    gamma = 0.665e-3 * p  # eq. 8
    e_tmax = saturation_vapour_pressure(t_max)
    e_tmin = saturation_vapour_pressure(t_min)
    es = (e_tmax + e_tmin) / 2  # eq. 12
    e_tmean = saturation_vapour_pressure(t_mean)
    delta = 4098 * e_tmean / (t_mean + 237.3) ** 2  # eq. 13
    vapour, from_tmin = _vapour_pressure(
        shape=shape, e_tmax=e_tmax, e_tmin=e_tmin, e_mean=es, ea=_array(ea), tdew=_array(tdew),
        rh_max=_array(rh_max), rh_min=_array(rh_min), rh_mean=_array(rh_mean),
    )  # fmt: skip
    flags[from_tmin] |= HUMIDITY_FROM_TMIN

    ra, daylight = _daily_ra(lat, doy)
    rso = (0.75 + 2e-5 * z) * ra  # eq. 37
    solar = np.broadcast_to(np.nan if radiation is None else radiation, shape).copy()
    gap = np.isnan(solar)
    if gap.any() and sunshine_hours is not None:
        n = np.broadcast_to(np.asarray(sunshine_hours, dtype=np.float64), shape)
        angstrom = np.broadcast_to((0.25 + 0.5 * n / np.maximum(daylight, 1e-9)) * ra, shape)
        use = gap & ~np.isnan(n)
        solar[use] = angstrom[use]
        flags[use] |= RADIATION_FROM_SUNSHINE
        gap &= ~use
    if gap.any():
        span = np.sqrt(np.maximum(t_max - t_min, 0.0))
        hargreaves = np.broadcast_to(np.minimum(krs * span * ra, rso), shape)
        solar[gap] = hargreaves[gap]
        flags[gap] |= RADIATION_FROM_TEMPERATURE

    ratio = np.clip(solar / np.where(rso > 0, rso, 0.001), 0.3, 1.0)
    long_wave = (
        SIGMA_DAY * ((t_max + 273.16) ** 4 + (t_min + 273.16) ** 4) / 2
        * (0.34 - 0.14 * np.sqrt(vapour)) * (1.35 * ratio - 0.35)
    )  # eq. 39  # fmt: skip
    net = (1 - ALBEDO) * solar - long_wave  # eq. 38, 40

    if u2 is None:
        wind = np.full(shape, DEFAULT_WIND)
        flags |= WIND_DEFAULT
    else:
        wind = np.broadcast_to(u2, shape)
        missing_wind = np.isnan(wind)
        if missing_wind.any():
            wind = np.where(missing_wind, DEFAULT_WIND, wind)
            flags[missing_wind] |= WIND_DEFAULT

    numerator = 0.408 * delta * (net - np.asarray(soil_heat, dtype=np.float64)) + gamma * (
        900 / (t_mean + 273)
    ) * wind * (es - vapour)
    values = numerator / (delta + gamma * (1 + 0.34 * wind))
    if clip_negative:
        values = np.maximum(values, 0.0)
    return ET0(np.asarray(values, dtype=np.float64), flags)


# --- hourly ----------------------------------------------------------------------------------


def extraterrestrial_hourly(
    latitude_deg: ArrayLike, longitude_deg: ArrayLike, start_utc: NDArray[np.datetime64]
) -> tuple[Array, Array, Array]:
    """Ra in MJ m-2 per hour for hours beginning at ``start_utc`` (eq. 28-33), the sun's
    elevation angle at the middle of each hour (rad) and the day of year.

    ``longitude_deg`` is east-positive; with times in UTC the time-zone meridian Lz is 0.
    """
    start = np.asarray(start_utc, dtype="datetime64[s]")
    day = start.astype("datetime64[D]")
    doy = (day - day.astype("datetime64[Y]")).astype(np.int64).astype(np.float64) + 1
    hour = (start - day).astype(np.int64) / 3600.0 + 0.5
    phi = np.radians(np.asarray(latitude_deg, dtype=np.float64))
    delta = _declination(doy)
    b = 2 * np.pi * (doy - 81) / 364  # eq. 33
    seasonal = 0.1645 * np.sin(2 * b) - 0.1255 * np.cos(b) - 0.025 * np.sin(b)  # eq. 32
    omega = np.pi / 12 * ((hour + np.asarray(longitude_deg, float) / 15 + seasonal) - 12)  # eq. 31
    omega_s = np.arccos(np.clip(-np.tan(phi) * np.tan(delta), -1.0, 1.0))
    omega_1 = np.clip(omega - np.pi / 24, -omega_s, omega_s)  # eq. 29, 30
    omega_2 = np.clip(omega + np.pi / 24, -omega_s, omega_s)
    ra = (
        12 * 60 / np.pi * SOLAR_CONSTANT * _inverse_distance(doy)
        * ((omega_2 - omega_1) * np.sin(phi) * np.sin(delta)
           + np.cos(phi) * np.cos(delta) * (np.sin(omega_2) - np.sin(omega_1)))
    )  # eq. 28  # fmt: skip
    elevation = np.arcsin(
        np.clip(np.sin(phi) * np.sin(delta) + np.cos(phi) * np.cos(delta) * np.cos(omega), -1, 1)
    )
    return np.asarray(np.maximum(ra, 0.0)), np.asarray(elevation), doy


def _carry_forward(values: Array, valid: NDArray[np.bool_], initial: float) -> Array:
    """Along the last axis, each invalid entry takes the last valid one before it."""
    index = np.where(valid, np.arange(values.shape[-1]), -1)
    np.maximum.accumulate(index, axis=-1, out=index)
    taken = np.take_along_axis(values, np.maximum(index, 0), axis=-1)
    return np.where(index >= 0, taken, initial)


def _rolling(values: Array, hours: int, reduce: str) -> Array:
    """Minimum or maximum over the ``hours`` around each hour along the last axis."""
    pad = hours // 2
    padded = np.pad(values, [(0, 0)] * (values.ndim - 1) + [(pad, hours - 1 - pad)], mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, hours, axis=-1)
    return np.asarray(np.nanmin(windows, -1) if reduce == "min" else np.nanmax(windows, -1))


def et0_hourly(
    *,
    temperature: ArrayLike,
    start_utc: NDArray[np.datetime64],
    latitude: float,
    longitude: float,
    elevation: float,
    rh: ArrayLike | None = None,
    rs: ArrayLike | None = None,
    wind_2m: ArrayLike | None = None,
    pressure: ArrayLike | None = None,
    night_ratio: float = 0.8,
    krs: float = 0.16,
) -> ET0:
    """Hourly ET0 in mm/hour (eq. 53) for consecutive hours along the last axis.

    ``rs`` in MJ m-2 per hour. G is 0.1 Rn by day and 0.5 Rn by night (eq. 45, 46). At night
    (sun below 0.3 rad, as ASCE-EWRI) Rs/Rso is the last daytime value, ``night_ratio`` before
    the first one. Missing humidity: ea from the lowest temperature of the surrounding 24 h
    (eq. 48); missing radiation: eq. 50 with the 24-h temperature range on the hourly Ra.
    """
    t = np.asarray(temperature, dtype=np.float64)
    shape = t.shape
    flags = np.zeros(shape, dtype=np.uint8)
    ra, sun, _ = extraterrestrial_hourly(latitude, longitude, start_utc)
    ra, sun = np.broadcast_to(ra, shape), np.broadcast_to(sun, shape)
    rso = (0.75 + 2e-5 * elevation) * ra
    p = pressure_from_elevation(elevation) if pressure is None else np.asarray(pressure, float)
    gamma = 0.665e-3 * p
    e_t = saturation_vapour_pressure(t)
    delta = 4098 * e_t / (t + 237.3) ** 2

    humidity = np.broadcast_to(np.nan if rh is None else np.asarray(rh, float), shape)
    vapour = e_t * humidity / 100
    dry = np.isnan(vapour)
    if dry.any():
        vapour = np.where(dry, saturation_vapour_pressure(_rolling(t, 24, "min")), vapour)
        flags[dry] |= HUMIDITY_FROM_TMIN

    solar = np.broadcast_to(np.nan if rs is None else np.asarray(rs, float), shape).copy()
    dark = np.isnan(solar)
    if dark.any():
        span = np.sqrt(np.maximum(_rolling(t, 24, "max") - _rolling(t, 24, "min"), 0.0))
        solar[dark] = np.minimum(krs * span * ra, rso)[dark]
        flags[dark] |= RADIATION_FROM_TEMPERATURE

    daytime = sun > 0.3
    ratio = np.clip(solar / np.where(rso > 0, rso, 1.0), 0.3, 1.0)
    ratio = _carry_forward(np.where(daytime, ratio, np.nan), daytime, night_ratio)
    long_wave = (
        SIGMA_HOUR * (t + 273.16) ** 4 * (0.34 - 0.14 * np.sqrt(vapour)) * (1.35 * ratio - 0.35)
    )
    net = (1 - ALBEDO) * solar - long_wave
    soil = np.where(ra > 0, 0.1, 0.5) * net

    wind = np.broadcast_to(DEFAULT_WIND if wind_2m is None else np.asarray(wind_2m, float), shape)
    missing_wind = np.isnan(wind)
    if wind_2m is None or missing_wind.any():
        wind = np.where(missing_wind, DEFAULT_WIND, wind)
        flags[missing_wind | (wind_2m is None)] |= WIND_DEFAULT

    numerator = 0.408 * delta * (net - soil) + gamma * 37 / (t + 273) * wind * (e_t - vapour)
    values = numerator / (delta + gamma * (1 + 0.34 * wind))
    return ET0(np.asarray(values, dtype=np.float64), flags)
