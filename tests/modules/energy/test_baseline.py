"""CalTRACK baselines: the daily change-point model against eemeter (the CalTRACK reference
implementation) on the same data, the hourly TOWT model, fit statistics and savings."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

from allmende.modules.energy import baseline

pytestmark = pytest.mark.unit


def _year(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    day = np.arange(365)
    t = 10 - 11 * np.cos(2 * np.pi * (day - 15) / 365) + rng.normal(0, 3, 365)
    usage = 120 + 9 * np.clip(15 - t, 0, None) + 6 * np.clip(t - 22, 0, None)
    return t, usage + rng.normal(0, 10, 365)


def test_daily_model_finds_the_change_points() -> None:
    t, usage = _year()
    model = baseline.fit_daily(t, usage)
    assert model.kind == "hdd_cdd"
    assert model.heating_balance == 15.0
    assert model.beta_hdd == pytest.approx(9.0, rel=0.05)
    assert model.fit.meets("daily")
    assert abs(model.fit.nmbe) < 1e-6  # least squares with an intercept: no bias


def test_daily_model_agrees_with_eemeter() -> None:
    """Tolerance: every day's prediction within 2 % of the mean daily usage, the year's total
    within 0.1 %, the heating slope within 2 % and its balance point within 0.5 K of
    eemeter's CalTRACK 2.0 ("legacy") daily model."""
    from eemeter import eemeter as ee

    t, usage = _year()
    ours = baseline.fit_daily(t, usage)
    days = pd.date_range("2023-01-01", periods=365, freq="D", tz="Europe/Berlin")
    frame = pd.DataFrame({"observed": usage, "temperature": t * 9 / 5 + 32}, index=days)
    logging.getLogger("eemeter").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = ee.DailyBaselineData(frame, is_electricity_data=False)
        model = ee.DailyModel(model="legacy").fit(data, ignore_disqualification=True)
        predicted = model.predict(ee.DailyReportingData(frame, is_electricity_data=False))
    theirs = predicted["predicted"].to_numpy()
    coefficients = next(iter(model.to_dict()["submodels"].values()))["coefficients"]
    assert np.abs(theirs - ours.predict(t)).max() < 0.02 * usage.mean()
    assert theirs.sum() == pytest.approx(ours.predict(t).sum(), rel=1e-3)
    assert coefficients["hdd_beta"] * 9 / 5 == pytest.approx(ours.beta_hdd, rel=0.02)
    assert (coefficients["hdd_bp"] - 32) * 5 / 9 == pytest.approx(ours.heating_balance, abs=0.5)


def test_too_few_days_give_no_baseline_and_say_why() -> None:
    t, usage = _year()
    usage[:100] = np.nan
    with pytest.raises(baseline.NotEnoughData) as raised:
        baseline.fit_daily(t, usage)
    assert raised.value.reason == (
        "265 days with both usage and temperature; a baseline needs at least 328"
    )


def test_hourly_towt_model_fits_an_office_load() -> None:
    rng = np.random.default_rng(5)
    hours = np.arange(24 * 7 * 20)
    how = hours % 168
    t = 8 + 8 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 1, len(hours))
    working = ((how // 24) < 5) & ((how % 24) >= 7) & ((how % 24) < 18)
    usage = 20 + 40 * working + 1.5 * np.clip(12 - t, 0, None) + rng.normal(0, 3, len(hours))
    model = baseline.fit_hourly(how, t, usage)
    assert model.occupied[np.arange(168)[((np.arange(168) // 24) < 5)][9]]  # Monday 09:00
    assert not model.occupied[2]  # Monday 02:00
    assert model.fit.meets("hourly")
    assert np.abs(model.predict(how, t) - usage).mean() < 4.0


def test_savings_with_their_uncertainty() -> None:
    t, usage = _year()
    model = baseline.fit_daily(t, usage)
    t_next, usage_next = _year(seed=11)
    result = baseline.savings(model.fit, model.predict(t_next), 0.85 * usage_next)
    assert result.fraction == pytest.approx(0.15, abs=0.02)
    low, high = result.interval
    assert 0 < low < result.savings < high
    assert result.uncertainty < 0.1 * result.savings
