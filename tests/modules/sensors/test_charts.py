"""The geometry of the server-drawn charts."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allmende.modules.sensors.charts import build, nice_ticks

pytestmark = pytest.mark.unit
START = datetime(2026, 9, 1, tzinfo=UTC)


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    assert nice_ticks(3.2, 17.9) == [0.0, 5.0, 10.0, 15.0, 20.0]
    assert nice_ticks(0.0, 1.0) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert nice_ticks(5.0, 5.0) == [4.0, 4.5, 5.0, 5.5, 6.0]
    ticks = nice_ticks(36.1, 37.3)
    assert ticks[0] <= 36.1 and ticks[-1] >= 37.3 and len(ticks) <= 7


@given(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False),
)
def test_nice_ticks_of_any_finite_range_are_few_finite_and_ordered(a: float, b: float) -> None:
    """Any value a sensor sends: a constant 1e30 once divided by zero (a 500 on its page)."""
    low, high = min(a, b), max(a, b)
    ticks = nice_ticks(low, high)
    assert 1 <= len(ticks) <= 12
    assert all(math.isfinite(t) for t in ticks)
    assert ticks == sorted(ticks)


def test_one_huge_value_gets_a_band_around_it() -> None:
    ticks = nice_ticks(1e30, 1e30)
    assert ticks[0] < 1e30 < ticks[-1]


def test_a_line_breaks_at_gaps_and_stays_inside_the_plot() -> None:
    points = [(START + timedelta(hours=h), float(h)) for h in (*range(6), *range(12, 24))]
    chart = build(start=START, end=START + timedelta(days=1), points=points)
    assert len(chart.lines) == 2
    coordinates = [
        tuple(map(float, pair.split(",")))
        for line in chart.lines
        for pair in line.lstrip("M").split(" L")
    ]
    assert all(chart.left <= x <= chart.left + chart.plot_width for x, _ in coordinates)
    assert all(chart.top <= y <= chart.top + chart.plot_height for _, y in coordinates)
    assert [label for _, label in chart.y_ticks] == ["0", "10", "20", "30"]
    assert chart.x_ticks and all(label.endswith(":00") for _, label in chart.x_ticks)


def test_bars_start_at_zero_and_a_range_band() -> None:
    points = [(START + timedelta(hours=h), 2.0 if h % 3 == 0 else 0.0) for h in range(24)]
    bars = build(start=START, end=START + timedelta(days=1), points=points, style="bar")
    assert len(bars.bars) == 24 and not bars.lines
    heights = [h for _, _, _, h in bars.bars]
    assert max(heights) > 0 and min(heights) == 0
    band = build(
        start=START,
        end=START + timedelta(days=7),
        points=[(START + timedelta(hours=h), 10.0) for h in range(100)],
        low=[9.0] * 100,
        high=[11.0] * 100,
        step=timedelta(hours=1),
    )
    assert len(band.band) == 1 and band.x_ticks[0][1].endswith(".")


def test_a_dry_day_of_bars_has_an_axis_from_zero_to_one() -> None:
    points = [(START + timedelta(hours=h), 0.0) for h in range(24)]
    dry = build(start=START, end=START + timedelta(days=1), points=points, style="bar")
    assert [label for _, label in dry.y_ticks] == ["0.00", "0.25", "0.50", "0.75", "1.00"]


def test_nothing_to_draw() -> None:
    assert build(start=START, end=START + timedelta(days=1), points=[]).empty
