"""The 5R1C zone model: the same equations as rcbsim (MIT) on the same inputs, and the annual
loads of ASHRAE Standard 140 cases 600 and 900."""

from __future__ import annotations

import numpy as np
import pytest
from rcbsim import emission_system, supply_system
from rcbsim.building_physics import Zone as ReferenceZone

from allmende.modules.energy import rc, solar
from tests.modules.energy import bestest

pytestmark = pytest.mark.unit


def _inputs(hours: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    h = np.arange(hours)
    t_out = 8 - 10 * np.cos(2 * np.pi * h / 8760) - 5 * np.cos(2 * np.pi * h / 24)
    t_out = t_out + rng.normal(0, 1.5, hours)
    sun = np.clip(np.sin(2 * np.pi * (h % 24 - 6) / 24), 0, None)
    solar_gains = 700 * sun * (1 + 0.5 * np.sin(2 * np.pi * h / 8760))
    internal = np.where((h % 24 >= 8) & (h % 24 < 18), 450.0, 60.0)
    return t_out, solar_gains, internal


def test_same_temperatures_and_loads_as_rcbsim() -> None:
    """A year of hours with heating, cooling, free floating and both capacity limits."""
    reference = ReferenceZone(
        window_area=5.0,
        walls_area=14.0,
        floor_area=35.0,
        room_vol=105.0,
        total_internal_area=142.0,
        u_walls=0.25,
        u_windows=1.1,
        ach_vent=1.5,
        ach_infl=0.5,
        ventilation_efficiency=0.6,
        thermal_capacitance_per_floor_area=165_000,
        t_set_heating=20.0,
        t_set_cooling=26.0,
        max_cooling_energy_per_floor_area=-12.0,
        max_heating_energy_per_floor_area=12.0,
        heating_supply_system=supply_system.DirectHeater,
        cooling_supply_system=supply_system.DirectCooler,
        heating_emission_system=emission_system.AirConditioning,
        cooling_emission_system=emission_system.AirConditioning,
    )
    zone = rc.Zone(
        h_ve=reference.h_ve_adj,
        h_tr_w=reference.h_tr_w,
        h_tr_em=reference.h_tr_em,
        h_tr_is=reference.h_tr_is,
        h_tr_ms=reference.h_tr_ms,
        c_m=reference.c_m,
        a_m=reference.mass_area,
        a_t=reference.A_t,
        floor_area=reference.floor_area,
    )
    t_out, solar_gains, internal = _inputs(8760)
    t_air, load = np.empty(8760), np.empty(8760)
    t_m = 20.0
    for k in range(8760):
        reference.solve_energy(internal[k], solar_gains[k], t_out[k], t_m)
        t_air[k], load[k], t_m = reference.t_air, reference.energy_demand, reference.t_m_next
    ours = rc.simulate(
        zone,
        t_out=t_out,
        internal_gains=internal,
        solar_gains=solar_gains,
        t_set_heating=20.0,
        t_set_cooling=26.0,
        max_heating=12.0 * 35,
        max_cooling=12.0 * 35,
        t_m0=20.0,
    )
    assert (load > 0).sum() > 1000 and (load < 0).sum() > 300  # every regime is exercised
    assert np.abs(ours.t_air - t_air).max() < 0.01
    assert np.abs(ours.phi_hc - load).max() < 0.01


def test_state_space_reproduces_the_simulation() -> None:
    zone = rc.Zone.from_building(
        floor_area=800.0,
        volume=2400.0,
        window_area=120.0,
        opaque_area=900.0,
        u_window=1.3,
        u_opaque=0.35,
        air_changes=0.6,
    )
    t_out, solar_gains, internal = _inputs(96)
    run = rc.simulate(
        zone,
        t_out=t_out,
        internal_gains=internal,
        solar_gains=solar_gains,
        t_set_heating=-np.inf,
        t_set_cooling=np.inf,
        t_m0=18.0,
    )
    a, b, c, _ = rc.state_space(zone, step_seconds=3600.0)
    t_m, t_air = 18.0, np.empty(96)
    for k in range(96):
        u = np.array([t_out[k], t_out[k], internal[k], solar_gains[k], 0.0])
        t_air[k] = c[0] * t_m + c[1:] @ u
        t_m = a * t_m + b @ u
    assert np.abs(t_air - run.t_air).max() < 1e-9


@pytest.fixture(scope="module")
def denver() -> tuple[object, solar.SunPath]:
    site = bestest.denver_weather()
    return site, solar.sun_path(site)


# ASHRAE Standard 140-2011, Informative Annex B8, ranges (min–max) of the example programs'
# results, in MWh and kW. The weather is the TMY3 year of Denver International Airport (WMO
# 725650) that the 2017 and 2020 editions prescribe: the older editions' TMY file ships in no
# package. The 2020 edition's ranges are in docs/energy.md with our deviation from them.
RANGES_140_2011 = {
    600: {"heating": (4.296, 5.709), "cooling": (6.137, 7.278), "peak_heating": (3.437, 4.354)},
    900: {"heating": (1.170, 2.041), "cooling": (2.132, 3.415)},
}


@pytest.mark.parametrize("case", [600, 900])
def test_ashrae_140_annual_loads_inside_the_reference_ranges(denver, case: int) -> None:
    site, sun = denver
    annual = bestest.run_case(case, site, sun)
    bands = RANGES_140_2011[case]
    low, high = bands["heating"]
    assert low <= annual.heating_mwh <= high
    low, high = bands["cooling"]
    assert low <= annual.cooling_mwh <= high
    if "peak_heating" in bands:
        low, high = bands["peak_heating"]
        assert low <= annual.peak_heating_kw <= high
