"""Soil probes in the balance: daily readings as depletion fractions, and the spread of what a
probe corrected to similar trees nearby.

A probe's daily value is the median of its plausible readings of that day (see
:func:`allmende.modules.water.soil.quality_flags`); a volumetric probe's water content goes
through the retention curve to a suction first, so both kinds land on the same scale: the
share of the available water used up (0 at field capacity, 1 at wilting point), with a
standard error of ``SUCTION_SIGMA`` or ``VOLUMETRIC_SIGMA`` of it.

At a probe tree the balance assimilates the readings itself. The model's error at the probe
(the reading minus the model just before it) says how wrong the model is for trees like it;
a tree without a probe takes that error scaled by its *correlation* with the probe,

    ρ = similarity · exp(−distance / ``length_m``),

similarity 1 for the same water-use class and age class, ``related`` for one of the two,
0 otherwise. With several probes the errors are averaged with weights ρ², the strongest ρ
scaling the result. The variance of the corrected tree's state is
``(1 − ρ²) · model variance + ρ² · probe error variance``: a tree next to a probe of its kind
is known almost as well as the probe tree, a tree far from any probe keeps the model's own
uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from allmende.modules.water import soil

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

SUCTION_SIGMA = 0.06
VOLUMETRIC_SIGMA = 0.08
DAY = 86_400


@dataclass(frozen=True)
class DailyReadings:
    """One probe's usable days: day index (from ``start_s``), depletion fraction, flagged share."""

    day: IntArray
    depletion: Array
    sigma: float
    flagged: int  # readings left out
    total: int
    last_flags: int  # quality flags of the latest reading


def daily(
    times_s: ArrayLike,
    values: ArrayLike,
    *,
    kind: str,
    start_s: float,
    days: int,
    curve: soil.RetentionCurve = soil.DEFAULT_CURVE,
    day_index: ArrayLike | None = None,
) -> DailyReadings:
    """Daily depletion fractions of one probe over ``days`` days from ``start_s``.

    ``kind`` "suction" (kPa) or "volumetric" (% water by volume). ``day_index`` gives each
    reading's day (local calendar days); by default days are 24-hour steps from ``start_s``."""
    t = np.asarray(times_s, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    flags = soil.quality_flags(t, v, kind=kind) if t.size else np.zeros(0, np.uint8)
    all_days = (
        ((t - start_s) // DAY).astype(np.int64)
        if day_index is None
        else np.asarray(day_index, dtype=np.int64)
    )
    good = (flags == 0) & (all_days >= 0) & (all_days < days)
    day = all_days[good]
    value = v[good]
    if kind == "suction":
        fraction = curve.depletion_of_suction(value)
        sigma = SUCTION_SIGMA
    else:
        fraction = curve.depletion_of_suction(curve.suction(value / 100))
        sigma = VOLUMETRIC_SIGMA
    days_seen = np.unique(day)
    medians = np.array([np.median(fraction[day == d]) for d in days_seen.tolist()])
    return DailyReadings(
        day=days_seen.astype(np.int64),
        depletion=medians if medians.size else np.zeros(0),
        sigma=sigma,
        flagged=int((flags != 0).sum()),
        total=int(t.size),
        last_flags=int(flags[-1]) if flags.size else 0,
    )


@dataclass(frozen=True)
class Spread:
    """Per tree: the correction of its depletion fraction, its standard deviation after the
    correction, the most correlated probe tree (−1 for none) and the distance to it (m)."""

    correction: Array
    sigma: Array
    probe: IntArray
    distance_m: Array
    correlation: Array


def spread(
    *,
    x_m: Array,
    y_m: Array,
    water_class: IntArray,
    age_class: IntArray,
    model_variance: Array,
    probe_rows: IntArray,
    bias: Array,
    bias_sigma: Array,
    owner: IntArray | None = None,
    shared: BoolArray | None = None,
    length_m: float = 400.0,
    related: float = 0.5,
    chunk: int = 20_000,
) -> Spread:
    """Spread the model errors seen at ``probe_rows`` (trees with a probe) to all trees.

    Positions in metres (any local projection). Probe trees keep correction 0: the balance has
    assimilated their readings already. With ``owner`` (each tree's municipality) and
    ``shared`` (per probe tree: are all its probes public?), a probe tree's error reaches only
    trees of its own municipality unless it is shared: one municipality's internal
    measurements show in no other's trees.
    """
    n = x_m.size
    correction = np.zeros(n)
    sigma = np.sqrt(model_variance)
    nearest = np.full(n, -1, dtype=np.int64)
    distance = np.full(n, np.nan)
    best = np.zeros(n)
    if probe_rows.size == 0:
        return Spread(correction, sigma, nearest, distance, best)
    px, py = x_m[probe_rows], y_m[probe_rows]
    pw, pa = water_class[probe_rows], age_class[probe_rows]
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        d = np.hypot(x_m[lo:hi, None] - px[None, :], y_m[lo:hi, None] - py[None, :])
        same_water = water_class[lo:hi, None] == pw[None, :]
        same_age = age_class[lo:hi, None] == pa[None, :]
        similarity = np.where(
            same_water & same_age, 1.0, np.where(same_water | same_age, related, 0.0)
        )
        if owner is not None and shared is not None:
            readable = shared[None, :] | (owner[lo:hi, None] == owner[probe_rows][None, :])
            similarity = np.where(readable, similarity, 0.0)
        rho = similarity * np.exp(-d / length_m)
        weight = rho**2
        total = weight.sum(axis=1)
        top = rho.argmax(axis=1)
        rho_max = rho[np.arange(hi - lo), top]
        mean_bias = np.divide(weight @ bias, total, out=np.zeros(hi - lo), where=total > 0)
        mean_var = np.divide(weight @ bias_sigma**2, total, out=np.zeros(hi - lo), where=total > 0)
        correction[lo:hi] = rho_max * mean_bias
        sigma[lo:hi] = np.sqrt((1 - rho_max**2) * model_variance[lo:hi] + rho_max**2 * mean_var)
        has = rho_max > 0
        nearest[lo:hi] = np.where(has, probe_rows[top], -1)
        distance[lo:hi] = np.where(has, d[np.arange(hi - lo), top], np.nan)
        best[lo:hi] = rho_max
    correction[probe_rows] = 0.0
    sigma[probe_rows] = np.sqrt(model_variance[probe_rows])
    nearest[probe_rows] = probe_rows
    distance[probe_rows] = 0.0
    best[probe_rows] = 1.0
    return Spread(correction, sigma, nearest, distance, best)
