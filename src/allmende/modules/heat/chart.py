"""Geometry of the inline SVG chart of a station's UTCI: a line over the bands of the UTCI
classes (pure functions; the template draws it, the data also come as a table)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from allmende.modules.heat.catalogue import LOCAL_ZONE, UTCI_CLASSES, UtciClass

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 30


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    plot_width: int = WIDTH - LEFT - RIGHT
    plot_height: int = HEIGHT - TOP - BOTTOM
    line: str = ""
    bands: list[tuple[float, float, UtciClass]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    empty: bool = True


def build(
    times: Sequence[datetime], values: Sequence[float], *, number: Callable[[float, int], str]
) -> Chart:
    """A chart of ``values`` at ``times`` (a gap where two values lie more than 3 h apart)."""
    chart = Chart()
    if not values:
        return chart
    chart.empty = False
    low = math.floor(min(min(values), 20.0) / 5) * 5
    high = math.ceil(max(max(values), 30.0) / 5) * 5
    start, end = times[0].timestamp(), max(times[-1].timestamp(), times[0].timestamp() + 3600)

    def x(moment: datetime) -> float:
        return LEFT + (moment.timestamp() - start) / (end - start) * chart.plot_width

    def y(value: float) -> float:
        return TOP + (high - value) / (high - low) * chart.plot_height

    for c in UTCI_CLASSES:
        bottom = max(low, c.low if c.low is not None else low)
        top = min(high, c.high if c.high is not None else high)
        if top > bottom:
            chart.bands.append((round(y(top), 1), round(y(bottom) - y(top), 1), c))
    step = 5 if high - low <= 30 else 10
    chart.y_ticks = [(round(y(v), 1), number(v, 0)) for v in range(int(low), int(high) + 1, step)]
    path = []
    previous: datetime | None = None
    for moment, value in zip(times, values, strict=True):
        jump = previous is None or (moment - previous).total_seconds() > 3 * 3600
        path.append(f"{'M' if jump else 'L'}{x(moment):.1f},{y(value):.1f}")
        previous = moment
    chart.line = " ".join(path)
    days = sorted({t.astimezone(LOCAL_ZONE).date() for t in times})
    every = max(1, len(days) // 8)
    for day in days[::every]:
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=LOCAL_ZONE)
        if start <= noon.timestamp() <= end:
            chart.x_ticks.append((round(x(noon), 1), f"{day.day}.{day.month}."))
    return chart
