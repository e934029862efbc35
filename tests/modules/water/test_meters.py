"""Counter readings to hourly litres: resets, roll-overs and gaps."""

from __future__ import annotations

import numpy as np
import pytest

from allmende.modules.water import meters

pytestmark = pytest.mark.unit

H = 3600.0


def test_a_steady_counter_gives_its_hourly_use() -> None:
    times = np.arange(0, 5) * H
    result = meters.from_counter(times, 1000 + 50 * np.arange(5))
    assert result.litres.tolist() == [50.0] * 4
    assert result.flags.tolist() == [0] * 4
    assert result.start_s.tolist() == [0, 3600, 7200, 10800]


def test_a_reset_counts_the_new_reading_and_a_rollover_the_modulus() -> None:
    times = np.arange(0, 5) * H
    reset = meters.from_counter(times, [5000.0, 5040.0, 30.0, 70.0, 110.0])
    assert reset.litres.tolist() == [40.0, 30.0, 40.0, 40.0]
    assert reset.flags[1] == meters.RESET
    rolled = meters.from_counter(
        times, [99_900.0, 99_960.0, 20.0, 80.0, 140.0], rollover_l=100_000.0
    )
    assert rolled.litres.tolist() == [60.0, 60.0, 60.0, 60.0]
    assert rolled.flags[1] == meters.ROLLOVER


def test_an_implausible_reset_leaves_the_hour_unknown() -> None:
    times = np.arange(0, 4) * H
    result = meters.from_counter(times, [5000.0, 5040.0, 4000.0, 4040.0], max_flow_l_per_h=1000)
    assert np.isnan(result.litres[1])
    assert result.flags[1] & meters.UNKNOWN
    assert result.litres[2] == 40.0


def test_a_gap_spreads_its_use_evenly_and_is_flagged() -> None:
    times = np.array([0, 1, 5, 6]) * H
    result = meters.from_counter(times, [0.0, 10.0, 90.0, 100.0])
    assert result.litres.tolist() == [10.0, 20.0, 20.0, 20.0, 20.0, 10.0]
    assert result.flags.tolist() == [0, 1, 1, 1, 1, 0]
    assert np.isnan(result.measured[1:5]).all()


def test_flow_readings_average_per_hour_and_fill_short_gaps() -> None:
    times = np.array([0, 900, 1800, 2700, 7200, 8100, 36_000]) * 1.0
    flow = np.array([100.0, 100, 200, 200, 60, 60, 30])
    result = meters.from_flow(times, flow)
    assert result.litres[0] == 150.0 and result.litres[2] == 60.0
    assert result.flags[1] == meters.ESTIMATED and result.litres[1] == pytest.approx(105.0)
    assert result.flags[4] == meters.ESTIMATED  # two hours from a reading
    assert result.flags[6] & meters.UNKNOWN  # four hours from any reading
    assert np.isnan(result.litres[6])


def test_daily_totals_count_estimated_hours() -> None:
    from zoneinfo import ZoneInfo

    start = 1_767_222_000  # 2025-12-31 23:00 UTC = 2026-01-01 00:00 in Berlin
    times = start + np.arange(0, 49) * H
    result = meters.from_counter(times, np.arange(49) * 10.0)
    days, months = meters.local_labels(result.start_s, ZoneInfo("Europe/Berlin"))
    totals = meters.totals(result, days)
    assert [(t.label, t.litres, t.hours) for t in totals] == [
        ("2026-01-01", 240.0, 24),
        ("2026-01-02", 240.0, 24),
    ]
    assert meters.totals(result, months)[0].label == "2026-01"
