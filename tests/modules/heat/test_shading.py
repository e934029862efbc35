"""Shadow casting and the sky view factor on small surface models."""

from __future__ import annotations

import math

import numpy as np
import pytest

from allmende.modules.heat.shading import CROWN_TRANSMISSIVITY, sky_view_factor, sunlit

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def block() -> tuple[np.ndarray, np.ndarray]:
    buildings = np.zeros((60, 60), dtype=np.float32)
    buildings[20:40, 20:40] = 20.0  # 200 m square, 20 m tall; row 0 is north
    crowns = np.zeros((60, 60), dtype=np.float32)
    crowns[50:52, 50:52] = 12.0
    return buildings, crowns


def test_a_southern_sun_shades_the_north_side(block: tuple[np.ndarray, np.ndarray]) -> None:
    buildings, crowns = block
    light = sunlit(buildings, crowns, cell=10.0, elevation=30.0, azimuth=180.0)
    assert (light[17:20, 30] == 0).all()  # 33 m of shadow north of the wall
    assert light[12, 30] == 1.0
    assert (light[40:45, 30] == 1).all()  # the sunny south side
    assert (light[20:40, 20:40] == 0).all()  # inside the building
    assert light[49, 50] == CROWN_TRANSMISSIVITY  # the tree's 19 m shadow
    assert light[47, 50] == 1.0
    assert light[50, 50] == CROWN_TRANSMISSIVITY  # under the crown


def test_an_eastern_sun_shades_the_west_side(block: tuple[np.ndarray, np.ndarray]) -> None:
    buildings, crowns = block
    light = sunlit(buildings, crowns, cell=10.0, elevation=30.0, azimuth=90.0)
    assert light[30, 18] == 0.0 and light[30, 42] == 1.0


def test_everything_is_shaded_with_the_sun_at_the_horizon(
    block: tuple[np.ndarray, np.ndarray],
) -> None:
    buildings, crowns = block
    assert (sunlit(buildings, crowns, cell=10.0, elevation=1.0, azimuth=180.0) == 0).all()


def test_sky_view_factor(block: tuple[np.ndarray, np.ndarray]) -> None:
    buildings, crowns = block
    view = sky_view_factor(buildings, crowns, cell=10.0)
    assert view[5, 5] == 1.0
    assert view[40, 30] < view[45, 30] < view[55, 30] < 1.0  # a wall closes part of the sky
    assert view[40, 30] < 0.85
    assert view[50, 50] < 0.1  # under a crown
    open_field = sky_view_factor(
        np.zeros((5, 5), np.float32), np.zeros((5, 5), np.float32), cell=10.0
    )
    assert (open_field == 1).all()


def test_sky_view_factor_walks_every_line_to_its_end() -> None:
    """The kernel stops a line early where nothing farther can rise higher; the answer is the
    full 200 m walk's, cell for cell."""
    rng = np.random.default_rng(7)
    buildings = np.where(rng.random((24, 24)) < 0.1, rng.uniform(3, 40, (24, 24)), 0)
    crowns = np.where(rng.random((24, 24)) < 0.1, rng.uniform(2, 20, (24, 24)), 0)
    buildings, crowns = buildings.astype(np.float32), crowns.astype(np.float32)
    cell, surface = 25.0, np.maximum(buildings, crowns)
    expected = np.empty_like(surface)
    for r, c in np.ndindex(surface.shape):
        closed = 0.0
        for a in range(16):
            angle = 2 * math.pi * a / 16
            steepest = 0.0
            for k in range(1, 9):  # 200 m in 25 m cells
                rr = math.floor(r - k * math.cos(angle) + 0.5)
                cc = math.floor(c + k * math.sin(angle) + 0.5)
                if not (0 <= rr < 24 and 0 <= cc < 24):
                    break
                steepest = max(steepest, (float(surface[rr, cc]) - 1.1) / (k * cell))
            closed += steepest**2 / (1 + steepest**2)
        view = 1 - closed / 16
        expected[r, c] = view * CROWN_TRANSMISSIVITY if crowns[r, c] > 1.1 else view
    np.testing.assert_allclose(sky_view_factor(buildings, crowns, cell=cell), expected, atol=1e-6)
