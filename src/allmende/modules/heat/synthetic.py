"""A generated town for the demo, the tests and the benchmark: land cover from a seed, and a
"true" air temperature field to measure the map against.

The town is a street grid whose blocks are built up densely and tall in the centre and loosely
towards the edge, with parks full of trees, a river with its meadows, street trees and a
sealed share that follows the buildings. The generated measurements (:func:`true_air_temperature`)
follow the same physics as the map's model but not its numbers: the land-cover effects are
``effect_scale`` times the model's defaults, and a smooth field the model cannot know (cold
air along the river, a slope, a wind shadow) varies over the town and the hours. That is what
real towns do to a model with literature coefficients, and why measurements must correct it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, Point, box
from shapely.geometry.base import BaseGeometry

from allmende.modules.heat import gridmodel
from allmende.modules.heat.landcover import (
    Grid,
    Indices,
    LandCover,
    combine,
    crown_discs,
    mask_of,
)

Raster = NDArray[np.float32]

BLOCK = 90.0  # street spacing (m)
STREET = 14.0  # street width between blocks (m)


@dataclass
class TownLayers:
    """What a municipality would upload or keep in its register (metric geometries)."""

    impervious: Raster  # share 0–1 on the grid (as from Copernicus' imperviousness layer)
    buildings: list[tuple[BaseGeometry, float]]  # footprint, height (m)
    trees: list[tuple[BaseGeometry, float, float]]  # point, crown diameter (m), height (m)
    parks: list[BaseGeometry]
    water: list[BaseGeometry]


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> Raster:
    from scipy import ndimage  # loaded on first use, not at start-up

    field = np.asarray(ndimage.gaussian_filter(rng.normal(0, 1, shape), sigma=sigma, mode="wrap"))
    return (field / (field.std() or 1.0)).astype(np.float32)


def town_layers(grid: Grid, *, centre: tuple[float, float], radius: float, seed: int) -> TownLayers:
    """A town of ``radius`` metres around ``centre`` (metric) on ``grid``."""
    rng = np.random.default_rng(seed)
    cx, cy = centre
    x, y = grid.centres()
    distance = np.hypot(x[None, :] - cx, y[:, None] - cy) / radius
    density = np.clip(np.exp(-((distance / 0.55) ** 2)) * 0.9 + 0.25 * (distance < 1), 0, 1)
    river = LineString(
        [
            (cx - 2 * radius, cy - 0.35 * radius),
            (cx - 0.5 * radius, cy - 0.15 * radius),
            (cx + 0.4 * radius, cy - 0.45 * radius),
            (cx + 2 * radius, cy - 0.2 * radius),
        ]
    )
    water = [river.buffer(18.0)]
    meadow = river.buffer(120.0)
    parks = [
        Point(cx + dx * radius, cy + dy * radius).buffer(r * radius, quad_segs=8)
        for dx, dy, r in ((0.18, 0.22, 0.09), (-0.42, 0.35, 0.12), (0.5, 0.1, 0.07))
    ]
    open_land = shapely.union_all([meadow, *parks])
    buildings: list[tuple[BaseGeometry, float]] = []
    trees: list[tuple[BaseGeometry, float, float]] = []
    west, south, east, north = grid.bounds
    for bx in np.arange(np.floor(west / BLOCK) * BLOCK, east, BLOCK):
        for by in np.arange(np.floor(south / BLOCK) * BLOCK, north, BLOCK):
            d = np.hypot(bx + BLOCK / 2 - cx, by + BLOCK / 2 - cy) / radius
            if d > 1.05 or open_land.contains(Point(bx + BLOCK / 2, by + BLOCK / 2)):
                continue
            share = float(np.clip(np.exp(-((d / 0.55) ** 2)) * 0.9 + 0.2, 0, 1))
            storeys = max(1, round(rng.normal(2 + 5 * share, 1.0)))
            inner = box(
                bx + STREET / 2, by + STREET / 2, bx + BLOCK - STREET / 2, by + BLOCK - STREET / 2
            )
            if share > 0.6:  # closed perimeter block around a courtyard
                courtyard = inner.buffer(-14.0)
                buildings.append((inner.difference(courtyard), storeys * 3.2))
            else:  # detached houses
                for _ in range(rng.poisson(2 + 6 * share)):
                    hx = rng.uniform(inner.bounds[0], inner.bounds[2] - 12)
                    hy = rng.uniform(inner.bounds[1], inner.bounds[3] - 10)
                    house = box(hx, hy, hx + rng.uniform(9, 14), hy + rng.uniform(8, 11))
                    buildings.append((house, max(1, storeys - 1) * 3.0 + 2.0))
            for _ in range(rng.poisson(3 * (1 - share) + 1)):  # street trees along the block
                side = rng.integers(4)
                t = rng.uniform(0, BLOCK)
                px, py = (
                    (bx + t, by + 3),
                    (bx + t, by + BLOCK - 3),
                    (bx + 3, by + t),
                    (bx + BLOCK - 3, by + t),
                )[side]
                trees.append((Point(px, py), rng.uniform(5, 11), rng.uniform(8, 18)))
    for park in parks:
        minx, miny, maxx, maxy = park.bounds
        for _ in range(int(park.area / 250)):
            p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            if park.contains(p):
                trees.append((p, rng.uniform(8, 16), rng.uniform(12, 25)))
    noise = _smooth_noise(rng, grid.shape, 30.0 / grid.cell * 3)
    impervious = np.clip(density * 0.85 + 0.08 * noise, 0, 1).astype(np.float32)
    outside = ~mask_of(grid, open_land.union(Point(cx, cy).buffer(radius * 1.1)))
    impervious = np.where(outside, np.minimum(impervious, 0.05), impervious)
    impervious = np.where(mask_of(grid, open_land), 0.03, impervious).astype(np.float32)
    return TownLayers(impervious, buildings, trees, parks, water)


def town_cover(grid: Grid, layers: TownLayers, area: BaseGeometry | None = None) -> LandCover:
    """The layers joined as the module joins uploaded and registered land cover."""
    points = [t[0] for t in layers.trees]
    discs = crown_discs(points, [t[1] for t in layers.trees]) if points else []
    inside = mask_of(grid, area) if area is not None else np.ones(grid.shape, dtype=bool)
    return combine(
        grid,
        inside=inside,
        building_shapes=layers.buildings,
        crown_shapes=[(d, t[2]) for d, t in zip(discs, layers.trees, strict=True)],
        water_shapes=layers.water,
        green_shapes=layers.parks,
        impervious_raster=layers.impervious,
    )


def true_air_temperature(
    statics: gridmodel.Statics,
    weather: gridmodel.Weather,
    reference: gridmodel.Reference,
    *,
    hour_index: int,
    rows: Indices,
    cols: Indices,
    seed: int,
    effect_scale: float = 0.7,
    smooth_amplitude: float = 0.8,
    noise: float = 0.3,
) -> NDArray[np.float64]:
    """Generated measurements at the cells ``(rows, cols)``: the model's physics with land-
    cover effects ``effect_scale`` times as strong, plus a smooth field of about
    ``smooth_amplitude`` K that drifts over the hours, plus sensor noise (K)."""
    grid = statics.grid
    effect = gridmodel.land_cover_effect(
        statics.impervious[rows, cols],
        statics.canopy[rows, cols],
        statics.water[rows, cols],
        statics.green[rows, cols],
        weather,
        reference,
        gridmodel.Coefficients(),
    )
    x = grid.west + (cols + 0.5) * grid.cell
    y = grid.north - (rows + 0.5) * grid.cell
    rng = np.random.default_rng([seed, 7])
    waves = rng.uniform(1 / 6000, 1 / 2500, (3, 2)) * rng.choice([-1, 1], (3, 2))
    phases = rng.uniform(0, 2 * np.pi, 3)
    drift = 2 * np.pi * hour_index / 30.0  # the pattern turns over about a day and a half
    smooth = sum(
        np.sin(2 * np.pi * (k[0] * x + k[1] * y) + p + drift * (i + 1) / 3)
        for i, (k, p) in enumerate(zip(waves, phases, strict=True))
    )
    shaking = np.random.default_rng([seed, hour_index]).normal(0, noise, len(rows))
    return np.asarray(
        weather.ta
        + effect_scale * effect
        + smooth_amplitude * np.asarray(smooth) / np.sqrt(1.5)
        + shaking
    )
