"""Fixtures of the heat module's tests: a generated town, built once per test module."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from allmende.modules.heat import gridmodel, radiant, synthetic
from allmende.modules.heat.landcover import Grid, LandCover

CENTRE = (480_000.0, 5_480_000.0)  # EPSG:25832, near Mannheim
RADIUS = 2_500.0


@dataclass(frozen=True)
class Town:
    grid: Grid
    layers: synthetic.TownLayers
    cover: LandCover
    statics: gridmodel.Statics


@pytest.fixture(scope="module")
def town() -> Town:
    cx, cy = CENTRE
    grid = Grid.covering((cx - 2800, cy - 2800, cx + 2800, cy + 2800), cell=10.0)
    layers = synthetic.town_layers(grid, centre=CENTRE, radius=RADIUS, seed=1)
    cover = synthetic.town_cover(grid, layers)
    return Town(grid, layers, cover, gridmodel.prepare(cover))


def weather_of(times: pd.DatetimeIndex, ta: np.ndarray, ghi: np.ndarray) -> list[gridmodel.Weather]:
    """Regional weather per hour: the given air temperature and radiation, 40 % humidity,
    2 m/s of wind."""
    sky = radiant.sun(times, 49.47, 8.72, ghi)
    cloud = radiant.cloud_cover(ghi, sky)
    fields = ("elevation", "azimuth", "direct_normal", "diffuse", "clear_sky")
    return [
        gridmodel.Weather(
            float(ta[h]),
            40.0,
            2.0,
            float(cloud[h]),
            radiant.Sun(*(getattr(sky, f)[h : h + 1] for f in fields)),
        )
        for h in range(len(times))
    ]


def summer_days(days: int = 2) -> list[gridmodel.Weather]:
    """Clear summer days from midnight UTC: 16–32 °C, the sun's radiation under a clear sky."""
    hours = 24 * days
    times = pd.date_range("2025-07-14 00:00", periods=hours, freq="h", tz="UTC")
    ta = 24 + 8 * np.sin(2 * np.pi * (np.arange(hours) - 9) / 24)
    elevation = radiant.sun(times, 49.47, 8.72, np.zeros(hours)).elevation
    ghi = np.clip(900 * np.sin(np.radians(elevation)), 0, None)
    return weather_of(times, ta, ghi)
