"""A season of irrigation on real weather: the controller against a fixed timer, same zones.

Each zone's true root zone follows the FAO-56 bucket (no stress reduction, as the scoring
balance of the SWAT/WaterSense test protocol): water is applied at dawn, then the day's
demand KL · ET0 is drawn and the effective rain (FAO-56: rain below 0.2 ET0 evaporates)
added; water above field capacity drains.

The **controller** (:func:`allmende.modules.water.irrigation.decide`) does not know the
truth. It believes a landscape coefficient 20 % too high, keeps its own balance from the
station's ET0 and the rain it measured, corrects it each morning by the zone's probe (the
true depletion with a standard error of 5 % of TAW, a Kalman update as in the tree balance)
and reads a two-day rain forecast that is the coming rain with a log-normal error (σ 0.5)
and misses one rain day in five.

The **timer** waters on fixed weekdays from 1 April to 30 September for a fixed time,
programmed for the mean demand of the peak month (July) of the same weather.

Scores (WaterSense specification for weather-based irrigation controllers, after the SWAT
protocol; our reading of them):

* irrigation adequacy = 100 · (1 − Σ deficit / Σ ETc), the deficit of a day being the demand
  drawn from below the management-allowed depletion;
* irrigation excess = 100 · Σ surplus / Σ ETc, the surplus being irrigation applied beyond
  what refills the root zone to field capacity at the time it is applied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from allmende.modules.water import irrigation

Array = NDArray[np.float64]

SEASON_START_DOY = 91  # 1 April in a common year
SEASON_END_DOY = 273  # 30 September


@dataclass(frozen=True)
class TrueZone:
    name: str
    area_m2: float
    coefficient: float
    taw_mm: float
    mad: float
    rate_mm_per_h: float
    efficiency: float
    #: Weekdays (0 = Monday) the timer runs.
    timer_days: tuple[int, ...]


ZONES = (
    TrueZone("Lawn, town park", 1200, 0.8, 45.0, 0.5, 12.0, 0.75, (0, 2, 4)),
    TrueZone("Perennial bed, town hall", 150, 0.5, 22.0, 0.5, 8.0, 0.9, (0, 1, 2, 3, 4, 5, 6)),
    TrueZone("Young trees, avenue (drip)", 400, 0.6, 90.0, 0.5, 4.0, 0.9, (1, 4)),
    TrueZone("Sports turf", 7000, 0.9, 22.0, 0.5, 15.0, 0.7, (0, 1, 2, 3, 4, 5, 6)),
)


@dataclass(frozen=True)
class Score:
    water_m3: float
    adequacy: float
    excess: float
    events: int
    skipped_for_rain: int


@dataclass(frozen=True)
class ZoneResult:
    zone: str
    controller: Score
    timer: Score

    @property
    def saving(self) -> float:
        return 1 - self.controller.water_m3 / self.timer.water_m3 if self.timer.water_m3 else 0.0


def _effective(rain: Array, et0: Array) -> Array:
    return np.asarray(np.where(rain > 0.2 * et0, rain, 0.0))


class _Truth:
    """The scoring balance of one zone."""

    def __init__(self, zone: TrueZone) -> None:
        self.zone = zone
        self.depletion = 0.0
        self.demand = self.deficit = self.surplus = self.gross_mm = 0.0
        self.events = 0

    def day(self, gross_mm: float, et0: float, rain_eff: float) -> None:
        z = self.zone
        net = gross_mm * z.efficiency
        if gross_mm > 0:
            self.events += 1
            self.gross_mm += gross_mm
            self.surplus += max(net - self.depletion, 0.0)
            self.depletion = max(self.depletion - net, 0.0)
        start = self.depletion
        etc = z.coefficient * et0
        self.demand += etc
        self.depletion = start + etc - rain_eff
        allowed = z.mad * z.taw_mm
        self.deficit += max(self.depletion - max(allowed, start), 0.0) if etc > 0 else 0.0
        self.depletion = min(max(self.depletion, 0.0), z.taw_mm)

    def score(self, skipped_for_rain: int) -> Score:
        return Score(
            water_m3=self.gross_mm * self.zone.area_m2 / 1000,
            adequacy=100 * (1 - self.deficit / self.demand) if self.demand else 100.0,
            excess=100 * self.surplus / self.demand if self.demand else 0.0,
            events=self.events,
            skipped_for_rain=skipped_for_rain,
        )


def _timer_minutes(zone: TrueZone, et0: Array, day_of_year: Array) -> float:
    july = (day_of_year >= 182) & (day_of_year <= 212)
    weekly_net = zone.coefficient * float(et0[july].mean()) * 7
    per_run = weekly_net / len(zone.timer_days) / zone.efficiency
    return per_run / zone.rate_mm_per_h * 60


def simulate_zone(
    zone: TrueZone,
    *,
    et0: Array,
    rain: Array,
    day_of_year: Array,
    weekday: NDArray[np.int64],
    rng: np.random.Generator,
    model_bias: float = 1.2,
    probe_sigma: float = 0.05,
) -> ZoneResult:
    """One zone over the season: controller and timer on the same weather."""
    season = np.flatnonzero((day_of_year >= SEASON_START_DOY) & (day_of_year <= SEASON_END_DOY))
    rain_eff = _effective(rain, et0)
    forecast = rain * rng.lognormal(0, 0.5, rain.size) * (rng.random(rain.size) >= 0.2)

    timer = _Truth(zone)
    minutes = _timer_minutes(zone, et0, day_of_year)
    for d in season:
        run = minutes if weekday[d] in zone.timer_days else 0.0
        timer.day(run / 60 * zone.rate_mm_per_h, float(et0[d]), float(rain_eff[d]))

    belief = irrigation.Zone(
        area_m2=zone.area_m2,
        coefficient=zone.coefficient * model_bias,
        taw_mm=zone.taw_mm,
        rate_mm_per_h=zone.rate_mm_per_h,
        efficiency=zone.efficiency,
        mad=zone.mad,
    )
    truth = _Truth(zone)
    estimate, variance, skipped = 0.0, 0.0, 0
    for d in season:
        # Morning: the probe reads the true depletion; a Kalman update of the estimate.
        reading = truth.depletion / zone.taw_mm + rng.normal(0, probe_sigma)
        reading = min(max(reading, 0.0), 1.0)
        gain = variance / (variance + probe_sigma**2) if variance > 0 else 0.0
        estimate += gain * (reading * zone.taw_mm - estimate)
        variance *= 1 - gain
        decision = irrigation.decide(
            belief,
            depletion_mm=estimate,
            demand_next_mm=belief.coefficient * float(et0[d - 1]),
            rain_next_mm=float(forecast[d]),
            rain_after_mm=float(forecast[d + 1]) if d + 1 < rain.size else 0.0,
            probe_depletion=reading,
        )
        skipped += decision.reason == irrigation.RAIN_EXPECTED
        gross_mm = decision.minutes / 60 * zone.rate_mm_per_h
        truth.day(gross_mm, float(et0[d]), float(rain_eff[d]))
        # Evening: the controller's own balance from the measured weather.
        etc = belief.coefficient * float(et0[d])
        estimate = min(
            max(estimate - gross_mm * zone.efficiency, 0.0) + etc - rain_eff[d], zone.taw_mm
        )
        estimate = max(estimate, 0.0)
        variance += (0.25 * etc / zone.taw_mm) ** 2  # the model's drift, as a share of TAW
    return ZoneResult(zone.name, truth.score(skipped), timer.score(0))


def simulate(
    *,
    et0: Array,
    rain: Array,
    day_of_year: Array,
    weekday: NDArray[np.int64],
    seed: int = 2026,
    zones: tuple[TrueZone, ...] = ZONES,
) -> list[ZoneResult]:
    return [
        simulate_zone(
            z,
            et0=et0,
            rain=rain,
            day_of_year=day_of_year,
            weekday=weekday,
            rng=np.random.default_rng([seed, i]),
        )
        for i, z in enumerate(zones)
    ]
