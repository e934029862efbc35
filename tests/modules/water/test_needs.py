"""Status ok/soon/now and the litres a tree needs."""

from __future__ import annotations

import numpy as np
import pytest

from allmende.modules.water import balance, needs, soil

pytestmark = pytest.mark.unit


def plants(n: int) -> balance.Plants:
    return balance.Plants(
        area_m2=np.full(n, 10.0),
        coefficient=np.full(n, 0.6),
        taw_l=np.full(n, 1000.0),
        depletion_fraction=np.full(n, 0.5),
        catchment_m2=np.full(n, 5.0),
        station=np.zeros(n, dtype=np.int64),
    )


def test_status_from_the_bands_and_the_forecast() -> None:
    # Depletion 0.2 (good), 0.6 (medium), 0.8 (critical), 0.45 (good, but a hot week ahead).
    depletion = np.array([200.0, 600.0, 800.0, 450.0])
    p = plants(4)
    taw = p.taw_l.copy()
    taw[0] = 10_000  # a big old tree: a week of heat does not matter
    p = balance.Plants(p.area_m2, p.coefficient, taw, p.depletion_fraction, p.catchment_m2,
                       p.station)  # fmt: skip
    depletion[0] = 2000.0
    result = needs.assess(
        p,
        depletion_l=depletion,
        age_years=np.array([40.0, 3.0, 8.0, 3.0]),
        et0_forecast=np.full((1, 14), 8.0),
        rain_forecast=np.zeros((1, 14)),
    )
    assert result.band.tolist() == [soil.GOOD, soil.MEDIUM, soil.CRITICAL, soil.GOOD]
    assert [needs.STATUSES[s] for s in result.status] == ["ok", "soon", "now", "soon"]
    assert result.critical_in_days[3] >= 0 and result.critical_in_days[0] == -1
    # Need: back to 40 % of TAW; dose: at most 100 l (young) or 200 l (5-15 years).
    assert result.need_l.tolist() == pytest.approx([0.0, 200.0, 400.0, 50.0])
    assert result.dose_l.tolist() == pytest.approx([0.0, 100.0, 200.0, 50.0])
    assert result.forecast_kpa.shape == (14, 4)


def test_rain_in_the_forecast_keeps_a_tree_ok() -> None:
    result = needs.assess(
        plants(1),
        depletion_l=np.array([450.0]),
        age_years=np.array([10.0]),
        et0_forecast=np.full((1, 7), 5.0),
        rain_forecast=np.full((1, 7), 8.0),
    )
    assert needs.STATUSES[result.status[0]] == "ok"


def test_climatology_from_earlier_years_else_the_recent_mean() -> None:
    doy = np.r_[np.arange(1, 366), np.arange(1, 200)]
    years = np.r_[np.full(365, 2025), np.full(199, 2026)]
    values = np.r_[np.where(np.arange(1, 366) < 180, 1.0, 5.0), np.full(199, 9.0)]
    out, source = needs.climatology(
        doy, values, years=years, target_day_of_year=[100, 250], current_year=2026
    )
    assert source == "years" and out.tolist() == [1.0, 5.0]
    out, source = needs.climatology(
        doy[365:], values[365:], years=years[365:], target_day_of_year=[200], current_year=2026
    )
    assert source == "recent" and out.tolist() == [9.0]
