"""Shade and sky view from a surface model of buildings and tree crowns (numba kernels).

Both walk a raster of heights above ground (10 m cells) along straight lines, as shadow
casting on a digital surface model does (Ratti and Richens 2004; SOLWEIG, Lindberg et al.
2008, works the same way on finer rasters):

* :func:`sunlit` – for one position of the sun, the share of the direct beam that reaches a
  person (1.1 m above ground) in each cell: 0 in a building's shadow, the crowns'
  transmissivity (leaves let about 10 % through in summer) in a tree's shadow or under a crown,
  1 in the sun;
* :func:`sky_view_factor` – the share of the sky each cell sees, from the horizon angle in 16
  directions up to 200 m away: SVF = 1 − mean(sin² horizon angle); under a crown the crown's
  cover closes most of the rest.

Cells are square; row 0 is the northern edge. Terrain does not cast shadows here (the region's
relief is gentle; a terrain raster only changes the air temperature).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray
from scipy import ndimage

Heights = NDArray[np.float32]
Share = NDArray[np.float32]

PERSON_HEIGHT = 1.1
CROWN_TRANSMISSIVITY = 0.1
SVF_DIRECTIONS = 16
SVF_RADIUS = 200.0
#: Below this elevation of the sun (°) every cell counts as shaded.
LOW_SUN = 2.0


@njit(parallel=True, cache=True)
def _sunlit(
    buildings: Heights,
    crowns: Heights,
    cell: float,
    elevation: float,
    azimuth: float,
    transmissivity: float,
    out: Share,
) -> None:
    rows, cols = buildings.shape
    tan_elevation = math.tan(math.radians(elevation))
    # Step one cell towards the sun: east is +column, north is −row.
    d_col = math.sin(math.radians(azimuth))
    d_row = -math.cos(math.radians(azimuth))
    tallest = max(buildings.max(), crowns.max())
    steps = min(int((tallest - PERSON_HEIGHT) / (tan_elevation * cell)) + 1, 400)
    for r in prange(rows):
        for c in range(cols):
            if buildings[r, c] > 0.0:
                out[r, c] = 0.0
                continue
            light = transmissivity if crowns[r, c] > PERSON_HEIGHT else 1.0
            for k in range(1, steps + 1):
                rr = math.floor(r + k * d_row + 0.5)
                cc = math.floor(c + k * d_col + 0.5)
                if rr < 0 or rr >= rows or cc < 0 or cc >= cols:
                    break
                ray = PERSON_HEIGHT + k * cell * tan_elevation
                if buildings[rr, cc] > ray:
                    light = 0.0
                    break
                if crowns[rr, cc] > ray:
                    light = transmissivity
            out[r, c] = light


def _sky_steps(directions: int, radius: float, cell: float) -> NDArray[np.int64]:
    """Row and column offsets of the cells each direction's line passes, nearest cell first
    (shape directions × steps × 2): the same for every cell, so computed once."""
    steps = int(radius / cell)
    offsets = np.empty((directions, steps, 2), dtype=np.int64)
    for a in range(directions):
        angle = 2.0 * math.pi * a / directions
        d_col = math.sin(angle)
        d_row = -math.cos(angle)
        for k in range(1, steps + 1):
            offsets[a, k - 1, 0] = math.floor(k * d_row + 0.5)
            offsets[a, k - 1, 1] = math.floor(k * d_col + 0.5)
    return offsets


@njit(parallel=True, cache=True)
def _sky_view(
    surface: Heights,
    crowns: Heights,
    tallest_near: Heights,
    offsets: NDArray[np.int64],
    cell: float,
    out: Share,
) -> None:
    rows, cols = surface.shape
    directions, steps, _ = offsets.shape
    for r in prange(rows):
        for c in range(cols):
            closed = 0.0
            # Nothing within reach rises above the person: the whole sky is open.
            headroom = tallest_near[r, c] - PERSON_HEIGHT
            if headroom > 0.0:
                for a in range(directions):
                    steepest = 0.0
                    for k in range(1, steps + 1):
                        rr = r + offsets[a, k - 1, 0]
                        cc = c + offsets[a, k - 1, 1]
                        if rr < 0 or rr >= rows or cc < 0 or cc >= cols:
                            break
                        # No farther cell can rise more steeply than the tallest one nearby.
                        if steepest >= headroom / (k * cell):
                            break
                        rise = (surface[rr, cc] - PERSON_HEIGHT) / (k * cell)
                        steepest = max(steepest, rise)
                    sin_horizon = steepest / math.sqrt(1.0 + steepest * steepest)
                    closed += sin_horizon * sin_horizon
            view = 1.0 - closed / directions
            if crowns[r, c] > PERSON_HEIGHT:
                view *= CROWN_TRANSMISSIVITY
            out[r, c] = view


_run_sunlit: Callable[..., None] = _sunlit
_run_sky_view: Callable[..., None] = _sky_view


def sunlit(
    buildings: Heights,
    crowns: Heights,
    *,
    cell: float,
    elevation: float,
    azimuth: float,
    transmissivity: float = CROWN_TRANSMISSIVITY,
) -> Share:
    """Share of the direct beam reaching 1.1 m above ground per cell (0 inside buildings).

    ``buildings`` and ``crowns`` are heights above ground (m, 0 where there is none),
    ``elevation`` and ``azimuth`` the sun's position in degrees (azimuth clockwise from north).
    """
    out = np.zeros(buildings.shape, dtype=np.float32)
    if elevation > LOW_SUN:
        _run_sunlit(
            np.ascontiguousarray(buildings, dtype=np.float32),
            np.ascontiguousarray(crowns, dtype=np.float32),
            float(cell),
            float(elevation),
            float(azimuth),
            float(transmissivity),
            out,
        )
    return out


def sky_view_factor(buildings: Heights, crowns: Heights, *, cell: float) -> Share:
    """Sky view factor (0–1) 1.1 m above ground per cell, with buildings and crowns as
    obstacles (meaningless inside buildings, which the map leaves out)."""
    surface = np.ascontiguousarray(np.maximum(buildings, crowns), dtype=np.float32)
    offsets = _sky_steps(SVF_DIRECTIONS, SVF_RADIUS, float(cell))
    reach = int(np.abs(offsets).max(initial=0))
    # The tallest surface within the lines' reach of each cell bounds the horizon it can see.
    tallest_near = ndimage.maximum_filter(surface, size=2 * reach + 1, mode="nearest")
    out = np.empty(buildings.shape, dtype=np.float32)
    _run_sky_view(
        surface,
        np.ascontiguousarray(crowns, dtype=np.float32),
        np.ascontiguousarray(tallest_near, dtype=np.float32),
        offsets,
        float(cell),
        out,
    )
    return out
