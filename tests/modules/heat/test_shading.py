"""Shadow casting and the sky view factor on small surface models."""

from __future__ import annotations

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
