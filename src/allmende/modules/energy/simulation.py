"""Closed-loop simulation of a building under a scheduled thermostat or under the predictive
controller, on 15-minute steps of a real weather year, with the BOPTEST KPIs of each.

The comparison is on equal terms: one building model (its 5R1C zone and its heat pump, whose
COP follows the outside air and the supply temperature the load needs), one comfort band
and one discomfort metric for both. The thermostat is a realistic scheduled one: it holds the
band's lower edge while occupied, from a fixed start before occupancy, and the setback
otherwise, with the plant's capacity (ISO 13790 C.4.2). The predictive controller keeps the
same band, sees perfect forecasts of weather, gains and prices (the upper bound of what
forecasting allows; documented in docs/energy.md), re-plans every hour over the next 24 hours,
and its first hour is applied to the same model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from allmende.modules.energy import kpi, mpc, rc, solar, tariff
from allmende.modules.energy.weather import WeatherYear

Array = NDArray[np.float64]
STEP = 900.0
STEPS_PER_HOUR = 4


#: The occupied comfort band, °C: DIN EN 16798-1 category II for the heating season (about
#: 1.0 clo, sedentary; offices and classrooms), the range EN ISO 7730 gives for its
#: category B (22 ± 2 °C).
OCCUPIED_BAND = (20.0, 24.0)
#: The upper edge while the building is empty, °C (BOPTEST's unoccupied band).
EMPTY_HIGH = 30.0


@dataclass(frozen=True)
class Schedule:
    """Weekly occupancy in local time: weekdays ``start``–``end`` hours.

    The comfort band both controllers are judged on: ``occupied_band`` while occupied, from
    the ``setback`` up to 30 °C while empty. The thermostat holds the band's lower edges: the
    occupied one from a fixed start ``preheat_hours`` before occupancy, the setback otherwise.
    """

    start: float
    end: float
    occupied_band: tuple[float, float] = OCCUPIED_BAND
    setback: float = 16.0
    preheat_hours: float = 2.0
    gains_occupied: float = 10.0  # W per m² of floor
    gains_empty: float = 1.5

    def occupied(self, hour_of_year: Array) -> NDArray[np.bool_]:
        day = np.floor(hour_of_year / 24.0)
        hod = hour_of_year - 24.0 * day
        weekday = (day % 7) < 5
        return weekday & (hod >= self.start) & (hod < self.end)

    def band(self, hour_of_year: Array) -> tuple[Array, Array]:
        occ = self.occupied(hour_of_year)
        low = np.where(occ, self.occupied_band[0], self.setback)
        high = np.where(occ, self.occupied_band[1], EMPTY_HIGH)
        return low.astype(float), high.astype(float)

    def thermostat(self, hour_of_year: Array) -> Array:
        early = self.occupied(hour_of_year + self.preheat_hours)
        on = self.occupied(hour_of_year) | early
        return np.where(on, self.occupied_band[0], self.setback).astype(float)


@dataclass(frozen=True)
class Building:
    name: str
    floor_area: float
    zone: rc.Zone
    plant: mpc.Plant
    schedule: Schedule
    surfaces: list[solar.Surface]
    base_load_w_per_m2: float = 3.0


def reference_school() -> Building:
    """A two-storey primary school of 2 000 m² (1970s, windows and roof renovated), heated by
    an air-source heat pump through radiators."""
    return _reference(
        "Grundschule (Referenz)",
        floor_area=2000.0,
        storey_height=3.4,
        storeys=2,
        window_fraction=0.25,
        u_window=1.3,
        u_opaque=0.45,
        air_changes=0.7,
        capacity=260_000.0,
        schedule=Schedule(start=7.5, end=16.0, gains_occupied=12.0),
    )


def reference_town_hall() -> Building:
    """A three-storey town hall of 1 500 m² (1990s), offices 07:00–18:00, heat pump."""
    return _reference(
        "Rathaus (Referenz)",
        floor_area=1500.0,
        storey_height=3.1,
        storeys=3,
        window_fraction=0.22,
        u_window=1.4,
        u_opaque=0.40,
        air_changes=0.5,
        capacity=165_000.0,
        schedule=Schedule(start=7.0, end=18.0, gains_occupied=9.0),
    )


def _reference(
    name: str,
    *,
    floor_area: float,
    storey_height: float,
    storeys: int,
    window_fraction: float,
    u_window: float,
    u_opaque: float,
    air_changes: float,
    capacity: float,
    schedule: Schedule,
) -> Building:
    footprint = floor_area / storeys
    depth = np.sqrt(footprint / 2.0)
    length = 2.0 * depth
    wall = 2 * (length + depth) * storey_height * storeys
    windows = window_fraction * floor_area
    opaque = wall - windows + footprint + 0.5 * footprint  # walls, roof, half-weighted ground
    zone = rc.Zone.from_building(
        floor_area=floor_area,
        volume=floor_area * storey_height,
        window_area=windows,
        opaque_area=opaque,
        u_window=u_window,
        u_opaque=u_opaque,
        air_changes=air_changes,
        heat_capacity_per_floor_area=capacity,
        mass_area_factor=3.0 if capacity >= 260_000 else 2.5,
    )
    design_kw = zone.heat_loss_coefficient * (20.0 + 12.0) / 1000.0
    plant = mpc.Plant(heating_kw=round(1.3 * design_kw, 0), heating_carrier="electricity")
    surfaces = solar.windows(
        windows, u_window, shares={180.0: 0.4, 90.0: 0.2, 270.0: 0.2, 0.0: 0.2}
    )
    return Building(name, floor_area, zone, plant, schedule, surfaces)


@dataclass
class Inputs:
    """The 15-minute inputs of a building over a weather year."""

    hour: Array
    t_out: Array
    solar_gains: Array
    internal_gains: Array
    base_load_kw: Array
    price: Array
    co2: Array
    low: Array
    high: Array
    thermostat: Array


def inputs(building: Building, site: WeatherYear, *, seed: int = 2024) -> Inputs:
    hourly_solar = solar.solar_gains(site, building.surfaces)
    hour = np.arange(len(site.t_air) * STEPS_PER_HOUR) / STEPS_PER_HOUR
    mid = site.hour_mid
    t_out = np.interp(hour + 0.125, mid, site.t_air)
    gains_sol = np.interp(hour + 0.125, mid, hourly_solar)
    occupied = building.schedule.occupied(hour)
    internal = building.floor_area * np.where(
        occupied, building.schedule.gains_occupied, building.schedule.gains_empty
    )
    base = building.floor_area * building.base_load_w_per_m2 / 1000.0 * np.where(occupied, 2, 0.6)
    low, high = building.schedule.band(hour)
    whole = np.floor(hour)
    return Inputs(
        hour=hour,
        t_out=t_out,
        solar_gains=gains_sol,
        internal_gains=internal,
        base_load_kw=base,
        price=tariff.retail_price(whole, seed=seed),
        co2=tariff.grid_co2(whole, seed=seed),
        low=low,
        high=high,
        thermostat=building.schedule.thermostat(hour),
    )


#: The heating season of the savings comparison: 1 October (day 273 of a non-leap year) to
#: 30 April, 212 days.
SEASON_START_DAY, SEASON_DAYS = 273, 212


def season(x: Inputs) -> tuple[Inputs, slice]:
    """The inputs of the year followed by the same year again (the season runs across the new
    year), and the 15-minute steps of the heating season in them."""
    steps = len(x.hour)
    joined = {k: np.concatenate([v, v]) for k, v in vars(x).items()}
    joined["hour"] = np.concatenate([x.hour, x.hour + steps / STEPS_PER_HOUR])
    start = SEASON_START_DAY * 24 * STEPS_PER_HOUR
    return Inputs(**joined), slice(start, start + SEASON_DAYS * 24 * STEPS_PER_HOUR)


@dataclass
class Run:
    t_air: Array
    heating_kw: Array
    electricity_kw: Array
    kpis: kpi.KPIs
    cost: float
    discomfort_kh: float
    solves: int = 0
    infeasible: int = 0
    solve_seconds: list[float] = field(default_factory=list)


def _result(
    building: Building,
    x: Inputs,
    sl: slice,
    t_air: Array,
    heat_kw: Array,
    seconds: float,
    steps: int,
) -> Run:
    electricity = building.plant.electricity(heat_kw, x.t_out[sl])
    kpis = kpi.compute(
        floor_area=building.floor_area,
        step_hours=STEP / 3600.0,
        zone_temperatures=[t_air],
        lows=[x.low[sl]],
        highs=[x.high[sl]],
        electricity_kw=electricity,
        price=x.price[sl],
        co2=x.co2[sl],
        compute_seconds=seconds,
        control_steps=steps,
    )
    return Run(
        t_air=t_air,
        heating_kw=heat_kw,
        electricity_kw=electricity,
        kpis=kpis,
        cost=float(np.sum(electricity * x.price[sl]) * STEP / 3600.0),
        discomfort_kh=kpis.tdis_tot,
    )


def run_thermostat(building: Building, x: Inputs, *, start: int, steps: int, t_m0: float) -> Run:
    sl = slice(start, start + steps)
    result = rc.simulate(
        building.zone,
        t_out=x.t_out[sl],
        internal_gains=x.internal_gains[sl],
        solar_gains=x.solar_gains[sl],
        t_set_heating=x.thermostat[sl],
        t_set_cooling=np.inf,
        max_heating=building.plant.heating_kw * 1000.0,
        max_cooling=building.plant.cooling_kw * 1000.0,
        t_m0=t_m0,
        step_seconds=STEP,
    )
    return _result(building, x, sl, result.t_air, np.clip(result.phi_hc, 0, None) / 1000.0, 0.0, 1)


def run_mpc(
    building: Building,
    x: Inputs,
    *,
    start: int,
    steps: int,
    t_m0: float,
    horizon: int = 96,
    replan_every: int = STEPS_PER_HOUR,
) -> Run:
    """Receding horizon: plan ``horizon`` steps, apply ``replan_every`` of them, repeat."""
    a, b, c, _ = rc.state_space(building.zone, step_seconds=STEP)
    t_m = t_m0
    heat = np.zeros(steps)
    t_air = np.zeros(steps)
    solves = infeasible = 0
    seconds: list[float] = []
    k = 0
    while k < steps:
        at = start + k
        window = slice(at, at + horizon)
        forecast = mpc.Forecast(
            t_out=x.t_out[window],
            internal_gains=x.internal_gains[window],
            solar_gains=x.solar_gains[window],
            low=x.low[window],
            high=x.high[window],
            price=x.price[window],
            co2=x.co2[window],
            base_load=x.base_load_kw[window],
            pv=np.zeros(len(x.t_out[window])),
        )
        tick = time.perf_counter()
        planned = mpc.plan(building.zone, building.plant, forecast, t_m0=t_m)
        seconds.append(time.perf_counter() - tick)
        solves += 1
        apply = min(replan_every, steps - k)
        if planned.feasible:
            power = planned.heating_kw[:apply]
        else:
            # Fall back to the schedule: the thermostat's control for these steps.
            infeasible += 1
            fallback = rc.simulate(
                building.zone,
                t_out=x.t_out[at : at + apply],
                internal_gains=x.internal_gains[at : at + apply],
                solar_gains=x.solar_gains[at : at + apply],
                t_set_heating=x.thermostat[at : at + apply],
                t_set_cooling=np.inf,
                max_heating=building.plant.heating_kw * 1000.0,
                t_m0=t_m,
                step_seconds=STEP,
            )
            power = np.clip(fallback.phi_hc, 0, None) / 1000.0
        for j in range(apply):
            i = at + j
            u = np.array(
                [x.t_out[i], x.t_out[i], x.internal_gains[i], x.solar_gains[i], power[j] * 1000]
            )
            t_air[k + j] = c[0] * t_m + c[1:] @ u
            heat[k + j] = power[j]
            t_m = a * t_m + b @ u
        k += apply
    run = _result(
        building, x, slice(start, start + steps), t_air, heat, float(np.sum(seconds)), solves
    )
    run.solves, run.infeasible, run.solve_seconds = solves, infeasible, seconds
    return run


def warm_state(building: Building, x: Inputs, *, start: int, days: int = 7) -> float:
    """The mass temperature at ``start`` after ``days`` under the thermostat."""
    begin = max(start - days * 96, 0)
    result = rc.simulate(
        building.zone,
        t_out=x.t_out[begin:start],
        internal_gains=x.internal_gains[begin:start],
        solar_gains=x.solar_gains[begin:start],
        t_set_heating=x.thermostat[begin:start],
        t_set_cooling=np.inf,
        max_heating=building.plant.heating_kw * 1000.0,
        t_m0=18.0,
        step_seconds=STEP,
    )
    return float(result.t_m_end[-1]) if start > begin else 18.0
