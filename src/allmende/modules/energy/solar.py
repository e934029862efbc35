"""Sun position and irradiance on a building's surfaces (pvlib), and the solar heat gains of
ISO 13790 11.3: through glazing with an angle-dependent g-value, absorbed by opaque elements,
less the long-wave radiation to the sky.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from allmende.modules.energy.weather import WeatherYear

Array = NDArray[np.float64]

#: ISO 13790 11.4.6: external surface resistance, m²K/W.
R_SE = 0.04
#: ISO 13790 11.4.6: external radiative heat transfer coefficient h_r = 5·ε with ε = 0.9.
H_R = 4.5
#: ISO 13790 11.4.6: mean difference between the outside air and the sky temperature, K.
DELTA_SKY = 11.0
GROUND_ALBEDO = 0.2


@dataclass(frozen=True)
class Surface:
    """An envelope element facing the outside: ``azimuth`` in degrees from north (180 = south),
    ``tilt`` from horizontal (90 = a wall). Glazing has a ``g_value`` (total solar energy
    transmittance at normal incidence); opaque elements an ``absorptance``."""

    area: float
    u_value: float
    azimuth: float = 180.0
    tilt: float = 90.0
    g_value: float = 0.0
    absorptance: float = 0.0
    panes: int = 2
    shading: float = 1.0

    @property
    def glazed(self) -> bool:
        return self.g_value > 0


@dataclass(frozen=True)
class SunPath:
    """The sun's position at the middle of each hour of a weather year (degrees)."""

    zenith: Array
    azimuth: Array
    dni_extra: Array
    airmass: Array


def sun_path(weather: WeatherYear) -> SunPath:
    import pandas as pd

    start = pd.Timestamp("2019-01-01", tz="UTC") - pd.Timedelta(hours=weather.utc_offset)
    times = start + pd.to_timedelta(weather.hour_mid, unit="h")
    return sun_at(
        times,
        latitude=weather.latitude,
        longitude=weather.longitude,
        altitude=weather.elevation,
        temperature=float(np.mean(weather.t_air)),
    )


def sun_at(
    times: Any,
    *,
    latitude: float,
    longitude: float,
    altitude: float = 0.0,
    temperature: float = 12.0,
) -> SunPath:
    """The sun's position at ``times`` (a pandas DatetimeIndex in UTC)."""
    import pvlib

    position = pvlib.solarposition.get_solarposition(
        times, latitude, longitude, altitude=altitude, temperature=temperature
    )
    zenith = position["apparent_zenith"].to_numpy(dtype=float)
    airmass = pvlib.atmosphere.get_relative_airmass(zenith)
    return SunPath(
        zenith=zenith,
        azimuth=position["azimuth"].to_numpy(dtype=float),
        dni_extra=np.asarray(pvlib.irradiance.get_extra_radiation(times), dtype=float),
        airmass=np.nan_to_num(np.asarray(airmass, dtype=float), nan=0.0),
    )


@dataclass(frozen=True)
class Irradiance:
    """Global horizontal, direct normal and diffuse horizontal irradiance, W/m²."""

    ghi: Array
    dni: Array
    dhi: Array


def from_global(ghi: Array, sun: SunPath, times: Any) -> Irradiance:
    """Split measured or forecast global horizontal irradiance into beam and diffuse with
    Erbs' correlation (pvlib), as a weather station measures only the global value."""
    import pvlib

    global_ = np.clip(np.nan_to_num(np.asarray(ghi, dtype=float)), 0, None)
    parts = pvlib.irradiance.erbs(global_, sun.zenith, times)
    return Irradiance(
        ghi=global_,
        dni=np.nan_to_num(np.asarray(parts["dni"], dtype=float)),
        dhi=np.nan_to_num(np.asarray(parts["dhi"], dtype=float)),
    )


def incident(
    light: Irradiance, sun: SunPath, surface: Surface
) -> tuple[Array, Array, Array, Array]:
    """Beam, sky-diffuse (Perez) and ground-reflected irradiance on ``surface`` in W/m², and the
    beam's angle of incidence in degrees."""
    import pvlib

    parts = pvlib.irradiance.get_total_irradiance(
        surface.tilt,
        surface.azimuth,
        sun.zenith,
        sun.azimuth,
        light.dni,
        light.ghi,
        light.dhi,
        dni_extra=sun.dni_extra,
        airmass=sun.airmass,
        albedo=GROUND_ALBEDO,
        model="perez",
    )
    aoi = pvlib.irradiance.aoi(surface.tilt, surface.azimuth, sun.zenith, sun.azimuth)
    beam = np.nan_to_num(np.asarray(parts["poa_direct"], dtype=float))
    sky = np.nan_to_num(np.asarray(parts["poa_sky_diffuse"], dtype=float))
    ground = np.nan_to_num(np.asarray(parts["poa_ground_diffuse"], dtype=float))
    return beam, sky, ground, np.asarray(aoi, dtype=float)


def _glazing_modifier(surface: Surface, aoi: Array) -> tuple[Array, float, float]:
    """Angle modifiers for beam, sky and ground light: Fresnel reflection and absorption per
    pane (pvlib's physical model for glass of n = 1.526), raised to the number of panes."""
    import pvlib

    beam = np.asarray(pvlib.iam.physical(aoi), dtype=float) ** surface.panes
    sky, ground = _diffuse_modifiers(surface.tilt)
    return np.nan_to_num(beam), sky**surface.panes, ground**surface.panes


@functools.cache
def _diffuse_modifiers(tilt: float) -> tuple[float, float]:
    """One pane's modifiers for sky and ground light at ``tilt``: a numerical integral over
    the hemisphere that depends on the tilt alone, so it is computed once per tilt."""
    import pvlib

    diffuse = pvlib.iam.marion_diffuse("physical", surface_tilt=tilt)
    return float(diffuse["sky"]), float(diffuse["ground"])


def solar_gains(weather: WeatherYear, surfaces: list[Surface], sun: SunPath | None = None) -> Array:
    """Hourly solar heat gains of a zone in W over a weather year (see :func:`gains`)."""
    light = Irradiance(ghi=weather.ghi, dni=weather.dni, dhi=weather.dhi)
    return gains(light, sun or sun_path(weather), surfaces)


def gains(light: Irradiance, sun: SunPath, surfaces: list[Surface]) -> Array:
    """Solar heat gains of a zone in W (ISO 13790 11.3.2): transmitted through glazing,
    absorbed by opaque elements (α·R_se·U·A·I), less the long-wave radiation to the sky
    (F_r·R_se·U·A·h_r·Δθ_er with F_r = 1 for a roof and 0.5 for a wall)."""
    total = np.zeros(len(light.ghi))
    for surface in surfaces:
        beam, sky, ground, aoi = incident(light, sun, surface)
        if surface.glazed:
            m_beam, m_sky, m_ground = _glazing_modifier(surface, aoi)
            total += (
                surface.shading
                * surface.g_value
                * surface.area
                * (beam * m_beam + sky * m_sky + ground * m_ground)
            )
        elif surface.absorptance > 0:
            total += (
                surface.absorptance * R_SE * surface.u_value * surface.area * (beam + sky + ground)
            )
        view_to_sky = (1.0 + np.cos(np.radians(surface.tilt))) / 2.0
        total -= view_to_sky * R_SE * surface.u_value * surface.area * H_R * DELTA_SKY
    return total


def windows(
    area: float, u_value: float, *, shares: dict[float, float] | None = None
) -> list[Surface]:
    """A zone's windows as vertical surfaces (double glazing, g = 0.6, frame and shading
    factor 0.7), spread over the facades by ``shares`` (azimuth → share of the area); evenly
    over the four orientations where the register does not say."""
    spread = shares or {180.0: 0.25, 90.0: 0.25, 270.0: 0.25, 0.0: 0.25}
    return [
        Surface(area * share, u_value, azimuth=azimuth, g_value=0.6, shading=0.7)
        for azimuth, share in spread.items()
    ]
