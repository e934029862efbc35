"""Speed of the heat module's numeric models, next to the reference library in the same run.

    PYTHONPATH=src python bench/heat.py            # the sizes of the issue (10^6 cells)
    PYTHONPATH=src python bench/heat.py --quick    # small sizes, a smoke test

Prints the machine, then:

* UTCI for 10^6 cells: the module's numba kernel and pythermalcomfort's ``utci`` (its default,
  rounded output, and unrounded), median of several runs after a warm-up (numba compiles once
  and caches the machine code);
* the hourly heat map of a generated 10 km × 10 km town at 10 m cells (10^6 cells): model,
  shade, Tmrt, UTCI and the kriging correction from 20 stations, median of several runs; the
  land-cover preparation that runs once per land cover is printed apart.

Figures are wall-clock seconds on a machine that may be shared: rerun to compare.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from common import cpu_model  # the sibling module (bench/ is first on the path)

from allmende.modules.heat import gridmodel, radiant, shading, synthetic
from allmende.modules.heat.indices import relative_humidity
from allmende.modules.heat.landcover import Grid
from allmende.modules.heat.utci import utci


def machine() -> str:
    cpu = cpu_model()
    load = os.getloadavg()[0]
    import numba

    return (
        f"CPU: {cpu} | cores: {os.cpu_count()} | numba threads: {numba.get_num_threads()} | "
        f"load average (1 min): {load:.1f} | Python {platform.python_version()} | "
        f"numpy {np.__version__} | numba {numba.__version__}"
    )


def timed(run: Callable[[], Any], repeats: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_utci(cells: int, repeats: int) -> None:
    from pythermalcomfort.models import utci as reference

    rng = np.random.default_rng(1)
    ta = rng.uniform(-10, 40, cells)
    tmrt = ta + rng.uniform(-5, 30, cells)
    wind = rng.uniform(0.5, 8, cells)
    rh = rng.uniform(10, 90, cells)
    ours = timed(lambda: utci(ta, tmrt, wind, rh), repeats)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = timed(lambda: reference(ta, tmrt, wind, rh), max(1, repeats // 2))
        unrounded = timed(
            lambda: reference(ta, tmrt, wind, rh, round_output=False), max(1, repeats // 2)
        )
    print(f"\nUTCI for {cells:,} cells (median of {repeats} runs)")
    print(f"  allmende numba kernel              {ours * 1000:8.1f} ms")
    print(f"  pythermalcomfort utci (default)    {theirs * 1000:8.1f} ms")
    print(f"  pythermalcomfort utci (unrounded)  {unrounded * 1000:8.1f} ms")


def bench_map(side_m: float, stations: int, repeats: int) -> None:
    cell = 10.0
    cx, cy = 480_000.0, 5_480_000.0
    half = side_m / 2
    grid = Grid.covering((cx - half, cy - half, cx + half, cy + half), cell=cell)
    start = time.perf_counter()
    layers = synthetic.town_layers(grid, centre=(cx, cy), radius=half * 0.9, seed=1)
    cover = synthetic.town_cover(grid, layers)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    statics = gridmodel.prepare(cover)
    prepared = time.perf_counter() - start
    times = pd.date_range("2025-07-14 12:00", periods=1, freq="h", tz="UTC")
    sky = radiant.sun(times, 49.47, 8.72, np.array([820.0]))
    weather = gridmodel.Weather(31.0, 38.0, 2.5, 0.05, sky)
    reference = gridmodel.Reference()
    rng = np.random.default_rng(2)
    outdoor = np.argwhere(cover.outdoor)
    pick = outdoor[rng.choice(len(outdoor), stations, replace=False)]
    x = grid.west + (pick[:, 1] + 0.5) * cell
    y = grid.north - (pick[:, 0] + 0.5) * cell
    measured = gridmodel.Stations(x, y, 31.0 + rng.normal(0, 1.0, stations))

    def whole() -> None:
        gridmodel.hour_map(statics, weather, reference, measured)

    ta = gridmodel.model_air_temperature(statics, weather, reference)
    lit = shading.sunlit(
        statics.buildings, statics.crowns, cell=cell, elevation=weather.elevation, azimuth=200.0
    )
    e = weather.vapour_pressure
    tmrt = radiant.mrt_estimate(ta, e, sky, 0.05, sunlit=lit, sky_view=statics.sky_view)
    wind = np.clip(weather.wind * statics.wind_factor, 0.5, None)
    rh = relative_humidity(ta, e)
    parts = {
        "air temperature model": lambda: gridmodel.model_air_temperature(
            statics, weather, reference
        ),
        "kriging correction (20 stations)": lambda: gridmodel.krige_residuals(
            grid, x, y, rng.normal(0, 1, stations)
        ),
        "shade (shadow casting)": lambda: shading.sunlit(
            statics.buildings, statics.crowns, cell=cell, elevation=55.0, azimuth=200.0
        ),
        "Tmrt (six directions)": lambda: radiant.mrt_estimate(
            ta, e, sky, 0.05, sunlit=lit, sky_view=statics.sky_view
        ),
        "UTCI": lambda: utci(ta, tmrt, wind, rh),
    }
    print(
        f"\nHourly heat map, {side_m / 1000:.0f} km × {side_m / 1000:.0f} km at {cell:.0f} m: "
        f"{grid.width * grid.height:,} cells, {len(layers.buildings):,} buildings, "
        f"{len(layers.trees):,} trees (median of {repeats} runs)"
    )
    print(f"  whole hour incl. correction        {timed(whole, repeats) * 1000:8.1f} ms")
    for name, run in parts.items():
        print(f"    {name:<32} {timed(run, repeats) * 1000:8.1f} ms")
    print(
        f"  once per land cover: generating the town {generated:.1f} s, preparing {prepared:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    args = parser.parse_args()
    print(machine())
    if args.quick:
        bench_utci(10_000, 3)
        bench_map(1_000.0, 8, 2)
    else:
        bench_utci(1_000_000, 7)
        bench_map(10_000.0, 20, 5)


if __name__ == "__main__":
    main()
