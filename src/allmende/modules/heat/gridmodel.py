"""The hourly heat map: air temperature and UTCI per cell from land cover and the regional
weather, corrected by the stations' measurements (pure functions, numpy in, numpy out).

**Air temperature** of a cell is the regional (reference) air temperature plus the effect of
its neighbourhood's land cover, plus the lapse rate where a terrain raster is given:

    Ta = Ta_ref + f · Σ_k β_k(t) (X_k − X_k,ref) − 0.0065 K/m (z − z_ref)

with X_k the Gaussian-smoothed shares of sealed surface (σ 250 m: the urban heat island is a
neighbourhood effect), of tree crowns (σ 50 m) and of water (σ 100 m), each relative to the
reference station's site. The coefficients β (K per unit share) blend from day to night with
the sun's elevation; by night sealed neighbourhoods stay up to 4 K warmer than open land, by
day crowns cool by about 2 K (typical magnitudes of measurement campaigns in mid-sized German
cities, e.g. the DWD's urban climate studies; defaults, settable per municipality). ``f``
weakens the land-cover effects under cloud and wind, as the heat island does:
f = (1 − 0.6 cloud) · min(1.5, 3 / (1 + wind)).

**Correction**: the residuals of the stations (measured − modelled) are interpolated by
ordinary kriging (an exponential variogram fitted to the stations' residuals with gstools; the
kriging system solved here once per hour, as gstools' ``Ordinary(exact=False)`` would) and
added to the model. The residual field is smooth at the scale of the station spacing, so it is
kriged on a lattice ten cells wide and interpolated bilinearly to the cells.

**UTCI** per cell: Tmrt from the six-directional estimate (:mod:`.radiant`) with the cell's
shade (:mod:`.shading`), sky view factor, albedo and ground heating; wind 10 m above ground
from the regional wind slowed by the buildings and crowns around (at least 0.5 m/s, UTCI's
lower bound); humidity from the regional vapour pressure at the cell's air temperature.

:func:`leave_one_station_out` measures how well model + correction, the model alone and plain
kriging of the stations predict a station that was left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from allmende.modules.heat import radiant
from allmende.modules.heat.indices import relative_humidity, vapour_pressure_hpa
from allmende.modules.heat.landcover import Grid, Indices, LandCover
from allmende.modules.heat.utci import utci

Raster = NDArray[np.float32]
Floats = NDArray[np.float64]

LAPSE_RATE = -0.0065
#: Residuals are kriged on a lattice of this many cells per side, then interpolated.
CORRECTION_STRIDE = 10
MIN_WIND = 0.5


@dataclass(frozen=True)
class Coefficients:
    """K per unit share of the neighbourhood, by day and by night; smoothing radii in m."""

    impervious_day: float = 1.0
    impervious_night: float = 4.0
    canopy_day: float = -2.0
    canopy_night: float = -0.5
    water_day: float = -1.5
    water_night: float = 0.5
    green_day: float = -0.5
    green_night: float = -1.5
    impervious_sigma: float = 250.0
    canopy_sigma: float = 50.0
    water_sigma: float = 100.0
    green_sigma: float = 50.0


@dataclass(frozen=True)
class Variogram:
    """Exponential variogram of the residuals (K², m); kriging weights depend only on the
    length scale and the nugget's share of the sill."""

    len_scale: float = 1500.0
    nugget_share: float = 0.2


@dataclass
class Statics:
    """What the map needs of the land cover, computed once per land cover."""

    grid: Grid
    impervious: Raster
    canopy: Raster
    water: Raster
    green: Raster
    elevation: Raster | None
    sky_view: Raster
    wind_factor: Raster
    albedo: Raster
    ground_heating: Raster
    buildings: Raster
    crowns: Raster
    outdoor: NDArray[np.bool_]

    @cached_property
    def at_outdoor(self) -> OutdoorCells:
        """The fixed inputs of every hour's Tmrt and UTCI at the outdoor cells: selected once,
        not once per hour (each selection costs about as much as a tenth of the hour's map)."""
        outdoor = self.outdoor
        return OutdoorCells(
            sky_view=self.sky_view[outdoor],
            albedo=self.albedo[outdoor],
            ground_heating=self.ground_heating[outdoor],
            wind_factor=self.wind_factor[outdoor],
        )


@dataclass(frozen=True)
class OutdoorCells:
    """Per-cell properties of the outdoor cells only (in raster order)."""

    sky_view: Raster
    albedo: Raster
    ground_heating: Raster
    wind_factor: Raster


def prepare(cover: LandCover, coefficients: Coefficients = Coefficients()) -> Statics:
    """Smoothed neighbourhood shares, sky view, wind and ground properties per cell."""
    # scipy and numba load on the first map, not when the app starts.
    from scipy import ndimage

    from allmende.modules.heat import shading

    cell = cover.grid.cell

    def smooth(values: Raster, sigma_m: float) -> Raster:
        smoothed: Raster = ndimage.gaussian_filter(
            values.astype(np.float32), sigma=sigma_m / cell, mode="nearest", truncate=3.0
        )
        return smoothed

    built = (cover.buildings > 0).astype(np.float32)
    crowns = cover.canopy
    near_buildings = smooth(built, 50.0)
    near_crowns = smooth(crowns, 50.0)
    return Statics(
        grid=cover.grid,
        impervious=smooth(cover.impervious, coefficients.impervious_sigma),
        canopy=smooth(crowns, coefficients.canopy_sigma),
        water=smooth(cover.water, coefficients.water_sigma),
        green=smooth(cover.green, coefficients.green_sigma),
        elevation=cover.elevation,
        sky_view=shading.sky_view_factor(cover.buildings, cover.crowns, cell=cell),
        wind_factor=(np.exp(-1.8 * near_buildings) * (1.0 - 0.4 * near_crowns)).astype(np.float32),
        albedo=(0.12 * cover.impervious + 0.2 * cover.green + 0.06 * cover.water).astype(
            np.float32
        ),
        ground_heating=(0.018 * cover.impervious + 0.006 * cover.green).astype(np.float32),
        buildings=cover.buildings,
        crowns=cover.crowns,
        outdoor=cover.outdoor,
    )


@dataclass(frozen=True)
class Weather:
    """The regional weather of one hour (the reference station's measurements)."""

    ta: float  # °C
    rh: float  # %
    wind: float  # m/s, 10 m above ground
    cloud: float  # 0–1
    sky: radiant.Sun  # the sun and the split of global radiation (arrays of length 1)

    @property
    def elevation(self) -> float:
        return float(self.sky.elevation[0])

    @property
    def vapour_pressure(self) -> float:
        return float(vapour_pressure_hpa(self.ta, self.rh))


@dataclass(frozen=True)
class Reference:
    """The reference station's site: its neighbourhood shares and height."""

    impervious: float = 0.0
    canopy: float = 0.0
    water: float = 0.0
    green: float = 1.0
    elevation: float | None = None

    @classmethod
    def at(cls, statics: Statics, row: int, col: int) -> Reference:
        if not (0 <= row < statics.grid.height and 0 <= col < statics.grid.width):
            return cls()  # outside the grid: open land
        return cls(
            float(statics.impervious[row, col]),
            float(statics.canopy[row, col]),
            float(statics.water[row, col]),
            float(statics.green[row, col]),
            None if statics.elevation is None else float(statics.elevation[row, col]),
        )


def night_weight(elevation: float) -> float:
    """0 with the sun 10° above the horizon or higher, 1 from 5° below it."""
    return float(np.clip((10.0 - elevation) / 15.0, 0.0, 1.0))


def land_cover_effect(
    impervious: Floats | Raster,
    canopy: Floats | Raster,
    water: Floats | Raster,
    green: Floats | Raster,
    weather: Weather,
    reference: Reference,
    coefficients: Coefficients,
) -> Floats:
    """Ta − Ta_ref (K) from the neighbourhood shares (any shape: a map or station cells)."""
    night = night_weight(weather.elevation)
    day = 1.0 - night
    c = coefficients
    strength = (1.0 - 0.6 * weather.cloud) * min(1.5, 3.0 / (1.0 + max(weather.wind, 0.0)))
    beta_imp = day * c.impervious_day + night * c.impervious_night
    beta_can = day * c.canopy_day + night * c.canopy_night
    beta_wat = day * c.water_day + night * c.water_night
    beta_green = day * c.green_day + night * c.green_night
    return np.asarray(
        strength
        * (
            beta_imp * (impervious - reference.impervious)
            + beta_can * (canopy - reference.canopy)
            + beta_wat * (water - reference.water)
            + beta_green * (green - reference.green)
        ),
        dtype=np.float64,
    )


def model_air_temperature(
    statics: Statics,
    weather: Weather,
    reference: Reference,
    coefficients: Coefficients = Coefficients(),
    cells: tuple[Indices, Indices] | None = None,
) -> Raster:
    """Modelled air temperature (°C) of every cell, or of the cells ``(rows, cols)``."""

    def pick(raster: Raster) -> Raster:
        return raster if cells is None else raster[cells]

    value = weather.ta + land_cover_effect(
        pick(statics.impervious),
        pick(statics.canopy),
        pick(statics.water),
        pick(statics.green),
        weather,
        reference,
        coefficients,
    )
    if statics.elevation is not None and reference.elevation is not None:
        value = value + LAPSE_RATE * (pick(statics.elevation) - reference.elevation)
    return np.asarray(value, dtype=np.float32)


def krige_residuals(
    grid: Grid,
    x: Floats,
    y: Floats,
    residuals: Floats,
    variogram: Variogram = Variogram(),
    *,
    stride: int = CORRECTION_STRIDE,
) -> Raster:
    """The residual field (K) on the grid: ordinary kriging of the stations' residuals on a
    coarse lattice, interpolated bilinearly to the cells. The mean residual with fewer than
    three stations, 0 with none."""
    good = np.isfinite(residuals)
    x, y, residuals = x[good], y[good], residuals[good]
    if len(residuals) == 0:
        return np.zeros(grid.shape, dtype=np.float32)
    if len(residuals) < 3:
        return np.full(grid.shape, float(np.mean(residuals)), dtype=np.float32)
    step = grid.cell * stride
    lattice_x = grid.west + np.arange(0.0, grid.width * grid.cell + step, step)
    lattice_y = grid.north - np.arange(0.0, grid.height * grid.cell + step, step)
    coarse = ordinary_kriging(x, y, residuals, variogram, lattice_x, lattice_y)
    # ``coarse`` is indexed [x, y]; lattice points sit on the corner of every ``stride``-th
    # cell, so a cell's centre lies (index + 0.5) / stride lattice steps from the corner.
    # Bilinear, one axis after the other (the cells of a column share their x weights).
    x0, x1, fx = _neighbours(coarse.shape[0], (np.arange(grid.width) + 0.5) / stride)
    y0, y1, fy = _neighbours(coarse.shape[1], (np.arange(grid.height) + 0.5) / stride)
    across = coarse[x0, :] * (1.0 - fx)[:, None] + coarse[x1, :] * fx[:, None]
    fine = across[:, y0] * (1.0 - fy) + across[:, y1] * fy
    return np.asarray(fine.T, dtype=np.float32)


def _neighbours(size: int, at: Floats) -> tuple[NDArray[np.intp], NDArray[np.intp], Floats]:
    """For positions ``at`` (in lattice steps): the lattice points below and above each, and
    its distance from the one below (the weight of the one above)."""
    low = np.minimum(np.floor(at).astype(np.intp), size - 1)
    return low, np.minimum(low + 1, size - 1), at - low


def _covariance(distances: Floats, variogram: Variogram) -> Floats:
    """The exponential model's covariance without its nugget (gstools' ``covariance``)."""
    return np.asarray((1.0 - variogram.nugget_share) * np.exp(-distances / variogram.len_scale))


def ordinary_kriging(
    x: Floats, y: Floats, values: Floats, variogram: Variogram, along_x: Floats, along_y: Floats
) -> Floats:
    """Ordinary kriging (the nugget as measurement error, as gstools' ``exact=False``) of
    ``values`` at ``x, y`` on the lattice ``along_x × along_y``, indexed [x, y].

    In its dual form: one solve of the stations' system gives weights λ, and the estimate at
    every lattice point is the covariance to the stations times λ plus the Lagrange term.
    """
    n = len(values)
    system = np.zeros((n + 1, n + 1))
    system[:n, :n] = _covariance(
        np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]), variogram
    )
    system[np.diag_indices(n)] += variogram.nugget_share
    system[n, :n] = system[:n, n] = 1.0  # the weights sum to 1
    dual = np.linalg.solve(system, np.append(values, 0.0))
    px, py = np.meshgrid(along_x, along_y, indexing="ij")
    distances = np.hypot(px[..., None] - x, py[..., None] - y)
    return np.asarray(_covariance(distances, variogram) @ dual[:n] + dual[n])


@dataclass
class HourMap:
    """One hour of the map; NaN outside the municipality and inside buildings."""

    ta: Raster
    tmrt: Raster
    utci: Raster
    sunlit: Raster
    residuals: Raster | None = None
    stations_used: int = 0


@dataclass(frozen=True)
class Stations:
    """Measured air temperature of stations at metric positions in one hour."""

    x: Floats
    y: Floats
    ta: Floats
    ids: Sequence[int] = field(default_factory=tuple)


def hour_map(
    statics: Statics,
    weather: Weather,
    reference: Reference,
    stations: Stations | None = None,
    *,
    coefficients: Coefficients = Coefficients(),
    variogram: Variogram = Variogram(),
) -> HourMap:
    """Air temperature, Tmrt and UTCI of every outdoor cell for one hour."""
    grid = statics.grid
    ta = model_air_temperature(statics, weather, reference, coefficients)
    residual_field = None
    used = 0
    if stations is not None and len(stations.ta):
        rows, cols = grid.cell_of(stations.x, stations.y)
        on_grid = grid.contains(rows, cols) & np.isfinite(stations.ta)
        modelled = ta[rows[on_grid], cols[on_grid]]
        residuals = stations.ta[on_grid] - modelled
        used = int(on_grid.sum())
        residual_field = krige_residuals(
            grid, stations.x[on_grid], stations.y[on_grid], residuals, variogram
        )
        ta = ta + residual_field
    from allmende.modules.heat import shading  # numba loads on the first map

    lit = shading.sunlit(
        statics.buildings,
        statics.crowns,
        cell=grid.cell,
        elevation=weather.elevation,
        azimuth=float(weather.sky.azimuth[0]),
    )
    # Tmrt and UTCI of the outdoor cells only (the others are NaN): nearly half the work.
    outdoor = statics.outdoor
    fixed = statics.at_outdoor
    ta_out = ta[outdoor]
    e = weather.vapour_pressure
    tmrt_out = radiant.mrt_estimate(
        ta_out,
        e,
        weather.sky,
        weather.cloud,
        sunlit=lit[outdoor],
        sky_view=fixed.sky_view,
        albedo=fixed.albedo,
        ground_heating=fixed.ground_heating,
    ).astype(np.float32)
    wind = np.clip(weather.wind * fixed.wind_factor, MIN_WIND, None)
    rh = relative_humidity(ta_out, e)
    tmrt = np.full(grid.shape, np.nan, dtype=np.float32)
    index = np.full(grid.shape, np.nan, dtype=np.float32)
    tmrt[outdoor] = tmrt_out
    index[outdoor] = utci(ta_out, tmrt_out, wind, rh)
    ta[~outdoor] = np.nan
    return HourMap(ta, tmrt, index, lit, residual_field, used)


# --- leave one station out ---------------------------------------------------------------


@dataclass(frozen=True)
class Errors:
    rmse: float
    bias: float
    n: int


@dataclass(frozen=True)
class Evaluation:
    """Leave-one-station-out errors of air temperature (K) by method, and per station."""

    joined: Errors
    model: Errors
    interpolation: Errors
    stations: int
    hours: int
    per_station: dict[int, dict[str, Errors]]


def _errors(predicted: Floats, observed: Floats) -> Errors:
    diff = predicted - observed
    diff = diff[np.isfinite(diff)]
    if not len(diff):
        return Errors(float("nan"), float("nan"), 0)
    return Errors(float(np.sqrt(np.mean(diff * diff))), float(np.mean(diff)), len(diff))


def fit_variogram(x: Floats, y: Floats, fields: Floats, *, bins: int = 8) -> Variogram:
    """An exponential variogram fitted to many hours of values at the same stations (rows of
    ``fields``), pooled; hours with a gap are left out."""
    import gstools as gs  # here: it imports emcee and scipy.stats, a second of every start

    complete = fields[np.isfinite(fields).all(axis=1)]
    if len(complete) < 2 or complete.shape[1] < 4:
        return Variogram()
    complete = complete - complete.mean(axis=1, keepdims=True)
    distances = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    edges = np.linspace(0.0, float(distances.max()) * 0.6, bins + 1)
    centres, gamma = gs.vario_estimate((x, y), complete, edges)
    model = gs.Exponential(dim=2)
    model.len_scale_bounds = [200.0, 20_000.0]
    try:
        model.fit_variogram(centres, gamma, nugget=True)
    except (RuntimeError, ValueError):  # too few pairs to fit: keep the defaults
        return Variogram()
    sill = model.var + model.nugget
    if not np.isfinite(sill) or sill <= 0:
        return Variogram()
    return Variogram(float(model.len_scale), float(np.clip(model.nugget / sill, 0.01, 0.99)))


def kriged_without_each(distances: Floats, values: Floats, variogram: Variogram) -> Floats:
    """Ordinary kriging (the nugget as measurement error) of each point from all the others.

    Dubrule's (1983, Math. Geol. 15:687-699) closed form: with ``A`` the kriging system of all
    points and ``w = A⁻¹ (values, 0)``, the estimate at point ``i`` from the others is
    ``values[i] − w[i] / A⁻¹[i, i]``; one inverse per hour instead of a system per point.
    """
    n = len(values)
    system = np.zeros((n + 1, n + 1))
    system[:n, :n] = _covariance(distances, variogram)
    system[np.diag_indices(n)] += variogram.nugget_share
    system[n, :n] = system[:n, n] = 1.0  # the weights sum to 1
    inverse = np.linalg.inv(system)
    weights = inverse[:n, :n] @ values
    return np.asarray(values - weights / np.diag(inverse)[:n], dtype=np.float64)


def leave_one_station_out(
    x: Floats,
    y: Floats,
    observed: Floats,
    modelled: Floats,
    *,
    ids: Sequence[int] | None = None,
) -> Evaluation:
    """Predict each station from the others, hour by hour (rows of ``observed`` and
    ``modelled`` are hours, columns stations): the model alone, plain ordinary kriging of
    the measurements, and the model plus kriged residuals of the others. Variograms are
    fitted to all stations' measurements and residuals over all hours."""
    hours, count = observed.shape
    ids = list(ids) if ids is not None else list(range(count))
    residuals = observed - modelled
    residual_variogram = fit_variogram(x, y, residuals)
    value_variogram = fit_variogram(x, y, observed)
    distances = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    joined = np.full(observed.shape, np.nan)
    interpolated = np.full(observed.shape, np.nan)
    for h in range(hours):
        present = np.isfinite(observed[h]) & np.isfinite(modelled[h])
        if present.sum() < 4:  # each station needs three others
            continue
        near = distances[np.ix_(present, present)]
        joined[h, present] = modelled[h, present] + kriged_without_each(
            near, residuals[h, present], residual_variogram
        )
        interpolated[h, present] = kriged_without_each(near, observed[h, present], value_variogram)
    usable = np.isfinite(joined)
    model_only = np.where(usable, modelled, np.nan)
    per_station = {
        ids[s]: {
            "joined": _errors(joined[:, s], observed[:, s]),
            "model": _errors(model_only[:, s], observed[:, s]),
            "interpolation": _errors(interpolated[:, s], observed[:, s]),
        }
        for s in range(count)
    }
    return Evaluation(
        joined=_errors(joined.ravel(), observed.ravel()),
        model=_errors(model_only.ravel(), observed.ravel()),
        interpolation=_errors(interpolated.ravel(), observed.ravel()),
        stations=count,
        hours=int(usable.any(axis=1).sum()),
        per_station=per_station,
    )
