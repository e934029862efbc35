"""Meter readings to consumption, with plausibility checks; numpy in, numpy out.

A counter meter reports its reading (kWh, m³); consumption is the difference of consecutive
readings. Checks:

* **counter reset** — a reading below the one before is a counter that restarted (a meter
  exchange, an overflow), never negative energy: the interval's consumption is the new reading
  itself when it restarted from near zero, otherwise unknown (NaN);
* **gap** — readings further apart than twice the nominal interval; the consumption across the
  gap is kept (the counter saw it) in the interval that closes the gap;
* **spike** — an interval consumption more than ten times the meter's busy level (the 95th
  percentile of its non-zero intervals): left out and reported.

Consumption is then summed into 15-minute, hourly, daily or monthly buckets of local time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Times = NDArray[np.datetime64]

RESOLUTIONS = {"15min": "15min", "hour": "h", "day": "D", "month": "MS"}


@dataclass(frozen=True)
class Issue:
    kind: str  # counter_reset | gap | spike
    time: np.datetime64
    detail: str


@dataclass(frozen=True)
class Consumption:
    """Per interval ending at ``end`` (UTC): the consumption, NaN where unknown."""

    end: Times
    value: Array
    issues: list[Issue]

    def total(self) -> float:
        return float(np.nansum(self.value))


def from_counter(times: Times, readings: Array, *, nominal_seconds: float = 900.0) -> Consumption:
    """Consumption per reading interval of a counter meter."""
    t = np.asarray(times).astype("datetime64[us]")
    r = np.asarray(readings, dtype=float)
    issues: list[Issue] = []
    if len(r) < 2:
        return Consumption(t[:0], r[:0], issues)
    delta = np.diff(r)
    ends = t[1:]
    seconds = np.diff(t).astype("timedelta64[us]").astype(np.int64) / 1e6
    for i in np.flatnonzero(delta < 0):
        before, after = r[i], r[i + 1]
        if after <= 0.05 * max(before, 1.0):
            delta[i] = after
            text = f"reading fell from {before:g} to {after:g}: counter restarted"
        else:
            delta[i] = np.nan
            text = f"reading fell from {before:g} to {after:g}: consumption unknown"
        issues.append(Issue("counter_reset", ends[i], text))
    for i in np.flatnonzero(seconds > 2 * nominal_seconds):
        missing = round(seconds[i] / nominal_seconds) - 1
        issues.append(Issue("gap", ends[i], f"{missing} readings missing"))
    usual = delta[np.isfinite(delta) & (seconds <= 2 * nominal_seconds) & (delta > 0)]
    if len(usual) >= 20:
        # Seasonal meters (heat) sit at zero for months: judge against the busy intervals.
        busy = float(np.quantile(usual, 0.95))
        rate = delta / np.maximum(seconds / nominal_seconds, 1.0)
        spikes = np.flatnonzero(np.isfinite(rate) & (rate > 10 * busy))
        for i in spikes:
            issues.append(Issue("spike", ends[i], f"{delta[i]:g} in one interval"))
            delta[i] = np.nan
    issues.sort(key=lambda issue: issue.time)
    return Consumption(ends, delta, issues)


def from_intervals(times: Times, values: Array) -> Consumption:
    """An interval meter already reports consumption per interval; negative values are errors."""
    t = np.asarray(times).astype("datetime64[us]")
    v = np.asarray(values, dtype=float).copy()
    issues = [
        Issue("negative", t[i], f"{v[i]:g} is not a consumption") for i in np.flatnonzero(v < 0)
    ]
    v[v < 0] = np.nan
    return Consumption(t, v, issues)


def resample(
    consumption: Consumption, *, resolution: str, zone: str, nominal_seconds: float = 900.0
) -> tuple[list[object], Array, Array]:
    """Sums per bucket of local time: bucket starts (aware datetimes), sums, and coverage (the
    share of the bucket's nominal intervals that had a known value)."""
    import pandas as pd

    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {', '.join(RESOLUTIONS)}")
    index = pd.DatetimeIndex(consumption.end, tz="UTC") - pd.Timedelta(seconds=1)
    series = pd.Series(consumption.value, index=index.tz_convert(zone))
    grouped = series.resample(RESOLUTIONS[resolution])
    sums = grouped.sum(min_count=1)
    known = grouped.count()
    starts = sums.index
    ends = starts + pd.tseries.frequencies.to_offset(RESOLUTIONS[resolution])
    expected = np.maximum(
        ((ends - starts).total_seconds() / max(nominal_seconds, 1.0)).to_numpy(), 1.0
    )
    coverage = np.clip(known.to_numpy() / expected, 0.0, 1.0)
    return (
        [ts.to_pydatetime() for ts in starts],
        sums.to_numpy(dtype=float),
        coverage.astype(float),
    )
