"""The daily bucket: FAO-56 chapter 8 by hand for one plant, the water balance closes, probe
readings pull the state and reduce its uncertainty, trees' parameters by age."""

from __future__ import annotations

import numpy as np
import pytest

from allmende.modules.water import balance

pytestmark = pytest.mark.unit


def one_plant(**changes: object) -> balance.Plants:
    values: dict[str, object] = {
        "area_m2": np.array([10.0]),
        "coefficient": np.array([0.5]),
        "taw_l": np.array([100.0]),
        "depletion_fraction": np.array([0.5]),
        "catchment_m2": np.array([4.0]),
        "station": np.array([0]),
    }
    values.update(changes)
    return balance.Plants(**values)  # type: ignore[arg-type]


def test_one_plant_by_hand() -> None:
    et0 = np.array([[4.0, 4.0, 4.0, 1.0]])
    rain = np.array([[0.0, 0.0, 0.0, 11.0]])
    result = balance.run(one_plant(), et0=et0, rain=rain, keep=np.array([0]))
    # Days 1-3: 0.5 · 4 mm · 10 m² = 20 l each, Ks = 1 until Dr passes RAW = 50 l.
    # Day 4 starts at 60 l: Ks = (100 − 60) / 50 = 0.8, ETa = 0.8 · 0.5 · 1 · 10 = 4 l;
    # rain (11 − 1 mm interception) · 4 m² = 40 l → 60 + 4 − 40 = 24 l.
    assert result.history[:, 0].tolist() == pytest.approx([20.0, 40.0, 60.0, 24.0])
    assert result.actual_l[0] == pytest.approx(64.0)
    assert result.demand_l[0] == pytest.approx(65.0)
    assert result.shortfall_l[0] == pytest.approx(1.0)
    assert result.rain_l[0] == pytest.approx(40.0)


def test_rain_below_a_fifth_of_et0_evaporates() -> None:
    result = balance.run(one_plant(), et0=np.array([[5.0]]), rain=np.array([[0.9]]))
    assert result.rain_l[0] == 0.0


def test_water_beyond_field_capacity_drains_and_the_balance_closes() -> None:
    rng = np.random.default_rng(1)
    n, days = 50, 60
    plants = one_plant(
        area_m2=rng.uniform(5, 40, n),
        coefficient=rng.uniform(0.2, 0.9, n),
        taw_l=rng.uniform(100, 2000, n),
        depletion_fraction=np.full(n, 0.5),
        catchment_m2=rng.uniform(2, 20, n),
        station=rng.integers(0, 3, n),
    )
    et0 = rng.uniform(0.5, 6, (3, days))
    rain = np.where(rng.random((3, days)) < 0.3, rng.exponential(8, (3, days)), 0.0)
    supplies = balance.Supplies.of(
        rng.integers(0, days, 40), rng.integers(0, n, 40), rng.uniform(50, 300, 40)
    )
    start = rng.uniform(0, 100, n)
    result = balance.run(plants, et0=et0, rain=rain, supplies=supplies, initial_depletion_l=start)
    # end = start + ETa − rain − watering + drained
    closing = start + result.actual_l - result.rain_l - result.supplied_l + result.drained_l
    assert np.allclose(closing, result.depletion_l)
    assert (result.depletion_l >= 0).all() and (result.depletion_l <= plants.taw_l).all()
    assert result.supplied_l.sum() == pytest.approx(supplies.litres.sum())


def test_a_reading_pulls_the_state_by_the_kalman_gain() -> None:
    et0 = np.full((1, 10), 4.0)
    rain = np.zeros((1, 10))
    free = balance.run(one_plant(), et0=et0, rain=rain, keep=np.array([0]))
    readings = balance.Readings.of([4], [0], [0.9], [0.05])
    pulled = balance.run(one_plant(), et0=et0, rain=rain, readings=readings, keep=np.array([0]))
    prior = pulled.prior_at_readings[0]
    assert prior == pytest.approx(free.history[4, 0] / 100)
    after = pulled.history[4, 0] / 100
    assert prior < after < 0.9
    # σ² grew from 0.04 by (0.25 · ΣETa / TAW)² and 0.02² for each of the five days;
    # the gain is σ² / (σ² + 0.05²).
    used = float(free.history[4, 0])  # no rain: the depletion is the water used
    variance = 0.04 + (0.25 * used / 100) ** 2 + 5 * 0.02**2
    gain = variance / (variance + 0.05**2)
    assert after == pytest.approx(prior + gain * (0.9 - prior))
    assert pulled.variance[0] < free.variance[0]
    assert pulled.corrections_l[0] == pytest.approx((after - prior) * 100)


def test_waterings_are_applied_on_their_day() -> None:
    supplies = balance.Supplies.of([2, 0], [0, 0], [30.0, 10.0])  # given out of order
    result = balance.run(
        one_plant(), et0=np.full((1, 3), 2.0), rain=np.zeros((1, 3)), supplies=supplies,
        initial_depletion_l=50.0, keep=np.array([0]),
    )  # fmt: skip
    # Day 1: +10 − 10; day 2 at Ks 1: 60; day 3 starts above RAW (Ks 0.8): 60 + 8 − 30.
    assert result.history[:, 0].tolist() == pytest.approx([50.0, 60.0, 38.0])


def test_young_trees_hold_little_water_and_old_trees_root_beyond_the_pit() -> None:
    traits = balance.TreeTraits(
        species_factor=np.array([0.5, 0.5, 0.5]),
        age_years=np.array([1.0, 5.0, 60.0]),
        crown_diameter_m=np.array([np.nan, np.nan, 14.0]),
        pit_volume_m3=np.full(3, 12.0),
        open_area_m2=np.full(3, 6.0),
        sealed_share=np.full(3, 1.0),
        microclimate=np.full(3, 1.2),
        available_water=0.15,
        station=np.zeros(3, dtype=np.int64),
    )
    plants = balance.tree_plants(traits)
    volume = plants.taw_l / 150  # m³
    assert volume[0] == pytest.approx(0.65)  # ball 0.3 + 0.35 · 1
    assert volume[1] == pytest.approx(0.3 + 0.35 * 5**1.5)
    assert volume[2] == pytest.approx(np.pi * 7**2 * 0.8)
    assert plants.coefficient.tolist() == pytest.approx([0.6, 0.6, 0.6])
    crown = np.pi * 49
    assert plants.catchment_m2[2] == pytest.approx(6 + (crown - 6) * 0.15)
