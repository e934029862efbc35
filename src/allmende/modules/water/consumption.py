"""A documented model of hourly water use at municipal meters, to generate test data for the
leak detector (and the demo's meters).

Each meter belongs to a kind: an office (town hall), a school, a sports hall, a fountain or an
irrigation system. A year is simulated hour by hour in local time (8 760 hours from 1 January,
no daylight-saving shift) as the sum of:

* **Occupancy use**: a mean rate per hour of the day for working days, weekends and holidays
  (German public holidays of Baden-Württemberg, Easter-dependent ones included; schools also
  close in approximate Baden-Württemberg school holidays). The water comes in draws of
  ``draw_l`` litres (a flush, a hand wash, a shower): the number of draws in an hour is
  Poisson, each hour's volume is also scaled by a log-normal factor (σ 0.25) so that busy
  days differ.
* **Night uses that are not leaks** (the detector must not fire on them): a rare draw at
  night (a caretaker, a security round; probability ``night_draw`` per hour between 23 and
  5 h), weekly hygiene flushing against legionella (sports halls and schools, Monday 03:00,
  300 l), cleaning from 5 h on working days, and irrigation nights: from May to September,
  every night during hot spells (runs of 3-10 days), else every third night, the irrigation
  system runs from 22 h to 5 h (irrigation meters) and buildings with a garden water it
  from 4 to 5 h.
* **Fountains**: a float valve tops the basin up whenever evaporation and splash have taken
  150 l (more by day and in summer), so the meter sees a refill every few hours and stands
  still in between; the basin is emptied and refilled (8 m³ over 4 h) once a month in season.

A meter counts in whole pulses of ``resolution_l`` (1 or 10 l); readings are sent every 15
minutes and ``gap_rate`` of the days lose a block of 1-6 hours of them. A leak adds a constant
flow (0.5 l/min = 30 l/h by default, ±10 % hour to hour) from its start to the end.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

HOURS = 8760
KINDS = ("office", "school", "sports", "fountain", "irrigation")


def easter(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month = (h + el - 7 * m + 114) // 31
    day = (h + el - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def public_holidays(year: int) -> set[date]:
    """Public holidays in Baden-Württemberg."""
    e = easter(year)
    fixed = [(1, 1), (1, 6), (5, 1), (10, 3), (11, 1), (12, 25), (12, 26)]
    moving = [
        -2,
        1,
        39,
        50,
        60,
    ]  # Good Friday, Easter Monday, Ascension, Whit Monday, Corpus Christi
    return {date(year, m, d) for m, d in fixed} | {e + timedelta(days=k) for k in moving}


def school_holidays(year: int) -> set[date]:
    """Approximate school holidays in Baden-Württemberg (the windows move a little each year)."""
    e = easter(year)
    spans = [
        (date(year, 1, 1), date(year, 1, 6)),
        (e - timedelta(days=6), e + timedelta(days=7)),
        (e + timedelta(days=50), e + timedelta(days=61)),
        (date(year, 7, 30), date(year, 9, 12)),
        (date(year, 10, 28), date(year, 11, 3)),
        (date(year, 12, 23), date(year, 12, 31)),
    ]
    days: set[date] = set()
    for first, last in spans:
        days |= {first + timedelta(days=k) for k in range((last - first).days + 1)}
    return days


@dataclass(frozen=True)
class Meter:
    """One meter: its kind and the knobs of its use (see the module text)."""

    kind: str
    scale: float = 1.0  # size of the building: multiplies the occupancy rates
    draw_l: float = 8.0
    night_draw: float = 0.02
    garden: bool = False  # a building that waters a garden from 4 to 5 h
    resolution_l: float = 1.0
    gap_rate: float = 0.03
    leak_start_hour: int | None = None
    leak_l_per_h: float = 30.0


def _bump(hour: Array, centre: float, width: float) -> Array:
    return np.asarray(np.exp(-0.5 * ((hour - centre) / width) ** 2))


def _rates(kind: str, hour: Array) -> tuple[Array, Array, Array]:
    """Mean l/h by hour of day on working days, weekends and holidays."""
    zero = np.zeros_like(hour)
    if kind == "office":
        work = 40 * _bump(hour, 10, 2.0) + 35 * _bump(hour, 14, 2.2) + 15 * _bump(hour, 12.5, 0.6)
        return work, 0.05 * work, 0.05 * work
    if kind == "school":
        work = 120 * _bump(hour, 10, 1.6) + 90 * _bump(hour, 13, 1.2) + 20 * _bump(hour, 16, 1.0)
        return work, zero, zero
    if kind == "sports":
        evening = 260 * _bump(hour, 19.5, 1.5)
        day = 60 * _bump(hour, 11, 2.5)
        return evening + day, evening + 3 * day, 0.3 * evening
    return zero, zero, zero  # fountains and irrigation have no occupancy use


def _calendar(year: int) -> tuple[NDArray[np.int64], Array, NDArray[np.bool_], NDArray[np.bool_]]:
    """Per hour: day index, hour of day, whether the day is a working day, a school day."""
    start = date(year, 1, 1)
    days = np.arange(HOURS) // 24
    hour = (np.arange(HOURS) % 24).astype(np.float64)
    holidays = public_holidays(year)
    school_free = school_holidays(year)
    dates = [start + timedelta(days=int(d)) for d in range(HOURS // 24)]
    working = np.array([d.weekday() < 5 and d not in holidays for d in dates])
    school = working & np.array([d not in school_free for d in dates])
    return days, hour, working[days], school[days]


def _irrigation_nights(rng: np.random.Generator, year: int) -> NDArray[np.bool_]:
    """Per day: does the irrigation run in the night that starts this evening?"""
    nights = np.zeros(HOURS // 24, dtype=bool)
    start = date(year, 1, 1)
    season = [d for d in range(HOURS // 24) if 5 <= (start + timedelta(days=d)).month <= 9]
    d = season[0]
    while d <= season[-1]:
        if rng.random() < 0.12:  # a hot spell: every night for 3-10 nights
            length = int(rng.integers(3, 11))
            nights[d : min(d + length, season[-1] + 1)] = True
            d += length
        else:
            nights[d] = d % 3 == 0
            d += 1
    return nights


def hourly_use(meter: Meter, *, year: int, rng: np.random.Generator) -> Array:
    """Litres per local hour over one year."""
    days, hour, working, school = _calendar(year)
    on_work, on_weekend, on_holiday = _rates(meter.kind, hour)
    weekend = np.asarray((days + date(year, 1, 1).weekday()) % 7 >= 5)
    if meter.kind == "school":
        mean = np.where(school, on_work, 0.0)
    else:
        mean = np.where(working, on_work, np.where(weekend, on_weekend, on_holiday))
    mean = mean * meter.scale
    draws = rng.poisson(mean / meter.draw_l)
    litres = draws * meter.draw_l * rng.lognormal(0, 0.25, HOURS)

    night = (hour >= 23) | (hour < 5)
    litres += night * (rng.random(HOURS) < meter.night_draw) * rng.uniform(6, 15, HOURS)
    if meter.kind in ("office", "school", "sports"):
        cleaning = working & (hour == 5)
        litres += cleaning * rng.uniform(40, 120, HOURS) * meter.scale
    if meter.kind in ("school", "sports"):
        monday = (days + date(year, 1, 1).weekday()) % 7 == 0
        litres += (monday & (hour == 3)) * 300.0

    irrigate = _irrigation_nights(rng, year)
    tonight = irrigate[days]
    after_midnight = np.concatenate([[False], irrigate[:-1]])[days]
    if meter.kind == "irrigation":
        running = (tonight & (hour >= 22)) | (after_midnight & (hour < 5))
        litres += running * rng.uniform(400, 800) * rng.uniform(0.9, 1.1, HOURS)
    elif meter.garden:
        litres += (after_midnight & (hour == 4)) * rng.uniform(150, 300)
    if meter.kind == "fountain":
        litres += _fountain(rng, days, hour, year)

    if meter.leak_start_hour is not None:
        leaking = np.arange(HOURS) >= meter.leak_start_hour
        litres += leaking * meter.leak_l_per_h * rng.uniform(0.9, 1.1, HOURS)
    return np.asarray(litres)


def _fountain(rng: np.random.Generator, days: NDArray[np.int64], hour: Array, year: int) -> Array:
    start = date(year, 1, 1)
    months = np.array([(start + timedelta(days=int(d))).month for d in range(HOURS // 24)])
    season = (months[days] >= 4) & (months[days] <= 10)
    summer = np.sin(np.pi * (days - 90) / 215).clip(0, None)
    loss = season * (3 + 12 * summer * (0.6 + 0.8 * _bump(hour, 14, 3.5)))  # l/h evaporated
    litres = np.zeros(HOURS)
    level = 0.0
    for i in np.flatnonzero(season):  # a float valve: refill 150 l once it is missing
        level += loss[i] * rng.uniform(0.7, 1.3)
        if level >= 150:
            litres[i] += level
            level = 0.0
    first_days = np.flatnonzero(season & (np.roll(months[days], 24) != months[days]) & (hour == 0))
    for i in first_days:  # monthly cleaning: 8 m³ over 4 hours in the morning
        litres[i + 8 : i + 12] += 2000.0
    return litres


@dataclass(frozen=True)
class Readings:
    """What the meter sent: counter readings (litres) at UTC-like seconds of the year."""

    times_s: Array
    counter_l: Array


def meter_readings(
    litres: Array, meter: Meter, *, rng: np.random.Generator, start_s: float = 0.0
) -> Readings:
    """Counter readings every 15 minutes, in whole pulses, with lost transmissions."""
    quarter = np.repeat(litres / 4, 4)
    counter = np.floor(np.cumsum(quarter) / meter.resolution_l) * meter.resolution_l
    times = start_s + 900.0 * (np.arange(quarter.size, dtype=np.float64) + 1)
    keep = np.ones(quarter.size, dtype=bool)
    for day in np.flatnonzero(rng.random(HOURS // 24) < meter.gap_rate):
        begin = day * 96 + int(rng.integers(0, 96))
        keep[begin : begin + 4 * int(rng.integers(1, 7))] = False
    return Readings(times[keep], counter[keep] + 1000.0 * rng.uniform(100, 5000))


def fleet(
    rng: np.random.Generator,
    count: int,
    *,
    kinds: tuple[str, ...] = KINDS,
    scale: tuple[float, float] = (0.5, 2.0),
    night_draw: tuple[float, float] = (0.005, 0.04),
    coarse_share: float = 0.3,
) -> list[Meter]:
    """``count`` meters of mixed kinds with drawn parameters (a generated data set)."""
    meters = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        meters.append(
            Meter(
                kind=kind,
                scale=float(rng.uniform(*scale)),
                draw_l=float(rng.uniform(5, 12)),
                night_draw=float(rng.uniform(*night_draw)),
                garden=bool(kind in ("office", "school") and rng.random() < 0.4),
                resolution_l=10.0 if rng.random() < coarse_share else 1.0,
            )
        )
    return meters


def with_leak(meter: Meter, start_hour: int, litres_per_hour: float = 30.0) -> Meter:
    return replace(meter, leak_start_hour=start_hour, leak_l_per_h=litres_per_hour)
