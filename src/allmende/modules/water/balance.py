"""The daily soil-water bucket of trees and green areas (FAO-56 chapter 8), vectorised over
all of them at once.

Each plant (a street tree, a lawn, a shrub bed) has a root zone holding ``taw`` litres of
plant-available water between field capacity and wilting point. The state is the root-zone
depletion Dr in litres (0 = field capacity). Each day (FAO-56 eq. 85, in litres):

    Dr = Dr_prev − rain_eff − watering + ETa,      ETa = Ks · KL · ET0 · area

* ``KL`` is the landscape coefficient (WUCOLS / Costello's landscape coefficient method:
  species factor × density factor × microclimate factor) and ``area`` the crown projection of
  a tree or the area of a bed, so KL · ET0 · area is the plant's demand in litres (1 mm on
  1 m² is 1 litre).
* ``Ks`` (eq. 84) is 1 while Dr is below the readily available water p · TAW and falls
  linearly to 0 at TAW: a dry plant closes its stomata.
* Rain reaches the root zone over the catchment: the open tree pit plus the share of the
  sealed surroundings under the crown that drains into it. The canopy intercepts the first
  ``interception_mm`` of a rain day, and rain below 0.2 ET0 evaporates from the surface
  (FAO-56 ch. 8, "effective precipitation").
* What exceeds field capacity drains below the root zone (deep percolation) and is lost.

The model carries the variance of the depletion *fraction* Dr/TAW: it grows with each day's
uncertain demand and supply (``demand_error``, ``supply_error``, ``process_noise``) and shrinks
when a probe reading is assimilated (a scalar Kalman update with the probe's own variance).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Depletion variance cap (σ = 0.5 of TAW: "we know nothing").
MAX_VARIANCE = 0.25


@dataclass(frozen=True)
class Plants:
    """Static description of ``n`` plants (all arrays of length n)."""

    area_m2: Array  # crown projection or bed area: what transpires
    coefficient: Array  # landscape coefficient KL
    taw_l: Array  # total available water of the root zone, litres
    depletion_fraction: Array  # p: RAW = p · TAW
    catchment_m2: Array  # area whose rain reaches the root zone
    station: IntArray  # row of the weather arrays each plant uses
    #: Rain the canopy holds back on a rain day, mm.
    interception_mm: float = 1.0

    @property
    def size(self) -> int:
        return len(self.taw_l)


@dataclass(frozen=True)
class Supplies:
    """Sparse water given to plants: ``litres`` to plant ``index`` on day ``day``."""

    day: IntArray
    index: IntArray
    litres: Array

    @classmethod
    def none(cls) -> Supplies:
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, empty, np.zeros(0))

    @classmethod
    def of(cls, day: ArrayLike, index: ArrayLike, litres: ArrayLike) -> Supplies:
        d = np.asarray(day, dtype=np.int64)
        order = np.argsort(d, kind="stable")
        return cls(
            d[order],
            np.asarray(index, dtype=np.int64)[order],
            np.asarray(litres, dtype=np.float64)[order],
        )


@dataclass(frozen=True)
class Readings:
    """Probe readings as depletion fractions: plant ``index`` measured ``fraction`` (σ
    ``sigma``) at the end of day ``day``."""

    day: IntArray
    index: IntArray
    fraction: Array
    sigma: Array

    @classmethod
    def none(cls) -> Readings:
        empty = np.zeros(0, dtype=np.int64)
        return cls(empty, empty, np.zeros(0), np.zeros(0))

    @classmethod
    def of(
        cls, day: ArrayLike, index: ArrayLike, fraction: ArrayLike, sigma: ArrayLike
    ) -> Readings:
        d = np.asarray(day, dtype=np.int64)
        order = np.argsort(d, kind="stable")
        f = np.broadcast_to(np.asarray(fraction, dtype=np.float64), d.shape)
        s = np.broadcast_to(np.asarray(sigma, dtype=np.float64), d.shape)
        return cls(d[order], np.asarray(index, dtype=np.int64)[order], f[order], s[order])


@dataclass
class Balance:
    """The state after a run and what happened on the way (totals per plant, litres)."""

    depletion_l: Array
    variance: Array
    demand_l: Array  # Σ KL · ET0 · area
    actual_l: Array  # Σ ETa
    rain_l: Array  # Σ effective rain
    supplied_l: Array  # Σ watering
    drained_l: Array  # Σ deep percolation
    #: Σ per plant of the demand that was not met (ETc − ETa).
    shortfall_l: Array
    #: Depletion at the end of each day for the plants asked for (days × kept plants).
    history: Array = field(default_factory=lambda: np.zeros((0, 0)))
    #: Model depletion fraction just before each reading was assimilated (innovation base).
    prior_at_readings: Array = field(default_factory=lambda: np.zeros(0))
    #: Σ per plant of what the readings changed (litres): how far the model drifted from them.
    corrections_l: Array = field(default_factory=lambda: np.zeros(0))


def run(
    plants: Plants,
    *,
    et0: Array,
    rain: Array,
    supplies: Supplies | None = None,
    readings: Readings | None = None,
    initial_depletion_l: ArrayLike | None = None,
    initial_variance: ArrayLike = 0.04,
    keep: IntArray | None = None,
    demand_error: float = 0.25,
    supply_error: float = 0.1,
    process_noise: float = 0.02,
) -> Balance:
    """Run the bucket over ``et0.shape[1]`` days.

    ``et0`` and ``rain`` are (stations × days) in mm/day. ``keep``: plants whose daily
    depletion goes into ``history``. A handful of whole-array operations per day on plants
    grouped by station, so 100 000 plants over a year take a fraction of a second.

    Uncertainty: the error of the demand is mostly systematic (a wrong KL or crown), so the
    standard deviation of the depletion fraction grows with the water used since the last
    reading, σ = ``demand_error`` · ΣETa / TAW; each watering adds ``supply_error`` of its
    amount independently, and every day adds ``process_noise`` (σ per day, independent: rain
    on the pit, runoff, roots we do not know), so that a sustained difference from a probe is
    followed rather than averaged away. The initial variance says how well the start of the
    season is known (σ 0.2: roughly).
    """
    n, days = plants.size, et0.shape[1]
    supplies = supplies or Supplies.none()
    readings = readings or Readings.none()
    # Group the plants by station: each station's weather then scales a contiguous slice.
    order = np.argsort(plants.station, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    station = plants.station[order]
    segments = np.searchsorted(station, np.arange(et0.shape[0] + 1))
    used_stations = [s for s in range(et0.shape[0]) if segments[s + 1] > segments[s]]

    taw = np.maximum(plants.taw_l[order], 1e-9)
    inv_span = 1.0 / np.maximum(taw * (1 - plants.depletion_fraction[order]), 1e-9)
    full_ks = taw * inv_span
    coefficient = (plants.coefficient * plants.area_m2)[order]
    catchment = plants.catchment_m2[order]

    def sorted_(values: ArrayLike | None, default: float) -> Array:
        if values is None:
            return np.full(n, default)
        return np.broadcast_to(np.asarray(values, dtype=np.float64), (n,))[order].copy()

    depletion = np.minimum(np.maximum(sorted_(initial_depletion_l, 0.0), 0.0), taw)
    start = depletion.copy()
    base_variance = sorted_(np.asarray(initial_variance, dtype=np.float64), 0.01)
    used = np.zeros(n)  # cumulative ETa, litres
    used_at_reading = np.zeros(n)
    last_reading_day = np.full(n, -1, dtype=np.int64)
    supplied = np.zeros(n)
    assimilated = np.zeros(n)  # water the probe readings added (−) or removed (+)
    keep_sorted = None if keep is None else rank[keep]
    history = np.zeros((days, 0 if keep is None else len(keep)))
    prior = np.zeros(len(readings.day))
    supply_index = rank[supplies.index]
    reading_index = rank[readings.index]

    supply_bounds = np.searchsorted(supplies.day, np.arange(days + 1))
    reading_bounds = np.searchsorted(readings.day, np.arange(days + 1))
    # Effective rain per station and day (mm): interception first, then FAO-56's 0.2 ET0.
    rain_mm = np.where(rain > 0.2 * et0, np.maximum(rain - plants.interception_mm, 0.0), 0.0)
    wet_days = rain_mm.max(axis=0) > 0

    ks = np.empty(n)
    eta = np.empty(n)
    water = np.empty(n)
    for d in range(days):
        # Ks from the depletion at the start of the day (FAO-56 eq. 84); Dr never exceeds TAW.
        np.multiply(depletion, inv_span, out=ks)
        np.subtract(full_ks, ks, out=ks)
        np.minimum(ks, 1.0, out=ks)
        for s in used_stations:
            lo, hi = segments[s], segments[s + 1]
            np.multiply(coefficient[lo:hi], et0[s, d], out=eta[lo:hi])
        eta *= ks
        depletion += eta
        used += eta
        if wet_days[d]:
            for s in used_stations:
                lo, hi = segments[s], segments[s + 1]
                np.multiply(catchment[lo:hi], rain_mm[s, d], out=water[lo:hi])
            depletion -= water
        lo, hi = supply_bounds[d], supply_bounds[d + 1]
        if hi > lo:
            idx, given = supply_index[lo:hi], supplies.litres[lo:hi]
            np.subtract.at(depletion, idx, given)
            np.add.at(supplied, idx, given)
            np.add.at(base_variance, idx, np.square(supply_error * given / taw[idx]))
        if wet_days[d] or hi > lo:
            np.maximum(depletion, 0.0, out=depletion)
        np.minimum(depletion, taw, out=depletion)
        lo, hi = reading_bounds[d], reading_bounds[d + 1]
        if hi > lo:
            idx = reading_index[lo:hi]
            modelled = depletion[idx] / taw[idx]
            prior[lo:hi] = modelled
            drift = demand_error * (used[idx] - used_at_reading[idx]) / taw[idx]
            noise = process_noise**2 * (d - last_reading_day[idx])
            variance = np.minimum(base_variance[idx] + np.square(drift) + noise, MAX_VARIANCE)
            gain = variance / (variance + np.square(readings.sigma[lo:hi]))
            corrected = (modelled + gain * (readings.fraction[lo:hi] - modelled)) * taw[idx]
            np.add.at(assimilated, idx, corrected - depletion[idx])
            depletion[idx] = corrected
            base_variance[idx] = variance * (1 - gain)
            used_at_reading[idx] = used[idx]
            last_reading_day[idx] = d
        if keep_sorted is not None:
            history[d] = depletion[keep_sorted]

    demand = coefficient * et0.sum(axis=1)[station]
    rain_total = catchment * rain_mm.sum(axis=1)[station]
    # Mass balance: end = start + ETa − rain − watering + drained + assimilated.
    drained = np.maximum(depletion - start - used + rain_total + supplied - assimilated, 0.0)
    drift = demand_error * (used - used_at_reading) / taw
    noise = process_noise**2 * (days - 1 - last_reading_day)
    variance = np.minimum(base_variance + np.square(drift) + noise, MAX_VARIANCE)
    return Balance(
        depletion_l=depletion[rank],
        variance=variance[rank],
        demand_l=demand[rank],
        actual_l=used[rank],
        rain_l=rain_total[rank],
        supplied_l=supplied[rank],
        drained_l=drained[rank],
        shortfall_l=(demand - used)[rank],
        history=history,
        prior_at_readings=prior,
        corrections_l=assimilated[rank],
    )


# --- trees -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeTraits:
    """What the tree cadastre and the green-space office know of ``n`` trees."""

    species_factor: Array  # WUCOLS species factor ks (0.2 low, 0.5 moderate, 0.8 high)
    age_years: Array
    crown_diameter_m: Array  # NaN: estimated from the age
    pit_volume_m3: Array  # volume of the planting pit (FLL: at least 12 m³ for new trees)
    open_area_m2: Array  # unsealed soil of the pit (Baumscheibe)
    sealed_share: Array  # share of the ground under the crown that is sealed
    microclimate: Array  # WUCOLS microclimate factor (1.2 street canyon, 1.0 park)
    available_water: Array | float  # m³ water per m³ soil (retention curve)
    station: IntArray


#: Root ball of a planted street tree (about 0.8 m across and 0.6 m deep), m³.
ROOT_BALL_M3 = 0.3
#: Root growth into the pit, m³ · year^-1.5 (the pit is colonised in about ten years).
ROOT_GROWTH = 0.35
#: Depth of the roots of established trees under the crown, m.
ROOT_DEPTH_M = 0.8
#: Share of the rain on sealed ground that still reaches the roots (joints, gullies, slope).
SEALED_RUNOFF_SHARE = 0.15


def crown_diameter(age_years: ArrayLike) -> Array:
    """A street tree's crown diameter from its age when the cadastre has none (m)."""
    return np.asarray(np.clip(1.5 + 0.17 * np.asarray(age_years, dtype=np.float64), 1.0, 20.0))


def tree_plants(traits: TreeTraits, *, depletion_fraction: float = 0.5) -> Plants:
    """Bucket parameters of street trees.

    The root zone of a young tree is its root ball plus what the roots have colonised of the
    pit since planting (ball + 0.35 m³ · age^1.5, at most the pit); an established tree also
    roots under the surrounding pavement, down to 0.8 m under its crown. The catchment is the
    open pit plus 15 % of the sealed ground under the crown and all of its unsealed ground.
    """
    age = np.maximum(traits.age_years, 0.0)
    diameter = np.where(
        np.isnan(traits.crown_diameter_m), crown_diameter(age), traits.crown_diameter_m
    )
    crown = np.pi * np.square(diameter / 2)
    young = np.minimum(ROOT_BALL_M3 + ROOT_GROWTH * age**1.5, traits.pit_volume_m3)
    established = crown * ROOT_DEPTH_M
    volume = np.where(young >= traits.pit_volume_m3, np.maximum(young, established), young)
    surroundings = np.maximum(crown - traits.open_area_m2, 0.0)
    catchment = traits.open_area_m2 + surroundings * (
        (1 - traits.sealed_share) + traits.sealed_share * SEALED_RUNOFF_SHARE
    )
    return Plants(
        area_m2=crown,
        coefficient=traits.species_factor * traits.microclimate,
        taw_l=volume * 1000 * np.asarray(traits.available_water, dtype=np.float64),
        depletion_fraction=np.full(len(age), depletion_fraction),
        catchment_m2=catchment,
        station=traits.station,
    )
