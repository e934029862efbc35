"""The hourly map: its physics, the kriging correction and the leave-one-station-out
comparison of model + correction, model alone and plain kriging of the stations."""

from __future__ import annotations

import gstools as gs
import numpy as np
import pytest

from allmende.modules.heat import gridmodel, synthetic
from tests.modules.heat.conftest import CENTRE, RADIUS, Town, summer_days

pytestmark = pytest.mark.unit


def paired_network(town: Town, seed: int) -> np.ndarray:
    """Stations as a town sites them: in five rings from the centre, two sectors each, a
    sealed and a green site per sector (the pairs show the land-cover contrast)."""
    grid, statics = town.grid, town.statics
    x, y = grid.centres()
    cx, cy = CENTRE
    distance = np.hypot(x[None, :] - cx, y[:, None] - cy) / RADIUS
    angle = np.arctan2(y[:, None] - cy, x[None, :] - cx)
    rng = np.random.default_rng(seed)
    picks = []
    for inner in (0.0, 0.2, 0.4, 0.6, 0.8):
        for _ in range(2):
            towards = rng.uniform(-np.pi, np.pi)
            sector = np.abs(np.angle(np.exp(1j * (angle - towards)))) < 0.6
            zone = town.cover.outdoor & (distance >= inner) & (distance < inner + 0.2) & sector
            cells = np.argwhere(zone)
            sealed = statics.impervious[zone]
            picks.append(cells[np.argmax(sealed)])
            picks.append(cells[np.argmin(sealed - statics.canopy[zone])])
    return np.array(picks)


def test_model_plus_correction_beats_model_and_interpolation(town: Town) -> None:
    """On a generated town whose real land-cover effects are 70 % of the model's and which
    has a smooth pattern of ±0.8 K the model cannot know, plus 0.3 K of sensor noise (see
    ``synthetic``): the model alone is biased, kriging the stations alone misses the contrast
    between neighbouring sites, the joined map has the smallest error."""
    cells = paired_network(town, seed=0)
    rows, cols = cells[:, 0], cells[:, 1]
    x = town.grid.west + (cols + 0.5) * town.grid.cell
    y = town.grid.north - (rows + 0.5) * town.grid.cell
    reference = gridmodel.Reference()  # a rural reference station outside the town
    hours = summer_days(2)
    modelled = np.array(
        [
            gridmodel.model_air_temperature(town.statics, w, reference, cells=(rows, cols))
            for w in hours
        ]
    )
    measured = np.array(
        [
            synthetic.true_air_temperature(
                town.statics, w, reference, hour_index=h, rows=rows, cols=cols, seed=0
            )
            for h, w in enumerate(hours)
        ]
    )
    result = gridmodel.leave_one_station_out(x, y, measured, modelled.astype(np.float64))
    print(
        f"\nLOSO RMSE/bias (K), {result.stations} stations, {result.hours} hours: "
        f"joined {result.joined.rmse:.2f}/{result.joined.bias:+.2f}, "
        f"model {result.model.rmse:.2f}/{result.model.bias:+.2f}, "
        f"interpolation {result.interpolation.rmse:.2f}/{result.interpolation.bias:+.2f}"
    )
    assert result.stations == 20 and result.hours == 48
    assert result.joined.n == result.model.n == result.interpolation.n == 20 * 48
    assert result.joined.rmse < result.model.rmse
    assert result.joined.rmse < result.interpolation.rmse
    assert abs(result.joined.bias) < abs(result.model.bias)


def test_the_centre_stays_warmer_than_the_park_at_night(town: Town) -> None:
    night = summer_days(1)[2]  # 02:00 UTC
    assert gridmodel.night_weight(night.elevation) == 1.0
    hour = gridmodel.hour_map(town.statics, night, gridmodel.Reference())
    park = town.layers.parks[1].centroid
    rows, cols = town.grid.cell_of(np.array([CENTRE[0], park.x]), np.array([CENTRE[1], park.y]))
    centre = np.nanmean(hour.ta[rows[0] - 5 : rows[0] + 5, cols[0] - 5 : cols[0] + 5])
    green = np.nanmean(hour.ta[rows[1] - 3 : rows[1] + 3, cols[1] - 3 : cols[1] + 3])
    assert centre - green > 1.5
    assert np.isnan(hour.ta[town.cover.buildings > 0]).all()
    assert np.isfinite(hour.utci[town.cover.outdoor]).all()


def test_shade_cools_utci_at_noon(town: Town) -> None:
    noon = summer_days(1)[11]
    hour = gridmodel.hour_map(town.statics, noon, gridmodel.Reference())
    outdoor = town.cover.outdoor
    sunny = outdoor & (hour.sunlit == 1)
    shaded = outdoor & (hour.sunlit == 0)
    assert sunny.sum() > 1000 and shaded.sum() > 1000
    assert np.nanmean(hour.utci[sunny]) - np.nanmean(hour.utci[shaded]) > 4
    assert np.nanmean(hour.tmrt[sunny]) - np.nanmean(hour.tmrt[shaded]) > 15


def test_the_correction_pulls_the_map_towards_the_stations(town: Town) -> None:
    weather = summer_days(1)[14]
    reference = gridmodel.Reference()
    plain = gridmodel.hour_map(town.statics, weather, reference)
    cx, cy = CENTRE
    x = np.array([cx - 1500, cx, cx + 1500, cx])
    y = np.array([cy, cy + 1500, cy, cy - 1500])
    rows, cols = town.grid.cell_of(x, y)
    modelled = gridmodel.model_air_temperature(town.statics, weather, reference, cells=(rows, cols))
    warmer = gridmodel.Stations(x, y, modelled.astype(np.float64) + 2.0)
    corrected = gridmodel.hour_map(town.statics, weather, reference, warmer)
    assert corrected.stations_used == 4
    assert corrected.residuals is not None
    assert corrected.residuals[rows, cols] == pytest.approx(2.0, abs=0.5)
    shift = corrected.ta - plain.ta
    assert np.nanmean(shift[town.cover.outdoor]) == pytest.approx(2.0, abs=0.3)


def test_kriging_needs_three_stations(town: Town) -> None:
    grid = town.grid
    none = gridmodel.krige_residuals(grid, np.array([]), np.array([]), np.array([]))
    assert none.shape == grid.shape and (none == 0).all()
    two = gridmodel.krige_residuals(
        grid,
        np.array([CENTRE[0], CENTRE[0] + 100]),
        np.array([CENTRE[1]] * 2),
        np.array([1.0, 2.0]),
    )
    assert (two == 1.5).all()
    gap = gridmodel.krige_residuals(
        grid, np.array([CENTRE[0]] * 3), np.array([CENTRE[1]] * 3), np.array([1.0, np.nan, np.nan])
    )
    assert (gap == 1.0).all()


def test_variogram_falls_back_to_defaults_with_few_stations() -> None:
    x = np.array([0.0, 100.0, 200.0])
    assert gridmodel.fit_variogram(x, x, np.ones((5, 3))) == gridmodel.Variogram()


def _stations(seed: int, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 5000, count), rng.uniform(0, 5000, count), rng.normal(0, 1, count)


def _gstools(variogram: gridmodel.Variogram) -> gs.CovModel:
    share = variogram.nugget_share
    return gs.Exponential(dim=2, var=1 - share, len_scale=variogram.len_scale, nugget=share)


def test_kriging_on_a_lattice_matches_gstools() -> None:
    x, y, values = _stations(seed=1, count=15)
    variogram = gridmodel.Variogram(len_scale=1200.0, nugget_share=0.3)
    along_x, along_y = np.linspace(-500, 5500, 31), np.linspace(6000, -1000, 29)
    ours = gridmodel.ordinary_kriging(x, y, values, variogram, along_x, along_y)
    krige = gs.krige.Ordinary(_gstools(variogram), (x, y), values, exact=False)
    theirs = krige.structured((along_x, along_y), return_var=False, store=False)
    assert ours.shape == (31, 29)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)


def test_each_station_kriged_from_the_others_matches_gstools() -> None:
    x, y, values = _stations(seed=2, count=9)
    variogram = gridmodel.Variogram(len_scale=2000.0, nugget_share=0.1)
    distances = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    ours = gridmodel.kriged_without_each(distances, values, variogram)
    for s in range(len(values)):
        others = np.arange(len(values)) != s
        krige = gs.krige.Ordinary(
            _gstools(variogram), (x[others], y[others]), values[others], exact=False
        )
        assert ours[s] == pytest.approx(
            float(krige((x[s : s + 1], y[s : s + 1]), return_var=False)[0]), abs=1e-9
        )
