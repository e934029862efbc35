"""The leak detector on generated consumption: a 0.5 l/min leak found within two nights,
at most one false alarm per meter-year, on a data set it was not tuned on.

The detector's thresholds were set on the first set (seed 1); the second (seed 2) draws other
buildings (sizes 0.3-3×, twice the night draws, half the meters counting in 10-l pulses)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from allmende.modules.water import consumption, leaks, meters

pytestmark = pytest.mark.unit

METERS = 10  # per set; bench/water.py runs more


@dataclass(frozen=True)
class Outcome:
    false_alarms: int
    nights_to_find: list[int]


def run(meter: consumption.Meter, seed: tuple[int, ...]) -> list[leaks.Alarm]:
    use = consumption.hourly_use(meter, year=2025, rng=np.random.default_rng(seed))
    sent = consumption.meter_readings(use, meter, rng=np.random.default_rng([*seed, 1]))
    hourly = meters.from_counter(sent.times_s, sent.counter_l)
    hour = hourly.start_s // 3600
    return leaks.detect(hourly.measured, hour // 24, hour % 24)[1]


def evaluate(seed: int, **fleet: object) -> Outcome:
    rng = np.random.default_rng(seed)
    false_alarms, found = 0, []
    for i, meter in enumerate(consumption.fleet(rng, METERS, **fleet)):  # type: ignore[arg-type]
        false_alarms += len(run(meter, (seed, i)))
        start = int(np.random.default_rng([seed, i, 2]).integers(60 * 24, 330 * 24))
        alarms = run(consumption.with_leak(meter, start), (seed, i))
        after = [a.night for a in alarms if a.night * 24 + leaks.NIGHT_END_HOUR > start]
        first_complete_night = -(-start // 24)  # the first night that starts after the leak
        found.append(after[0] - first_complete_night + 1 if after else 99)
    return Outcome(false_alarms, found)


@pytest.mark.parametrize(
    ("seed", "fleet"),
    [
        (1, {}),
        (2, {"scale": (0.3, 3.0), "night_draw": (0.01, 0.08), "coarse_share": 0.5}),
    ],
    ids=["tuning-set", "validation-set"],
)
def test_a_half_litre_a_minute_leak_is_found_within_two_nights(seed: int, fleet: dict) -> None:
    outcome = evaluate(seed, **fleet)
    assert max(outcome.nights_to_find) <= 2
    assert outcome.false_alarms <= METERS  # at most one per meter-year


def test_an_alarm_says_since_when_water_flows() -> None:
    meter = consumption.with_leak(consumption.Meter("office"), 200 * 24 + 13)
    alarms = run(meter, (7,))
    assert len(alarms) == 1
    alarm = alarms[0]
    assert alarm.night == 202
    assert 200 * 24 + 13 - 6 <= alarm.since_hour <= 200 * 24 + 24
    assert alarm.night_minimum_l_per_h >= 20 and alarm.usual_night_minimum_l_per_h == 0


def test_irrigation_nights_are_no_leak() -> None:
    alarms = run(consumption.Meter("irrigation"), (11,))
    assert alarms == []
    use = consumption.hourly_use(
        consumption.Meter("irrigation"), year=2025, rng=np.random.default_rng(11)
    )
    nights = use.reshape(-1, 24)[:, 2] > 100
    assert (nights[:-1] & nights[1:]).sum() > 10  # it runs on many nights in a row
