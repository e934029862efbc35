"""Land cover on the map's grid: the rasters the heat map is computed from (pure functions).

The grid is square cells (10 m by default) in ETRS89 / UTM 32N (EPSG:25832), aligned to whole
multiples of the cell size, covering a municipality's bounding box. Every layer is one value
per cell:

* ``impervious`` – sealed share 0–1 (an uploaded raster such as Copernicus' imperviousness
  density, else the buildings and paved squares of the object register);
* ``crowns`` – tree crown height above ground (m, 0 where there is no crown): trees of the
  register as discs of their crown diameter, or an uploaded canopy raster;
* ``buildings`` – building height above ground (m, 0 where there is no building): polygons with
  a height attribute (uploaded or in the register), else an uploaded height raster;
* ``water`` – open water 0/1; ``green`` – vegetated share 0–1 (parks and everything unsealed);
* ``elevation`` – terrain height (m) when a terrain raster was uploaded, else none.

Vectors are burned in by cell centre; rasters are averaged (or, for heights, resampled by
their maximum) onto the grid with rasterio, from whatever CRS they come in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import shapely
from affine import Affine
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

if TYPE_CHECKING:  # rasterio loads on the first map, not when the app starts
    from rasterio.crs import CRS

Raster = NDArray[np.float32]
Indices = NDArray[np.int64]

METRIC_EPSG = 25832
DEFAULT_CELL = 10.0
#: Heights when an object has none (m): a tree's crown and a building of three storeys.
DEFAULT_TREE_HEIGHT = 10.0
DEFAULT_CROWN_DIAMETER = 6.0
DEFAULT_BUILDING_HEIGHT = 9.0
STOREY_HEIGHT = 3.0


@dataclass(frozen=True)
class Grid:
    """Square cells in EPSG:25832; row 0 is the northern edge."""

    west: float
    north: float
    cell: float
    width: int
    height: int

    @classmethod
    def covering(cls, bounds: Sequence[float], *, cell: float = DEFAULT_CELL) -> Grid:
        """The smallest aligned grid that covers ``bounds`` (minx, miny, maxx, maxy, metric)."""
        minx, miny, maxx, maxy = bounds
        west = np.floor(minx / cell) * cell
        north = np.ceil(maxy / cell) * cell
        east = np.ceil(maxx / cell) * cell
        south = np.floor(miny / cell) * cell
        return cls(
            float(west),
            float(north),
            float(cell),
            max(1, round((east - west) / cell)),
            max(1, round((north - south) / cell)),
        )

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def transform(self) -> Affine:
        return Affine(self.cell, 0.0, self.west, 0.0, -self.cell, self.north)

    @property
    def crs(self) -> CRS:
        from rasterio.crs import CRS

        return CRS.from_epsg(METRIC_EPSG)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (
            self.west,
            self.north - self.height * self.cell,
            self.west + self.width * self.cell,
            self.north,
        )

    def cell_of(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[Indices, Indices]:
        """Row and column of metric points (may fall outside the grid)."""
        col = np.floor((np.asarray(x) - self.west) / self.cell).astype(np.int64)
        row = np.floor((self.north - np.asarray(y)) / self.cell).astype(np.int64)
        return row, col

    def contains(self, row: Indices, col: Indices) -> NDArray[np.bool_]:
        return (row >= 0) & (row < self.height) & (col >= 0) & (col < self.width)

    def centres(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """x of each column's and y of each row's centre."""
        x = self.west + (np.arange(self.width, dtype=np.float64) + 0.5) * self.cell
        y = self.north - (np.arange(self.height, dtype=np.float64) + 0.5) * self.cell
        return x, y


@dataclass
class LandCover:
    grid: Grid
    impervious: Raster
    crowns: Raster
    buildings: Raster
    water: Raster
    green: Raster
    #: Cells whose centre lies in the municipality (the map shows only these).
    inside: NDArray[np.bool_]
    elevation: Raster | None = None
    #: What each layer was made from, for the page that explains the map.
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def canopy(self) -> Raster:
        return (self.crowns > 0).astype(np.float32)

    @property
    def outdoor(self) -> NDArray[np.bool_]:
        return self.inside & (self.buildings <= 0)


_TO_LONLAT = Transformer.from_crs(METRIC_EPSG, 4326, always_xy=True)


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    """WGS 84 longitude and latitude of a metric point."""
    lon, lat = _TO_LONLAT.transform(x, y)
    return float(lon), float(lat)


def burn(grid: Grid, shapes: Iterable[tuple[BaseGeometry, float]], *, fill: float = 0.0) -> Raster:
    """Burn metric geometries with a value each into the grid (by cell centre; the largest
    value wins where they overlap)."""
    items = [(g, float(v)) for g, v in shapes if g is not None and not g.is_empty]
    if not items:
        return np.full(grid.shape, fill, dtype=np.float32)
    items.sort(key=lambda item: item[1])  # later shapes overwrite earlier: the tallest wins
    import rasterio.features

    burnt: Raster = rasterio.features.rasterize(
        items,
        out_shape=grid.shape,
        transform=grid.transform,
        fill=fill,
        dtype="float32",
    )
    return burnt


def mask_of(grid: Grid, area: BaseGeometry) -> NDArray[np.bool_]:
    """Cells whose centre lies in ``area`` (metric)."""
    return burn(grid, [(area, 1.0)]) > 0


def crown_discs(points: Sequence[BaseGeometry], diameters: Sequence[float]) -> list[BaseGeometry]:
    """Trees as discs of their crown diameter (metric points, metres)."""
    radii = np.maximum(np.asarray(diameters, dtype=np.float64), 1.0) / 2
    return list(shapely.buffer(np.asarray(points, dtype=object), radii, quad_segs=4))


def regrid(
    data: NDArray[np.number],
    *,
    transform: Affine,
    crs: CRS,
    nodata: float | None,
    grid: Grid,
    resampling: Literal["average", "max"] = "average",
) -> Raster:
    """An uploaded raster's first band onto the grid (reprojected; NaN where it has no
    data)."""
    import rasterio.warp
    from rasterio.enums import Resampling

    out = np.full(grid.shape, np.nan, dtype=np.float32)
    source = np.asarray(data, dtype=np.float32)
    if nodata is not None and not np.isnan(nodata):
        source = np.where(source == nodata, np.nan, source).astype(np.float32)
    rasterio.warp.reproject(
        source,
        out,
        src_transform=transform,
        src_crs=crs,
        src_nodata=np.nan,
        dst_transform=grid.transform,
        dst_crs=grid.crs,
        dst_nodata=np.nan,
        resampling=Resampling[resampling],
    )
    return out


def combine(
    grid: Grid,
    *,
    inside: NDArray[np.bool_],
    building_shapes: Sequence[tuple[BaseGeometry, float]] = (),
    crown_shapes: Sequence[tuple[BaseGeometry, float]] = (),
    water_shapes: Sequence[BaseGeometry] = (),
    green_shapes: Sequence[BaseGeometry] = (),
    paved_shapes: Sequence[BaseGeometry] = (),
    impervious_raster: Raster | None = None,
    canopy_raster: Raster | None = None,
    building_raster: Raster | None = None,
    elevation: Raster | None = None,
    sources: dict[str, str] | None = None,
) -> LandCover:
    """Join vectors and rasters into one :class:`LandCover` (vectors win where both say
    something: they are the municipality's own, more detailed data)."""
    buildings = burn(grid, building_shapes)
    if building_raster is not None:
        buildings = np.where(buildings > 0, buildings, np.nan_to_num(building_raster))
    crowns = burn(grid, crown_shapes)
    if canopy_raster is not None:  # a share of crown cover: crowns of a default height
        covered = np.nan_to_num(canopy_raster) >= 0.5
        crowns = np.where((crowns <= 0) & covered, DEFAULT_TREE_HEIGHT, crowns)
    crowns = np.where(buildings > 0, 0.0, crowns).astype(np.float32)
    water = burn(grid, [(g, 1.0) for g in water_shapes])
    paved = burn(grid, [(g, 1.0) for g in paved_shapes])
    parks = burn(grid, [(g, 1.0) for g in green_shapes])
    if impervious_raster is not None:
        sealed = np.nan_to_num(impervious_raster, nan=0.0)
    else:
        sealed = np.zeros(grid.shape, dtype=np.float32)
    sealed = np.where(parks > 0, np.minimum(sealed, 0.1), sealed)
    sealed = np.maximum(sealed, np.maximum(paved, (buildings > 0).astype(np.float32)))
    sealed = np.where(water > 0, 0.0, np.clip(sealed, 0.0, 1.0)).astype(np.float32)
    green = np.clip(1.0 - sealed - water, 0.0, 1.0).astype(np.float32)
    return LandCover(
        grid=grid,
        impervious=sealed,
        crowns=crowns,
        buildings=buildings.astype(np.float32),
        water=water,
        green=green,
        inside=inside,
        elevation=None if elevation is None else elevation.astype(np.float32),
        sources=dict(sources or {}),
    )


def building_height(properties: dict[str, object]) -> float:
    """A building's height from its attributes: metres (``height_m``, ``height``, ``hoehe``)
    or storeys (``storeys``, ``geschosse``) × 3 m; else three storeys."""
    for key in ("height_m", "height", "hoehe", "höhe"):
        value = _number(properties.get(key))
        if value is not None and value > 0:
            return value
    for key in ("storeys", "geschosse", "anzahl_geschosse"):
        value = _number(properties.get(key))
        if value is not None and value > 0:
            return value * STOREY_HEIGHT
    return DEFAULT_BUILDING_HEIGHT


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            return None
        return number if np.isfinite(number) else None
    return None
