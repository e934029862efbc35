"""Water meters: from what a meter reports to litres per hour, day and month.

A meter reports either its counter (cumulative, m³ or litres) at irregular times or a flow
rate. Counters go backwards in two ways: a mechanical counter rolls over (99 999 m³ → 0) and
an exchanged meter starts again near zero. Transmissions get lost, leaving gaps.

* A fall just below the roll-over value to a small reading is a roll-over: the modulus is
  added back.
* Any other fall is a reset (new meter): the new reading counts as used since the reset if it
  is plausible for the time elapsed, else that interval is unknown.
* Consumption between two readings is spread evenly over the time between them; hours
  covered by an interval longer than ``max_gap_s`` are flagged ESTIMATED, hours with no
  reading around them at all are NaN. Daily and monthly totals count estimated hours (the
  water was used), the leak detector skips them (it needs the hour's own flow).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

HOUR = 3600
ESTIMATED = 1
RESET = 2
ROLLOVER = 4
UNKNOWN = 8

FLAG_NAMES = {
    ESTIMATED: "spread over a gap in the readings",
    RESET: "counter reset (meter exchanged)",
    ROLLOVER: "counter rolled over",
    UNKNOWN: "consumption unknown",
}


@dataclass(frozen=True)
class Hourly:
    """Consumption per hour: ``start_s`` (UTC seconds, whole hours), litres and flags."""

    start_s: NDArray[np.int64]
    litres: Array
    flags: NDArray[np.uint8]

    @property
    def measured(self) -> Array:
        """Litres of the hours measured directly (NaN for estimated or unknown hours)."""
        return np.where(self.flags & (ESTIMATED | UNKNOWN), np.nan, self.litres)


def _empty() -> Hourly:
    return Hourly(np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.uint8))


def from_counter(
    times_s: ArrayLike,
    readings_l: ArrayLike,
    *,
    rollover_l: float | None = None,
    max_gap_s: float = 2 * HOUR,
    max_flow_l_per_h: float = 20_000.0,
) -> Hourly:
    """Hourly litres from counter readings (litres) at ``times_s`` (UTC seconds)."""
    t = np.asarray(times_s, dtype=np.float64)
    r = np.asarray(readings_l, dtype=np.float64)
    keep = np.isfinite(t) & np.isfinite(r)
    t, r = t[keep], r[keep]
    if t.size < 2:
        return _empty()
    order = np.argsort(t, kind="stable")
    t, r = t[order], r[order]
    t, first = np.unique(t, return_index=True)
    r = r[first]
    if t.size < 2:
        return _empty()
    used = np.diff(r)
    span = np.diff(t)
    interval_flags = np.zeros(used.shape, dtype=np.uint8)
    falling = used < 0
    if rollover_l is not None:
        rolled = falling & (r[:-1] > 0.9 * rollover_l) & (r[1:] < 0.1 * rollover_l)
        used = np.where(rolled, used + rollover_l, used)
        interval_flags[rolled] |= ROLLOVER
        falling &= ~rolled
    plausible = r[1:] <= max_flow_l_per_h * span / HOUR
    used = np.where(falling, np.where(plausible, r[1:], np.nan), used)
    interval_flags[falling] |= RESET
    interval_flags[falling & ~plausible] |= UNKNOWN
    interval_flags[span > max_gap_s] |= ESTIMATED

    first_hour = int(np.floor(t[0] / HOUR)) * HOUR
    last_hour = int(np.ceil(t[-1] / HOUR)) * HOUR
    edges = np.arange(first_hour, last_hour + 1, HOUR, dtype=np.int64)
    # Cumulative use at each reading, then at each hour edge by linear interpolation.
    unknown = np.isnan(used)
    cumulative = np.concatenate([[0.0], np.cumsum(np.where(unknown, 0.0, used))])
    at_edges = np.interp(edges, t, cumulative)
    litres = np.diff(at_edges)
    # Which reading interval covers each hour (an hour may overlap two; take the worse).
    starts, ends = edges[:-1], edges[1:]
    first_interval = np.clip(np.searchsorted(t, starts, side="right") - 1, 0, used.size - 1)
    last_interval = np.clip(np.searchsorted(t, ends, side="left") - 1, 0, used.size - 1)
    cover_flags = np.bitwise_or(interval_flags[first_interval], interval_flags[last_interval])
    outside = (ends <= t[0]) | (starts >= t[-1])
    flags = cover_flags.astype(np.uint8)
    flags[outside] |= UNKNOWN
    litres = np.where(flags & UNKNOWN, np.nan, litres)
    return Hourly(starts.astype(np.int64), litres, flags)


def from_flow(
    times_s: ArrayLike, flow_l_per_h: ArrayLike, *, max_gap_s: float = 2 * HOUR
) -> Hourly:
    """Hourly litres from flow readings (l/h): the mean flow of the readings in each hour,
    with hours without a reading filled from their neighbours and flagged ESTIMATED."""
    t = np.asarray(times_s, dtype=np.float64)
    f = np.asarray(flow_l_per_h, dtype=np.float64)
    keep = np.isfinite(t) & np.isfinite(f) & (f >= 0)
    t, f = t[keep], f[keep]
    if t.size == 0:
        return _empty()
    hour = (np.floor(t / HOUR) * HOUR).astype(np.int64)
    starts = np.arange(hour.min(), hour.max() + 1, HOUR, dtype=np.int64)
    slot = (hour - starts[0]) // HOUR
    count = np.bincount(slot, minlength=starts.size)
    total = np.bincount(slot, weights=f, minlength=starts.size)
    flags = np.zeros(starts.size, dtype=np.uint8)
    litres = np.divide(total, count, out=np.full(starts.size, np.nan), where=count > 0)
    empty = count == 0
    if empty.any():
        known, missing = np.flatnonzero(~empty), np.flatnonzero(empty)
        litres[missing] = np.interp(missing, known, litres[known])
        flags[missing] |= ESTIMATED
        # Hours further than max_gap from any reading are unknown.
        after = np.clip(np.searchsorted(known, missing), 0, known.size - 1)
        before = np.clip(after - 1, 0, known.size - 1)
        distance = np.minimum(np.abs(known[after] - missing), np.abs(missing - known[before]))
        far = missing[distance > max(1, int(max_gap_s // HOUR))]
        litres[far] = np.nan
        flags[far] |= UNKNOWN
    return Hourly(starts, litres, flags)


# --- calendar totals -------------------------------------------------------------------------


def local_labels(start_s: NDArray[np.int64], zone: ZoneInfo) -> tuple[list[str], list[str]]:
    """Local date (YYYY-MM-DD) and month (YYYY-MM) of each hour."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    days, months = [], []
    for s in start_s.tolist():
        local = (epoch + timedelta(seconds=int(s))).astimezone(zone)
        days.append(local.strftime("%Y-%m-%d"))
        months.append(local.strftime("%Y-%m"))
    return days, months


@dataclass(frozen=True)
class Total:
    label: str  # YYYY-MM-DD or YYYY-MM
    litres: float
    hours: int  # hours with data
    estimated_hours: int

    @property
    def complete(self) -> bool:
        return self.hours >= (24 if len(self.label) == 10 else 24 * 28)


def totals(hourly: Hourly, labels: list[str]) -> list[Total]:
    """Sum of the hours per label (local day or month), in order of first appearance."""
    result: dict[str, list[float]] = {}
    for label, litres, flag in zip(
        labels, hourly.litres.tolist(), hourly.flags.tolist(), strict=True
    ):
        entry = result.setdefault(label, [0.0, 0, 0])
        if litres == litres:  # not NaN
            entry[0] += litres
            entry[1] += 1
            entry[2] += 1 if flag & ESTIMATED else 0
    return [Total(k, round(v[0], 1), int(v[1]), int(v[2])) for k, v in result.items()]
