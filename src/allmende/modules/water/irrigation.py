"""The irrigation controller's decision for one zone and one watering window (pure).

A zone is a green area or a group of trees behind one valve. Its root zone holds ``taw_mm``
of plant-available water; the controller keeps the depletion between field capacity and the
management-allowed depletion (MAD = ``mad`` · TAW) and never waters into rain:

1. a valid probe says the soil is wet (depletion below ``probe_wet``): skip;
2. the depletion expected by the next window (now + tomorrow's demand) stays below MAD: skip,
   the soil holds enough;
3. the rain expected by then keeps it below MAD, or the rain of the next two days refills
   most of the depletion: skip before rain;
4. otherwise water: refill to ``refill`` of field capacity (leaving room for rain) minus the
   rain expected, as ``gross = net / efficiency``, run time ``gross / rate``, at most
   ``max_minutes`` a window.

Every decision carries its reason and the numbers behind it for the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Reason codes of decisions (the staff page shows them translated).
WATER = "water"
SOIL_MOIST = "soil_moist"
RAIN_EXPECTED = "rain_expected"
PROBE_WET = "probe_wet"
FROST = "frost"
VALVE_FAULT = "valve_fault"
NO_DATA = "no_data"

REASONS = (WATER, SOIL_MOIST, RAIN_EXPECTED, PROBE_WET, FROST, VALVE_FAULT, NO_DATA)


@dataclass(frozen=True)
class Zone:
    """What the controller knows of a zone (its belief, which may be wrong)."""

    area_m2: float
    coefficient: float  # landscape coefficient KL
    taw_mm: float  # plant-available water of the root zone
    rate_mm_per_h: float  # application rate of its sprinklers or drip lines
    efficiency: float = 0.8  # share of the applied water that reaches the roots
    mad: float = 0.5
    refill: float = 0.9
    max_minutes: float = 120.0
    probe_wet: float = 0.2
    #: Share of forecast rain the controller counts on (forecasts miss).
    rain_trust: float = 0.7


@dataclass(frozen=True)
class Decision:
    reason: str
    minutes: float = 0.0
    net_mm: float = 0.0
    gross_l: float = 0.0
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def waters(self) -> bool:
        return self.minutes > 0


def decide(
    zone: Zone,
    *,
    depletion_mm: float,
    demand_next_mm: float,
    rain_next_mm: float,
    rain_after_mm: float = 0.0,
    probe_depletion: float | None = None,
    min_temperature: float | None = None,
) -> Decision:
    """Water now or not. ``demand_next_mm`` is KL · ET0 expected until the next window,
    ``rain_next_mm`` and ``rain_after_mm`` the forecast rain of the next and the following day."""
    facts: dict[str, Any] = {
        "depletion_mm": round(depletion_mm, 1),
        "allowed_mm": round(zone.mad * zone.taw_mm, 1),
        "demand_next_mm": round(demand_next_mm, 1),
        "rain_next_mm": round(rain_next_mm, 1),
        "rain_after_mm": round(rain_after_mm, 1),
    }
    if min_temperature is not None:
        facts["min_temperature"] = round(min_temperature, 1)
        if min_temperature < 2.0:
            return Decision(FROST, facts=facts)
    if probe_depletion is not None:
        facts["probe_depletion"] = round(probe_depletion, 2)
        if probe_depletion < zone.probe_wet:
            return Decision(PROBE_WET, facts=facts)
    allowed = zone.mad * zone.taw_mm
    expected_rain = zone.rain_trust * rain_next_mm
    if depletion_mm + demand_next_mm < allowed:
        return Decision(SOIL_MOIST, facts=facts)
    if depletion_mm + demand_next_mm - expected_rain < allowed:
        return Decision(RAIN_EXPECTED, facts=facts)
    target = max(depletion_mm - (1 - zone.refill) * zone.taw_mm, 0.0)
    coming = zone.rain_trust * (rain_next_mm + rain_after_mm)
    if coming >= 0.8 * target:
        return Decision(RAIN_EXPECTED, facts=facts)
    net = max(target - expected_rain, 0.0)
    gross_mm = net / zone.efficiency
    minutes = min(gross_mm / zone.rate_mm_per_h * 60, zone.max_minutes)
    gross_mm = minutes / 60 * zone.rate_mm_per_h
    return Decision(
        WATER,
        minutes=round(minutes, 1),
        net_mm=round(gross_mm * zone.efficiency, 2),
        gross_l=round(gross_mm * zone.area_m2, 1),
        facts=facts,
    )
