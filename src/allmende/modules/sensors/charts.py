"""Charts drawn on the server as inline SVG: they need no JavaScript, print well and carry a
title, a description and a data table for screen readers (see ``templates/sensors/_chart.html``).

Only geometry is computed here; the template writes the SVG.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from allmende.modules.sensors.catalogue import LOCAL_ZONE

WIDTH = 720
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 60, 16, 12, 30


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    plot_width: int = WIDTH - LEFT - RIGHT
    plot_height: int = HEIGHT - TOP - BOTTOM
    lines: list[str] = field(default_factory=list)  # SVG path data, one per unbroken run
    band: list[str] = field(default_factory=list)  # polygons: the range of each run
    bars: list[tuple[float, float, float, float]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    empty: bool = True


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[low, high]`` (1, 2, 2.5 or 5 times a power of ten)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0]
    if high - low <= 1e-9 * max(1.0, abs(low), abs(high)):  # one value: a band around it
        pad = max(1.0, abs(high) / 10)
        if not (math.isfinite(low - pad) and math.isfinite(high + pad)):
            return [low]
        low, high = low - pad, high + pad
    raw = (high - low) / max(1, count - 1)
    if not math.isfinite(raw) or raw <= 0:  # beyond float's range
        return [low]
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    if not (math.isfinite(step) and math.isfinite(first)):  # near float's largest values
        return [low, high]
    ticks = []
    # ``count`` steps cover the range; the bound keeps rounding from adding ticks forever.
    for n in range(2 * count + 2):
        value = first + n * step
        if value >= high + step * 0.999 or not math.isfinite(value):
            break
        ticks.append(round(value, 10))
    return ticks


def _x_ticks(start: datetime, end: datetime) -> list[datetime]:
    span = end - start
    local_start = start.astimezone(LOCAL_ZONE)
    if span <= timedelta(days=1):
        every = timedelta(hours=6)
        first = local_start.replace(minute=0, second=0, microsecond=0)
        first += timedelta(hours=(6 - first.hour % 6) % 6)
    else:
        every = timedelta(days=1 if span <= timedelta(days=8) else 5)
        first = local_start.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    ticks = []
    moment = first
    while moment <= end:
        ticks.append(moment)
        # Local midnights stay midnights across a change of summer time.
        moment = (moment + every).replace(tzinfo=None).replace(tzinfo=LOCAL_ZONE)
    return ticks


def build(
    *,
    start: datetime,
    end: datetime,
    points: Sequence[tuple[datetime, float]],
    low: Sequence[float] | None = None,
    high: Sequence[float] | None = None,
    style: str = "line",
    step: timedelta | None = None,
    number: Callable[[float, int], str] = lambda value, decimals: f"{value:.{decimals}f}",
) -> Chart:
    """The geometry of a time chart of ``points`` over ``[start, end]``.

    A gap longer than three sampling intervals breaks the line, so missing data is not drawn
    as a straight slope. ``low``/``high`` add a shaded range (of hourly aggregates).
    """
    chart = Chart()
    if not points:
        return chart
    chart.empty = False
    values = [v for _, v in points]
    lo = min(low) if low else min(values)
    hi = max(high) if high else max(values)
    if style == "bar":  # amounts (rain, energy): the axis starts at zero, a dry day at 0…1
        lo = min(0.0, lo)
        hi = max(hi, lo + 1.0)
    ticks = nice_ticks(lo, hi)
    y0, y1 = ticks[0], ticks[-1]
    total = (end - start).total_seconds() or 1.0

    def x(moment: datetime) -> float:
        return round(chart.left + chart.plot_width * (moment - start).total_seconds() / total, 1)

    def y(value: float) -> float:
        share = (value - y0) / (y1 - y0) if y1 > y0 else 0.5
        return round(chart.top + chart.plot_height * (1 - share), 1)

    spacing_y = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    # As many decimals as the step needs (0.25 is labelled 0.25, not 0.2).
    decimals = next(d for d in range(6) if abs(round(spacing_y, d) - spacing_y) < 1e-9 or d == 5)
    chart.y_ticks = [(y(t), number(t, decimals)) for t in ticks]
    chart.x_ticks = [
        (x(t), t.strftime("%H:%M") if end - start <= timedelta(days=1) else t.strftime("%d.%m."))
        for t in _x_ticks(start, end)
    ]
    if style == "bar":
        interval = step or (
            min((b[0] - a[0] for a, b in itertools.pairwise(points)), default=None)
            or timedelta(minutes=15)
        )
        width = max(1.0, chart.plot_width * interval.total_seconds() / total - 0.5)
        base = y(max(0.0, y0))
        for moment, value in points:
            top = y(value)
            chart.bars.append(
                (x(moment), min(top, base), round(width, 1), round(abs(base - top), 1))
            )
        return chart
    runs: list[list[int]] = [[0]]
    spacing = step or _typical_spacing(points)
    for index in range(1, len(points)):
        if points[index][0] - points[index - 1][0] > spacing * 3:
            runs.append([])
        runs[-1].append(index)
    xs = [x(moment) for moment, _ in points]  # each once: the line and the band share them
    for run in runs:
        chart.lines.append("M" + " L".join(f"{xs[i]},{y(points[i][1])}" for i in run))
        if low is not None and high is not None and len(run) > 1:
            upper = [f"{xs[i]},{y(high[i])}" for i in run]
            lower = [f"{xs[i]},{y(low[i])}" for i in reversed(run)]
            chart.band.append(" ".join(upper + lower))
    return chart


def _typical_spacing(points: Sequence[tuple[datetime, float]]) -> timedelta:
    gaps = sorted(b[0] - a[0] for a, b in itertools.pairwise(points))
    return gaps[len(gaps) // 2] if gaps else timedelta(hours=1)
