"""Soil water: the retention curve that joins volumetric water content and suction, the
suction bands the status uses, and the plausibility checks for probe readings.

Bands (Berlin's QTrees project, soil suction under street trees): good below 33 kPa, medium
33-81 kPa, critical above 81 kPa. Volumetric probes reach the same bands through the van
Genuchten (1980) curve of the tree-pit substrate; the default parameters are Carsel and
Parrish's (1988) class means for loam (θr 0.078, θs 0.43, α 0.036 cm⁻¹, n 1.56). Field
capacity is taken at 10 kPa (free-draining tree-pit substrates), the wilting point at
1 500 kPa. With loam this puts 33 kPa at half the available water, FAO-56's depletion
fraction p = 0.5 for trees: "good" is exactly the readily available water.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

CM_PER_KPA = 10.1972  # 1 kPa as a column of water
GOOD_BELOW_KPA = 33.0
CRITICAL_ABOVE_KPA = 81.0
FIELD_CAPACITY_KPA = 10.0
WILTING_POINT_KPA = 1500.0

GOOD, MEDIUM, CRITICAL = 0, 1, 2
BANDS = ("good", "medium", "critical")


@dataclass(frozen=True)
class RetentionCurve:
    """θ(ψ) = θr + (θs − θr) / (1 + (α ψ)^n)^(1 − 1/n); ψ suction in kPa, θ in m³/m³."""

    name: str
    theta_r: float
    theta_s: float
    alpha_per_cm: float
    n: float

    @property
    def alpha(self) -> float:
        return self.alpha_per_cm * CM_PER_KPA

    @property
    def m(self) -> float:
        return 1 - 1 / self.n

    def theta(self, suction_kpa: ArrayLike) -> Array:
        psi = np.maximum(np.asarray(suction_kpa, dtype=np.float64), 0.0)
        return np.asarray(
            self.theta_r
            + (self.theta_s - self.theta_r) / (1 + (self.alpha * psi) ** self.n) ** self.m
        )

    def suction(self, theta: ArrayLike) -> Array:
        """ψ(θ) in kPa; θ at or above θs gives 0, at or below θr an upper bound of 10⁵ kPa."""
        t = np.asarray(theta, dtype=np.float64)
        saturation = np.clip((t - self.theta_r) / (self.theta_s - self.theta_r), 1e-9, 1.0)
        psi = (saturation ** (-1 / self.m) - 1) ** (1 / self.n) / self.alpha
        return np.asarray(np.minimum(psi, 1e5))

    @property
    def field_capacity(self) -> float:
        return float(self.theta(FIELD_CAPACITY_KPA))

    @property
    def wilting_point(self) -> float:
        return float(self.theta(WILTING_POINT_KPA))

    @property
    def available_water(self) -> float:
        """Water held between field capacity and wilting point, m³ per m³ of soil."""
        return self.field_capacity - self.wilting_point

    def depletion_of_suction(self, suction_kpa: ArrayLike) -> Array:
        """Share of the available water used up (0 at field capacity, 1 at wilting point)."""
        used = (self.field_capacity - self.theta(suction_kpa)) / self.available_water
        return np.asarray(np.clip(used, 0.0, 1.0))

    def suction_of_depletion(self, depletion: ArrayLike) -> Array:
        fraction = np.clip(np.asarray(depletion, dtype=np.float64), 0.0, 1.0)
        return self.suction(self.field_capacity - fraction * self.available_water)


#: Carsel & Parrish (1988), Water Resources Research 24(5), table 2 (class means).
LOAM = RetentionCurve("loam", 0.078, 0.43, 0.036, 1.56)
SANDY_LOAM = RetentionCurve("sandy loam", 0.065, 0.41, 0.075, 1.89)
LOAMY_SAND = RetentionCurve("loamy sand", 0.057, 0.41, 0.124, 2.28)
CURVES = {"loam": LOAM, "sandy_loam": SANDY_LOAM, "loamy_sand": LOAMY_SAND}
DEFAULT_CURVE = LOAM


def band(suction_kpa: ArrayLike) -> NDArray[np.int8]:
    """GOOD, MEDIUM or CRITICAL per value."""
    psi = np.asarray(suction_kpa, dtype=np.float64)
    return np.asarray(
        np.where(psi > CRITICAL_ABOVE_KPA, CRITICAL, np.where(psi >= GOOD_BELOW_KPA, MEDIUM, GOOD)),
        dtype=np.int8,
    )


# --- probe readings --------------------------------------------------------------------------

#: Bits of the quality flags of a probe reading.
NEGATIVE = 1
OUT_OF_RANGE = 2
FROZEN = 4
NOT_A_NUMBER = 8

QUALITY_NAMES = {
    NEGATIVE: "negative value",
    OUT_OF_RANGE: "outside the sensor's range",
    FROZEN: "unchanged for days",
    NOT_A_NUMBER: "not a number",
}

#: Range of a suction (tensiometer, granular-matrix) probe in kPa.
SUCTION_RANGE = (0.0, 1500.0)
#: Range of a volumetric probe in percent.
VOLUMETRIC_RANGE = (0.0, 60.0)
FROZEN_AFTER_HOURS = 48.0


def quality_flags(
    times_s: ArrayLike,
    values: ArrayLike,
    *,
    kind: str,
    frozen_after_hours: float = FROZEN_AFTER_HOURS,
    resolution: float | None = None,
) -> NDArray[np.uint8]:
    """Flags per reading of one probe in time order (``times_s`` in seconds).

    ``kind`` "suction" (kPa) or "volumetric" (%). A reading is FROZEN when the readings of
    the ``frozen_after_hours`` before it stayed within ``resolution`` of each other: soil
    under a tree dries every day, so a flat line for days is a stuck sensor or logger.
    """
    t = np.asarray(times_s, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    low, high = SUCTION_RANGE if kind == "suction" else VOLUMETRIC_RANGE
    step = (0.05 if kind == "volumetric" else 0.5) if resolution is None else resolution
    flags = np.zeros(v.shape, dtype=np.uint8)
    nan = ~np.isfinite(v)
    flags[nan] |= NOT_A_NUMBER
    flags[~nan & (v < 0)] |= NEGATIVE
    flags[~nan & ((v > high) | ((v < low) & (v >= 0)))] |= OUT_OF_RANGE
    if v.size > 1:
        flags[_frozen(t, np.where(nan, np.nan, v), frozen_after_hours, step)] |= FROZEN
    return flags


def _frozen(t: Array, v: Array, hours: float, step: float) -> NDArray[np.bool_]:
    """Readings whose trailing ``hours`` (three quarters of them with readings) stayed within
    ``step``: the range of hourly minima and maxima over a sliding window."""
    width = max(round(hours), 1)
    bins = ((t - t[0]) // 3600).astype(np.int64)
    size = int(bins[-1]) + 1
    valid = ~np.isnan(v)
    high = np.full(size, -np.inf)
    low = np.full(size, np.inf)
    np.maximum.at(high, bins[valid], v[valid])
    np.minimum.at(low, bins[valid], v[valid])
    seen = np.isfinite(high).astype(np.int64)
    pad = width - 1
    windows = np.lib.stride_tricks.sliding_window_view
    high_w = windows(np.r_[np.full(pad, -np.inf), high], width).max(axis=1)
    low_w = windows(np.r_[np.full(pad, np.inf), low], width).min(axis=1)
    covered = windows(np.r_[np.zeros(pad, np.int64), seen], width).sum(axis=1)
    hourly = (covered >= 0.75 * width) & (high_w - low_w <= step)
    return np.asarray(hourly[bins] & valid)


def describe_flags(bits: int) -> list[str]:
    return [name for bit, name in QUALITY_NAMES.items() if bits & bit]
