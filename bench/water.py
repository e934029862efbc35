"""Water benchmark: the models' speed next to their references, the irrigation season and the
leak detector's figures.

    PYTHONPATH=src python bench/water.py            # everything (about a minute)
    PYTHONPATH=src python bench/water.py --quick    # smaller leak sets

Prints:

* FAO-56 ET0 for 10^6 daily values, ours and ``pyet.pm_fao56`` on the same inputs (best of
  three runs each, after one warm-up), and their largest difference;
* the soil-water bucket for 100 000 trees over 365 days;
* the season simulation (controller against a fixed timer) on the Mannheim test reference
  year and on Greensboro's TMY3, per zone;
* the leak detector on two generated meter sets (the tuning set and the validation set);
* the needs-water map over 100 000 trees in SQLite: the whole region (clusters) and a
  street (points), the query the map's GeoJSON endpoint runs.

Needs the test extra (pyet, teaser, pvlib). Figures depend on the machine: it is printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from allmende.modules.water import balance, consumption, leaks, meters, season
from allmende.modules.water import weather_files as wf
from allmende.modules.water.et0 import et0_daily


def best_of(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    work()
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_et0(n: int = 1_000_000) -> None:
    import pandas as pd
    import pyet

    rng = np.random.default_rng(1)
    tmin = rng.uniform(-5, 18, n)
    tmax = tmin + rng.uniform(2, 15, n)
    rs = rng.uniform(1, 30, n)
    wind = rng.uniform(0.3, 6, n)
    rh_max = rng.uniform(60, 100, n)
    rh_min = rh_max - rng.uniform(10, 45, n)
    pressure = rng.uniform(97, 103, n)
    index = pd.date_range("1000-01-01", periods=n, freq="D", unit="s")
    doy = index.dayofyear.to_numpy().astype(np.float64)
    lat = 49.5

    def ours() -> np.ndarray:
        return et0_daily(
            tmax=tmax, tmin=tmin, latitude=lat, elevation=96, day_of_year=doy, rs=rs,
            wind_2m=wind, rh_max=rh_max, rh_min=rh_min, pressure=pressure,
        ).values  # fmt: skip

    def reference() -> np.ndarray:
        def s(a: np.ndarray) -> pd.Series:
            return pd.Series(a, index)

        return pyet.pm_fao56(
            s((tmax + tmin) / 2), s(wind), rs=s(rs), tmax=s(tmax), tmin=s(tmin),
            rhmax=s(rh_max), rhmin=s(rh_min), pressure=s(pressure), elevation=96,
            lat=np.radians(lat),
        ).to_numpy()  # fmt: skip

    t_ours, a = best_of(3, ours)
    t_ref, b = best_of(3, reference)
    print(f"ET0, {n:,} daily values:   ours {t_ours:6.3f} s   pyet {t_ref:6.3f} s   "
          f"max |difference| {np.abs(a - b).max():.2e} mm/day")  # fmt: skip


def bench_bucket(n: int = 100_000, days: int = 365, stations: int = 20) -> None:
    rng = np.random.default_rng(2)
    traits = balance.TreeTraits(
        species_factor=rng.choice([0.2, 0.5, 0.8], n),
        age_years=rng.uniform(1, 80, n),
        crown_diameter_m=np.full(n, np.nan),
        pit_volume_m3=np.full(n, 12.0),
        open_area_m2=np.full(n, 6.0),
        sealed_share=rng.uniform(0.3, 1.0, n),
        microclimate=rng.choice([1.0, 1.2], n),
        available_water=0.152,
        station=rng.integers(0, stations, n),
    )
    plants = balance.tree_plants(traits)
    et0 = rng.uniform(0, 6, (stations, days))
    rain = np.where(rng.random((stations, days)) < 0.3, rng.exponential(5, (stations, days)), 0)
    supplies = balance.Supplies.of(
        rng.integers(0, days, 50_000), rng.integers(0, n, 50_000), np.full(50_000, 100.0)
    )
    readings = balance.Readings.of(
        np.repeat(np.arange(days), 100), np.tile(rng.integers(0, n, 100), days), 0.5, 0.06
    )
    t, _ = best_of(
        3,
        lambda: balance.run(plants, et0=et0, rain=rain, supplies=supplies, readings=readings),
    )
    print(f"Bucket, {n:,} trees × {days} days (50 000 waterings, 100 probes): {t:6.3f} s")


def bench_season() -> None:
    print("\nIrrigation season 1 April - 30 September, controller vs. fixed timer")
    header = (
        f"  {'zone':28s} {'timer m³':>9s} {'ctrl m³':>8s} {'saving':>7s} "
        f"{'adequacy':>9s} {'excess':>7s} {'timer adeq.':>11s} {'timer exc.':>10s} "
        f"{'skip rain':>9s}"
    )
    for year in (wf.mannheim_try(), wf.greensboro_tmy3()):
        daily = year.days()
        rain = daily.precipitation if daily.precipitation is not None else np.zeros(365)
        results = season.simulate(
            et0=daily.et0(),
            rain=rain,
            day_of_year=daily.day_of_year,
            weekday=((daily.day_of_year - 1) % 7).astype(np.int64),
        )
        season_days = (daily.day_of_year >= 91) & (daily.day_of_year <= 273)
        print(f"{daily.station.name}: ET0 {daily.et0()[season_days].sum():.0f} mm, "
              f"rain {rain[season_days].sum():.0f} mm in the season")  # fmt: skip
        print(header)
        for r in results:
            c, t = r.controller, r.timer
            print(f"  {r.zone:28s} {t.water_m3:9.1f} {c.water_m3:8.1f} {100 * r.saving:6.1f}% "
                  f"{c.adequacy:8.1f}% {c.excess:6.1f}% {t.adequacy:10.1f}% {t.excess:9.1f}% "
                  f"{c.skipped_for_rain:9d}")  # fmt: skip
        total_t = sum(r.timer.water_m3 for r in results)
        total_c = sum(r.controller.water_m3 for r in results)
        saving = 100 * (1 - total_c / total_t)
        print(f"  {'all zones':28s} {total_t:9.1f} {total_c:8.1f} {saving:6.1f}%")


def bench_leaks(count: int) -> None:
    print(f"\nLeak detector, {count} meters per set, one year each, a 0.5 l/min leak per meter")
    sets = (
        ("tuning set (seed 1)", 1, {}),
        (
            "validation set (seed 2)",
            2,
            {"scale": (0.3, 3.0), "night_draw": (0.01, 0.08), "coarse_share": 0.5},
        ),
    )
    for label, seed, fleet in sets:
        rng = np.random.default_rng(seed)
        false_alarms, nights = 0, []
        start_time = time.perf_counter()
        for i, meter in enumerate(consumption.fleet(rng, count, **fleet)):  # type: ignore[arg-type]
            false_alarms += len(_alarms(meter, (seed, i)))
            start = int(np.random.default_rng([seed, i, 2]).integers(60 * 24, 330 * 24))
            found = [
                a.night
                for a in _alarms(consumption.with_leak(meter, start), (seed, i))
                if a.night * 24 + leaks.NIGHT_END_HOUR > start
            ]
            nights.append(found[0] - (-(-start // 24)) + 1 if found else -1)
        counts = dict(enumerate(np.bincount([n for n in nights if n >= 0]).tolist()))
        elapsed = time.perf_counter() - start_time
        found = sum(n >= 0 for n in nights)
        print(
            f"  {label}: false alarms {false_alarms} in {count} meter-years; leaks found "
            f"{found}/{count}; nights to find {counts}; {elapsed:.1f} s"
        )


def _alarms(meter: consumption.Meter, seed: tuple[int, ...]) -> list[leaks.Alarm]:
    use = consumption.hourly_use(meter, year=2025, rng=np.random.default_rng(seed))
    sent = consumption.meter_readings(use, meter, rng=np.random.default_rng([*seed, 1]))
    hourly = meters.from_counter(sent.times_s, sent.counter_l)
    hour = hourly.start_s // 3600
    return leaks.detect(hourly.measured, hour // 24, hour % 24)[1]


def bench_map(n: int = 100_000) -> None:
    import tempfile
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from allmende.app import migration_locations
    from allmende.core.registry import Registry, discover
    from allmende.identity import service as identity
    from allmende.modules.water import lists
    from allmende.modules.water.models import Tree
    from allmende.storage.database import Database, make_engine
    from allmende.storage.migrate import upgrade

    folder = tempfile.mkdtemp()
    url = f"sqlite:///{folder}/map.sqlite3"
    registry = Registry.build(discover())
    engine = make_engine(url)
    upgrade(url, migration_locations(registry), engine=engine)
    engine.dispose()
    database = Database(url)
    rng = np.random.default_rng(3)
    now = datetime.now(UTC)
    lon = rng.uniform(8.40, 8.80, n)  # a city of 30 × 45 km
    lat = rng.uniform(49.30, 49.70, n)
    status = rng.choice(["ok", "soon", "now"], n, p=[0.6, 0.3, 0.1])

    def fill(session):  # type: ignore[no-untyped-def]
        m = identity.create_municipality(session, key="stadt", name="Stadt", ags="08999999")
        rows = [
            {"municipality_id": m.id, "collection": "assets-tree", "object_id": i + 1,
             "name": f"Baum {i + 1}", "water_use": "moderate", "lon": float(lon[i]),
             "lat": float(lat[i]), "status": str(status[i]), "synced_at": now}
            for i in range(n)
        ]  # fmt: skip
        session.execute(insert(Tree), rows)

    database.write(fill)
    with database.session() as session:
        whole, region = best_of(3, lambda: lists.map_features(session, bbox=None, zoom=10))
        street, points = best_of(
            3,
            lambda: lists.map_features(session, bbox=(8.600, 49.500, 8.606, 49.504), zoom=17),
        )
    database.close()
    print(f"\nNeeds-water map, {n:,} trees (SQLite, the map's query):")
    print(f"  whole region, zoom 10: {len(region['features'])} clusters in {whole * 1000:.0f} ms")
    print(f"  a street, zoom 17: {len(points['features'])} trees in {street * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller leak sets")
    args = parser.parse_args()
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, numpy {np.__version__}")  # fmt: skip
    try:
        load = os.getloadavg()
        print(f"Load average: {load[0]:.1f} (the figures are provisional on a shared machine)")
    except OSError:
        pass
    bench_et0()
    bench_bucket()
    bench_season()
    bench_leaks(20 if args.quick else 100)
    bench_map()


if __name__ == "__main__":
    main()
