"""FAO-56 Penman-Monteith ET0: the paper's worked examples, pyet on a year of real weather,
and the fallbacks flagged per value."""

from __future__ import annotations

import numpy as np
import pytest

from allmende.modules.water import et0
from allmende.modules.water import weather_files as wf

pytestmark = pytest.mark.unit


def test_example_17_bangkok_april_gives_5_72_mm_per_day() -> None:
    # Monthly means; Rs from 8.5 h of sunshine, G from the change of the monthly temperature.
    result = et0.et0_daily(
        tmax=34.8,
        tmin=25.6,
        latitude=13 + 44 / 60,
        elevation=2,
        day_of_year=105,
        sunshine_hours=8.5,
        wind_2m=2.0,
        ea=2.85,
        soil_heat=0.14,
    )
    assert round(float(result.values), 2) == 5.72
    assert result.flag_names(()) == ["radiation from sunshine hours (FAO-56 eq. 35)"]


def test_example_18_uccle_6_july_gives_3_9_mm_per_day() -> None:
    result = et0.et0_daily(
        tmax=21.5,
        tmin=12.3,
        latitude=50 + 48 / 60,
        elevation=100,
        day_of_year=187,
        sunshine_hours=9.25,
        wind_2m=et0.wind_at_2m(10 / 3.6, 10),  # 10 km/h at 10 m
        rh_max=84,
        rh_min=63,
    )
    assert round(float(result.values), 1) == 3.9


def test_example_19_hourly_gives_0_63_by_day_and_0_by_night() -> None:
    # N'Diaye, Senegal, 1 October. FAO-56 counts clock time from Lz = 15° W, i.e. UTC-1:
    # the example's 14-15 h and 2-3 h are 15-16 h and 3-4 h UTC.
    starts = np.array(["2021-10-01T15:00", "2021-10-01T03:00"], dtype="datetime64[s]")
    ra, _, _ = et0.extraterrestrial_hourly(16 + 13 / 60, -(16 + 15 / 60), starts)
    assert round(float(ra[0]), 3) == 3.543
    result = et0.et0_hourly(
        temperature=np.array([38.0, 28.0]),
        start_utc=starts,
        latitude=16 + 13 / 60,
        longitude=-(16 + 15 / 60),
        elevation=8,
        rh=np.array([52.0, 90.0]),
        rs=np.array([2.450, 0.0]),
        wind_2m=np.array([3.3, 1.9]),
        night_ratio=0.8,
    )
    assert np.round(result.values, 2).tolist() == [0.63, 0.0]
    assert result.flags.tolist() == [0, 0]


@pytest.fixture(scope="module")
def mannheim() -> wf.DailyWeather:
    pytest.importorskip("teaser", reason="the Mannheim TRY ships in the teaser package")
    return wf.mannheim_try().days()


def test_a_year_of_mannheim_agrees_with_pyet_within_0_01_mm(mannheim: wf.DailyWeather) -> None:
    pyet = pytest.importorskip("pyet")
    pd = pytest.importorskip("pandas")
    index = pd.date_range("2010-01-01", periods=mannheim.tmax.size, freq="D")

    def series(values: np.ndarray) -> object:
        return pd.Series(values, index)

    reference = pyet.pm_fao56(
        series((mannheim.tmax + mannheim.tmin) / 2),
        series(mannheim.wind_2m),
        rs=series(mannheim.rs),
        tmax=series(mannheim.tmax),
        tmin=series(mannheim.tmin),
        rhmax=series(mannheim.rh_max),
        rhmin=series(mannheim.rh_min),
        pressure=series(mannheim.pressure),
        elevation=mannheim.station.elevation,
        lat=np.radians(mannheim.station.latitude),
    ).to_numpy()
    ours = mannheim.et0()
    assert ours.size == 365
    assert float(np.abs(ours - reference).max()) < 0.01
    assert 600 < ours.sum() < 900  # mm a year: a plausible Upper Rhine value


def test_missing_radiation_and_humidity_fall_back_per_value(mannheim: wf.DailyWeather) -> None:
    rs = mannheim.rs.copy()
    rh_min = mannheim.rh_min.copy()
    rs[10:20] = np.nan
    rh_min[100:110] = np.nan
    rh_max = mannheim.rh_max.copy()
    rh_max[100:110] = np.nan
    result = et0.et0_daily(
        tmax=mannheim.tmax,
        tmin=mannheim.tmin,
        latitude=mannheim.station.latitude,
        elevation=mannheim.station.elevation,
        day_of_year=mannheim.day_of_year,
        rs=rs,
        wind_2m=mannheim.wind_2m,
        rh_max=rh_max,
        rh_min=rh_min,
        pressure=mannheim.pressure,
    )
    flags = result.flags
    assert set(np.flatnonzero(flags & et0.RADIATION_FROM_TEMPERATURE)) == set(range(10, 20))
    assert set(np.flatnonzero(flags & et0.HUMIDITY_FROM_TMIN)) == set(range(100, 110))
    assert np.all(np.isfinite(result.values))
    # Hargreaves' radiation is an estimate, not a copy: within a few tenths of a mm here.
    complete = mannheim.et0()
    assert float(np.abs(result.values[10:20] - complete[10:20]).max()) < 1.0
    untouched = np.setdiff1d(np.arange(365), np.r_[10:20, 100:110])
    assert np.allclose(result.values[untouched], complete[untouched])


def test_missing_wind_takes_two_metres_per_second() -> None:
    wind = np.array([3.0, np.nan])
    result = et0.et0_daily(
        tmax=25.0, tmin=12.0, latitude=49.5, elevation=100, day_of_year=180, rs=25.0,
        rh_mean=60.0, wind_2m=wind,
    )  # fmt: skip
    assert result.flags.tolist() == [0, et0.WIND_DEFAULT]
    explicit = et0.et0_daily(
        tmax=25.0, tmin=12.0, latitude=49.5, elevation=100, day_of_year=180, rs=25.0,
        rh_mean=60.0, wind_2m=2.0,
    )  # fmt: skip
    assert result.values[1] == pytest.approx(float(explicit.values))


def test_hourly_values_sum_to_about_the_daily_value(mannheim: wf.DailyWeather) -> None:
    year = wf.mannheim_try()
    july = slice(181 * 24, 212 * 24)
    starts = np.datetime64("2010-01-01T00:00", "s") + np.arange(8760) * np.timedelta64(3600, "s")
    # The TRY's hours are CET (UTC+1): an hour labelled h began at h-1 UTC.
    hourly = et0.et0_hourly(
        temperature=year.temperature[july],
        start_utc=starts[july] - np.timedelta64(3600, "s"),
        latitude=year.station.latitude,
        longitude=year.station.longitude,
        elevation=year.station.elevation,
        rh=year.humidity[july],
        rs=year.radiation[july],
        wind_2m=et0.wind_at_2m(year.wind[july], 10),
        pressure=year.pressure[july],
    )
    daily = mannheim.et0()[181:212]
    assert hourly.values.sum() == pytest.approx(daily.sum(), rel=0.12)
