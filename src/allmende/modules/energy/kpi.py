"""BOPTEST's core key performance indicators of a building controller.

Definitions as BOPTEST documents them ("Core KPI Specification and Calculation"):

* ``tdis_tot`` — thermal discomfort in Kh/zone: the integral over the test period of the
  deviation (slack) of the zone temperature from the lower and upper set points of the comfort
  range, summed over the zones and divided by their number.
* ``ener_tot`` — HVAC energy total in kWh/m²: the energy use of all energy vectors of the HVAC
  system over the period, per m² of floor area.
* ``cost_tot`` — HVAC energy cost in €/m²: that energy priced at the (possibly dynamic) tariff.
* ``emis_tot`` — HVAC energy emissions in kgCO2e/m²: that energy times its emission factor.
* ``pele_tot``, ``pgas_tot``, ``pdih_tot`` — HVAC peak electrical, gas and district-heating
  demand in kW/m²: the largest 15-minute mean power over the period, per m² of floor area.
* ``time_rat`` — computational time ratio: the controller's mean computation time per control
  step divided by the control step.

(``idis_tot``, indoor air quality discomfort in ppmh/zone, needs a CO2 concentration the 5R1C
model does not have and is left out.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

LABELS = {
    "tdis_tot": ("Thermal discomfort", "Kh/zone"),
    "ener_tot": ("HVAC energy total", "kWh/m²"),
    "cost_tot": ("HVAC energy cost", "€/m²"),
    "emis_tot": ("HVAC energy emissions", "kgCO2e/m²"),
    "pele_tot": ("HVAC peak electrical demand", "kW/m²"),
    "pgas_tot": ("HVAC peak gas demand", "kW/m²"),
    "pdih_tot": ("HVAC peak district heating demand", "kW/m²"),
    "time_rat": ("Computational time ratio", "1"),
}


@dataclass(frozen=True)
class KPIs:
    tdis_tot: float
    ener_tot: float
    cost_tot: float
    emis_tot: float
    pele_tot: float
    pgas_tot: float
    pdih_tot: float
    time_rat: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def discomfort(t_zone: Array, low: Array, high: Array, step_hours: float) -> float:
    """Kh of one zone: ∫ (max(0, low − T) + max(0, T − high)) dt."""
    t = np.asarray(t_zone, dtype=float)
    slack = np.clip(np.asarray(low) - t, 0, None) + np.clip(t - np.asarray(high), 0, None)
    return float(slack.sum() * step_hours)


def compute(
    *,
    floor_area: float,
    step_hours: float,
    zone_temperatures: list[Array],
    lows: list[Array],
    highs: list[Array],
    electricity_kw: Array,
    gas_kw: Array | None = None,
    district_heat_kw: Array | None = None,
    price: Array,
    co2: Array,
    gas_price: float = 0.0,
    gas_co2: float = 0.0,
    district_heat_price: float = 0.0,
    district_heat_co2: float = 0.0,
    compute_seconds: float = 0.0,
    control_steps: int = 1,
    control_step_seconds: float = 900.0,
) -> KPIs:
    """The KPIs of one test period from per-step HVAC powers (kW, step means)."""
    n = len(electricity_kw)
    gas = np.zeros(n) if gas_kw is None else np.asarray(gas_kw, dtype=float)
    heat = np.zeros(n) if district_heat_kw is None else np.asarray(district_heat_kw, dtype=float)
    ele = np.asarray(electricity_kw, dtype=float)
    energy = (ele + gas + heat).sum() * step_hours
    cost = (
        np.sum(ele * np.asarray(price)) + gas.sum() * gas_price + heat.sum() * district_heat_price
    ) * step_hours
    emissions = (
        np.sum(ele * np.asarray(co2)) + gas.sum() * gas_co2 + heat.sum() * district_heat_co2
    ) * step_hours
    per_zone = [
        discomfort(t, lo, hi, step_hours)
        for t, lo, hi in zip(zone_temperatures, lows, highs, strict=True)
    ]

    def peak(power: Array) -> float:
        # The largest 15-minute mean: steps shorter than 15 minutes are averaged first.
        width = max(round(0.25 / step_hours), 1)
        if width > 1 and len(power) >= width:
            power = np.convolve(power, np.ones(width) / width, mode="valid")
        return float(np.max(power, initial=0.0))

    return KPIs(
        tdis_tot=float(np.mean(per_zone)) if per_zone else 0.0,
        ener_tot=float(energy / floor_area),
        cost_tot=float(cost / floor_area),
        emis_tot=float(emissions / floor_area),
        pele_tot=peak(ele) / floor_area,
        pgas_tot=peak(gas) / floor_area,
        pdih_tot=peak(heat) / floor_area,
        time_rat=float(compute_seconds / max(control_steps, 1) / control_step_seconds),
    )
