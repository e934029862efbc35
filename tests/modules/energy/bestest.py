"""ASHRAE Standard 140 (BESTEST) cases 600 and 900 as 5R1C zones with the weather file of the
standard's 2017/2020 editions: the TMY3 year of Denver International Airport (WMO 725650).

That file ships inside the ``ochre-nrel`` package (BSD-3), which the test setup installs without
its dependencies (its pins would replace numpy): only the weather file is read from it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from allmende.modules.energy import rc, solar, weather
from tests.support.missing import missing

DENVER_TMY3 = "defaults/Weather/USA_CO_Denver.Intl.AP.725650_TMY3.epw"

FLOOR = 8.0 * 6.0
HEIGHT = 2.7
WINDOW = 12.0
WALLS = 2 * (8.0 + 6.0) * HEIGHT - WINDOW


def denver_weather() -> weather.WeatherYear:
    spec = importlib.util.find_spec("ochre")
    if spec is None or not spec.submodule_search_locations:
        missing("the Denver TMY3 weather file comes with ochre-nrel (pip install --no-deps)")
    path = Path(next(iter(spec.submodule_search_locations))) / DENVER_TMY3
    return weather.read_epw(path)


@dataclass(frozen=True)
class Layer:
    """The inner layer of an element up to its insulation (ISO 13786 effective thickness)."""

    area: float
    thickness: float
    density: float
    heat_capacity: float

    @property
    def kappa(self) -> float:
        return self.thickness * self.density * self.heat_capacity


def case_zone(case: int, site: weather.WeatherYear) -> rc.Zone:
    """Case 600 (lightweight) or 900 (heavyweight) with ISO 13790 12.3.1.2's mass area
    A_m = C_m² / Σ A_j·κ_j² and the air's heat capacity at the site's altitude."""
    if case == 600:
        layers = [
            Layer(WALLS, 0.012, 950.0, 840.0),  # plasterboard
            Layer(FLOOR, 0.010, 950.0, 840.0),  # roof plasterboard
            Layer(FLOOR, 0.025, 650.0, 1200.0),  # timber flooring
        ]
        u_wall = 0.514
    else:
        layers = [
            Layer(WALLS, 0.100, 1400.0, 1000.0),  # concrete block
            Layer(FLOOR, 0.010, 950.0, 840.0),  # roof plasterboard
            Layer(FLOOR, 0.080, 1400.0, 1000.0),  # concrete slab
        ]
        u_wall = 0.512
    c_m = sum(layer.area * layer.kappa for layer in layers)
    a_m = c_m**2 / sum(layer.area * layer.kappa**2 for layer in layers)
    h_tr_ms = rc.H_MS * a_m
    h_op = u_wall * WALLS + 0.318 * FLOOR + 0.039 * FLOOR
    pressure_ratio = (1 - 2.25577e-5 * site.elevation) ** 5.2559
    a_t = 2 * FLOOR + WALLS + WINDOW
    return rc.Zone(
        h_ve=rc.RHO_C_AIR * pressure_ratio * FLOOR * HEIGHT * 0.5 / 3600.0,
        h_tr_w=3.0 * WINDOW,
        h_tr_em=1.0 / (1.0 / h_op - 1.0 / h_tr_ms),
        h_tr_is=rc.H_IS * a_t,
        h_tr_ms=h_tr_ms,
        c_m=c_m,
        a_m=a_m,
        a_t=a_t,
        floor_area=FLOOR,
    )


def case_surfaces(case: int) -> list[solar.Surface]:
    u_wall = 0.514 if case == 600 else 0.512
    return [
        solar.Surface(WINDOW, 3.0, azimuth=180.0, g_value=0.789),
        solar.Surface(8.0 * HEIGHT - WINDOW, u_wall, azimuth=180.0, absorptance=0.6),
        solar.Surface(8.0 * HEIGHT, u_wall, azimuth=0.0, absorptance=0.6),
        solar.Surface(6.0 * HEIGHT, u_wall, azimuth=90.0, absorptance=0.6),
        solar.Surface(6.0 * HEIGHT, u_wall, azimuth=270.0, absorptance=0.6),
        solar.Surface(FLOOR, 0.318, tilt=0.0, absorptance=0.6),
    ]


@dataclass(frozen=True)
class Annual:
    heating_mwh: float
    cooling_mwh: float
    peak_heating_kw: float
    peak_cooling_kw: float


def run_case(case: int, site: weather.WeatherYear, sun: solar.SunPath) -> Annual:
    zone = case_zone(case, site)
    gains = solar.solar_gains(site, case_surfaces(case), sun)
    result = rc.simulate(
        zone,
        t_out=site.t_air,
        internal_gains=200.0,
        solar_gains=gains,
        t_set_heating=20.0,
        t_set_cooling=27.0,
        t_m0=20.0,
    )
    # A warm-up year: the standard's results are of a periodic steady state.
    result = rc.simulate(
        zone,
        t_out=site.t_air,
        internal_gains=200.0,
        solar_gains=gains,
        t_set_heating=20.0,
        t_set_cooling=27.0,
        t_m0=float(result.t_m_end[-1]),
    )
    phi = result.phi_hc
    return Annual(
        heating_mwh=float(np.clip(phi, 0, None).sum() / 1e6),
        cooling_mwh=float(-np.clip(phi, None, 0).sum() / 1e6),
        peak_heating_kw=float(phi.max() / 1e3),
        peak_cooling_kw=float(-phi.min() / 1e3),
    )
