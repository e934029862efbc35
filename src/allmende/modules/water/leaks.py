"""Leak detection on hourly meter data: the night-flow minimum and "no zero-flow hour in 24 h".

A leak is water that flows all the time. Two signs of it, each robust to a different kind of
legitimate use:

* the **night minimum** (the lowest hourly flow between 0 and 5 h local time) rises above
  its usual level: day-time use does not touch it, a single night draw or the weekly hygiene
  flush does not either (the minimum of five hours stays at zero);
* the **24-hour minimum** (the lowest hourly flow of the 24 h ending with that night) rises
  above its usual level, i.e. the meter did not stand still for one hour in a day: this one
  ignores irrigation nights, which run all night but stop by day.

A night is *suspicious* when both rose by at least ``threshold_l_per_h`` (and by ``k`` robust
standard deviations of their own last 28 nights, for meters that never stand still); an alarm
is raised when the night minimum was suspicious on two nights in a row (nights without data
skipped) and the 24-hour minimum on the second. A leak that starts before a night is so found
by the end of the second night. The alarm lasts until a quiet night; one alarm per episode.
The usual levels are the medians of the previous ``history_nights`` nights that were not
suspicious, so a leak never becomes the new normal; a new meter learns them over its first
``min_history`` nights, during which it raises no alarm.

Hours with estimated or unknown flow (NaN) are left out; a night needs one measured hour,
a 24-hour window twelve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

NIGHT_END_HOUR = 5


@dataclass(frozen=True)
class Settings:
    threshold_l_per_h: float = 15.0  # half of a 0.5 l/min leak
    k: float = 4.0
    history_nights: int = 28
    min_history: int = 7


@dataclass(frozen=True)
class Alarm:
    night: int  # local day index of the night that raised it
    since_hour: int  # index of the first hour of the continuous flow before it
    night_minimum_l_per_h: float
    usual_night_minimum_l_per_h: float
    day_minimum_l_per_h: float
    usual_day_minimum_l_per_h: float


@dataclass(frozen=True)
class Nights:
    """Per local day: the statistics the decision used (NaN where not enough data)."""

    night_minimum: Array
    day_minimum: Array
    usual_night: Array
    usual_day: Array
    suspicious: NDArray[np.bool_]
    alarm: NDArray[np.bool_]


def _group_min(
    values: Array, group: NDArray[np.int64], size: int
) -> tuple[Array, NDArray[np.int64]]:
    valid = ~np.isnan(values)
    minimum = np.full(size, np.inf)
    np.minimum.at(minimum, group[valid], values[valid])
    counts = np.bincount(group[valid], minlength=size)
    return np.where(np.isfinite(minimum), minimum, np.nan), counts


def _usual(history: Array) -> tuple[float, float]:
    """Median and robust standard deviation (1.4826 · MAD) of a history."""
    median = float(np.median(history))
    return median, float(1.4826 * np.median(np.abs(history - median)))


def detect(
    litres: ArrayLike,
    local_day: ArrayLike,
    local_hour: ArrayLike,
    settings: Settings | None = None,
) -> tuple[Nights, list[Alarm]]:
    """Alarms over consecutive hours (litres per hour, NaN where not measured).

    ``local_day`` numbers the local calendar days from 0, ``local_hour`` is the local hour of
    day of each hour (0-23).
    """
    s = settings or Settings()
    flow = np.asarray(litres, dtype=np.float64)
    day = np.asarray(local_day, dtype=np.int64)
    hour = np.asarray(local_hour, dtype=np.int64)
    days = int(day.max()) + 1 if day.size else 0
    is_night = hour < NIGHT_END_HOUR
    night_min, night_count = _group_min(flow[is_night], day[is_night], days)
    night_min[night_count < 1] = np.nan
    window = np.where(is_night, day, day + 1)  # the 24 h ending with night n
    in_range = window < days
    day_min, day_count = _group_min(flow[in_range], window[in_range], days)
    day_min[day_count < 12] = np.nan

    usual_night = np.full(days, np.nan)
    usual_day = np.full(days, np.nan)
    suspicious = np.zeros(days, dtype=bool)
    alarm = np.zeros(days, dtype=bool)
    quiet: list[int] = []  # nights that were not suspicious, for the usual levels
    alarms: list[Alarm] = []
    in_alarm, last_evaluated = False, -1
    for n in range(days):
        history = quiet[-s.history_nights :]
        if np.isnan(night_min[n]) or np.isnan(day_min[n]):
            continue
        if len(history) < s.min_history:  # a new meter: learn its usual nights first
            quiet.append(n)
            last_evaluated = n
            continue
        base_n, spread_n = _usual(night_min[history])
        base_d, spread_d = _usual(day_min[history])
        usual_night[n], usual_day[n] = base_n, base_d
        rise_night = night_min[n] - base_n >= max(s.threshold_l_per_h, s.k * spread_n)
        rise_day = day_min[n] - base_d >= max(s.threshold_l_per_h, s.k * spread_d)
        suspicious[n] = bool(rise_night)
        if rise_night and rise_day and last_evaluated >= 0 and suspicious[last_evaluated]:
            alarm[n] = True
            if not in_alarm:  # one alarm per episode, until a quiet night ends it
                in_alarm = True
                alarms.append(
                    Alarm(
                        night=n,
                        since_hour=_continuous_since(flow, day, hour, n, base_n, s),
                        night_minimum_l_per_h=float(night_min[n]),
                        usual_night_minimum_l_per_h=base_n,
                        day_minimum_l_per_h=float(day_min[n]),
                        usual_day_minimum_l_per_h=base_d,
                    )
                )
        if not rise_night and not rise_day:
            quiet.append(n)
            in_alarm = False
        last_evaluated = n
    return Nights(night_min, day_min, usual_night, usual_day, suspicious, alarm), alarms


def _continuous_since(
    flow: Array,
    day: NDArray[np.int64],
    hour: NDArray[np.int64],
    night: int,
    usual: float,
    s: Settings,
) -> int:
    """The first hour of the run of hours above the usual night level that ends the night."""
    end = int(np.flatnonzero((day == night) & (hour < NIGHT_END_HOUR))[-1])
    above = flow[: end + 1] >= usual + s.threshold_l_per_h
    below = np.flatnonzero(~above & ~np.isnan(flow[: end + 1]))
    return int(below[-1] + 1) if below.size else 0
