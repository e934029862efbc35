"""Land cover on the map's grid: alignment, burning vectors, reprojecting rasters."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from rasterio.crs import CRS
from shapely.geometry import Point, box

from allmende.modules.heat.landcover import (
    DEFAULT_BUILDING_HEIGHT,
    Grid,
    building_height,
    burn,
    combine,
    regrid,
)

pytestmark = pytest.mark.unit


def test_grid_is_aligned_to_whole_cells() -> None:
    grid = Grid.covering((480_003.0, 5_479_996.0, 480_095.0, 5_480_041.0), cell=10.0)
    assert (grid.west, grid.north, grid.width, grid.height) == (480_000.0, 5_480_050.0, 10, 6)
    assert grid.bounds == (480_000.0, 5_479_990.0, 480_100.0, 5_480_050.0)
    rows, cols = grid.cell_of(
        np.array([480_005.0, 480_099.0, 481_000.0]), np.array([5_480_049.0, 5_479_991.0, 0.0])
    )
    assert rows.tolist()[:2] == [0, 5] and cols.tolist()[:2] == [0, 9]
    assert grid.contains(rows, cols).tolist() == [True, True, False]


def test_burn_by_cell_centre_and_the_tallest_wins() -> None:
    grid = Grid(0.0, 100.0, 10.0, 10, 10)
    low = box(0, 50, 50, 100)
    high = box(20, 70, 40, 90)
    heights = burn(grid, [(high, 25.0), (low, 6.0)])
    assert heights[0, 0] == 6.0
    assert heights[2, 3] == 25.0
    assert heights[9, 9] == 0.0
    assert burn(grid, []).shape == (10, 10)


def test_a_raster_in_another_crs_is_reprojected_onto_the_grid() -> None:
    grid = Grid(480_000.0, 5_480_000.0, 10.0, 50, 50)
    # A 0.01° raster in WGS 84 around the grid, 0.6 everywhere but a nodata column.
    lon, lat = 8.72, 49.47
    data = np.full((20, 20), 60.0, dtype=np.float32)
    data[:, :3] = -1
    transform = Affine(0.001, 0, lon - 0.02, 0, -0.001, lat + 0.02)
    from pyproj import Transformer

    to_wgs = Transformer.from_crs(25832, 4326, always_xy=True)
    west, north = to_wgs.transform(grid.west, grid.north)
    transform = Affine(0.001, 0, west - 0.002, 0, -0.001, north + 0.002)
    out = regrid(data, transform=transform, crs=CRS.from_epsg(4326), nodata=-1, grid=grid)
    assert out.shape == grid.shape
    inside = out[np.isfinite(out)]
    assert inside.size > 0.5 * out.size
    assert inside == pytest.approx(60.0)


@pytest.mark.parametrize(
    ("properties", "height"),
    [
        ({"height_m": 12.5}, 12.5),
        ({"hoehe": "7,5"}, 7.5),
        ({"storeys": 4}, 12.0),
        ({"height": "tall"}, DEFAULT_BUILDING_HEIGHT),
        ({"height": True}, DEFAULT_BUILDING_HEIGHT),
        ({}, DEFAULT_BUILDING_HEIGHT),
    ],
)
def test_building_height_from_attributes(properties: dict, height: float) -> None:  # type: ignore[type-arg]
    assert building_height(properties) == height


def test_combine_seals_buildings_and_clears_water_and_parks() -> None:
    grid = Grid(0.0, 100.0, 10.0, 10, 10)
    sealed = np.full(grid.shape, 0.5, dtype=np.float32)
    cover = combine(
        grid,
        inside=np.ones(grid.shape, dtype=bool),
        building_shapes=[(box(0, 90, 20, 100), 12.0)],
        crown_shapes=[(Point(55, 55).buffer(6), 10.0)],
        water_shapes=[box(80, 0, 100, 20)],
        green_shapes=[box(0, 0, 30, 30)],
        impervious_raster=sealed,
    )
    assert cover.impervious[0, 0] == 1.0 and cover.buildings[0, 0] == 12.0
    assert cover.impervious[9, 9] == 0.0 and cover.water[9, 9] == 1.0
    assert cover.impervious[9, 0] == pytest.approx(0.1)
    assert cover.impervious[5, 5] == 0.5 and cover.crowns[4, 5] == 10.0
    assert cover.green[5, 5] == pytest.approx(0.5)
    assert not cover.outdoor[0, 0] and cover.outdoor[5, 5]
