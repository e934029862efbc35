"""Speed and savings of the energy models; prints its figures and the machine.

    PYTHONPATH=src python bench/energy.py            # speed, and the savings of a January fortnight
    PYTHONPATH=src python bench/energy.py --full     # ... and of the whole heating season
    PYTHONPATH=src python bench/energy.py --tiny --no-savings  # 3 runs, 3 buildings (the test's)

Figures:
* 5R1C simulation of one zone over 8 760 hours (median of 50 runs after compilation), beside
  the same year in rcbsim's Python loop when rcbsim is installed;
* one building's MPC plan (24 h and 48 h in 15-minute steps, HiGHS), median of 50;
* a portfolio of 50 buildings re-planned: the LPs alone, and through the service (SQLite file,
  reading the inputs, storing the plans, sending the Tasks) in one write;
* the savings simulation: reference school and town hall, Mannheim test reference year,
  generated day-ahead tariff, MPC re-planning hourly vs the scheduled thermostat, BOPTEST KPIs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from common import cpu_model  # the sibling module (bench/ is first on the path)

from allmende.modules.energy import kpi, mpc, rc, simulation, tariff, weather


def machine() -> str:
    cpu = cpu_model()
    from importlib.metadata import version

    return (
        f"CPU: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"numpy {version('numpy')}, numba {version('numba')}, highspy {version('highspy')}"
    )


def zone(scale: float = 1.0) -> rc.Zone:
    return rc.Zone.from_building(
        floor_area=1500.0 * scale,
        volume=4800.0 * scale,
        window_area=330.0 * scale,
        opaque_area=2200.0 * scale,
        u_window=1.3,
        u_opaque=0.45,
        air_changes=0.6,
        heat_capacity_per_floor_area=260_000.0,
    )


#: Runs per median and buildings in the portfolio (``--tiny`` makes them small).
RUNS = 50
BUILDINGS = 50


def bench_simulation() -> None:
    hours = np.arange(8760)
    t_out = 10 - 10 * np.cos(2 * np.pi * hours / 8760) - 4 * np.cos(2 * np.pi * hours / 24)
    sun = 20000 * np.clip(np.sin(2 * np.pi * (hours % 24 - 6) / 24), 0, None)
    gains = np.where((hours % 24 >= 7) & (hours % 24 < 17), 15000.0, 2000.0)
    z = zone()

    def run() -> None:
        rc.simulate(
            z,
            t_out=t_out,
            internal_gains=gains,
            solar_gains=sun,
            t_set_heating=20.0,
            t_set_cooling=26.0,
        )

    run()  # compile (or load the cached machine code)
    times = []
    for _ in range(RUNS):
        tick = time.perf_counter()
        run()
        times.append(time.perf_counter() - tick)
    print(
        f"5R1C, one zone, 8 760 h:           {statistics.median(times) * 1000:8.2f} ms"
        f" (median of {RUNS})"
    )
    try:
        from rcbsim.building_physics import Zone as Reference
    except ImportError:
        return
    ref = Reference()
    tick = time.perf_counter()
    t_m = 20.0
    for k in range(8760):
        ref.solve_energy(gains[k] / 40, sun[k] / 40, t_out[k], t_m)
        t_m = ref.t_m_next
    print(f"   rcbsim's Python loop, same year:   {(time.perf_counter() - tick) * 1000:8.1f} ms")


def forecast(n: int, seed: int) -> mpc.Forecast:
    rng = np.random.default_rng(seed)
    hours = np.arange(n) / 4
    occupied = (hours % 24 >= 7) & (hours % 24 < 17)
    return mpc.Forecast(
        t_out=2 + 4 * np.sin(2 * np.pi * (hours - 9) / 24) + rng.normal(0, 0.5, n),
        internal_gains=np.where(occupied, 14000.0, 2000.0),
        solar_gains=8000 * np.clip(np.sin(2 * np.pi * (hours % 24 - 7) / 20), 0, None),
        low=np.where(occupied, 20.0, 16.0),
        high=np.where(occupied, 24.0, 30.0),
        price=tariff.retail_price(np.floor(hours) + 24 * seed),
        co2=tariff.grid_co2(np.floor(hours) + 24 * seed),
        base_load=np.full(n, 6.0),
        pv=np.zeros(n),
    )


def bench_plans() -> None:
    plant = mpc.Plant(heating_kw=90.0)
    for steps in (96, 192):
        mpc.plan(zone(), plant, forecast(steps, 0), t_m0=19.0)
        times, cpu = [], []
        for i in range(RUNS):
            tick, used = time.perf_counter(), time.process_time()
            result = mpc.plan(zone(), plant, forecast(steps, i), t_m0=19.0)
            times.append(time.perf_counter() - tick)
            cpu.append(time.process_time() - used)
            assert result.feasible
        label = f"MPC plan, one building, {steps // 4} h:"
        print(
            f"{label:36s}{statistics.median(times) * 1000:8.2f} ms "
            f"(CPU {statistics.median(cpu) * 1000:.2f} ms; median of {RUNS})"
        )
    zones = [zone(0.5 + i / 50) for i in range(BUILDINGS)]
    plants = [mpc.Plant(heating_kw=60.0 + i) for i in range(BUILDINGS)]
    inputs = [forecast(96, i) for i in range(BUILDINGS)]
    tick, cpu = time.perf_counter(), time.process_time()
    for z, p, f in zip(zones, plants, inputs, strict=True):
        mpc.plan(z, p, f, t_m0=19.0)
    print(
        f"Portfolio of {BUILDINGS} buildings, LPs only: {time.perf_counter() - tick:8.2f} s "
        f"(CPU {time.process_time() - cpu:.2f} s)"
    )


def bench_service() -> None:
    from shapely.geometry import box

    from allmende.core.registry import discover
    from allmende.identity import service as identity
    from allmende.modules.energy import service
    from allmende.sdk import sensing, vocabulary
    from allmende.storage import migrate
    from allmende.storage.database import Database

    root = Path(sys.modules["allmende"].__file__ or "").parent
    locations = [
        root / "identity/migrations",
        root / "delivery/migrations",
        root / "sensing/migrations",
    ]
    locations += [m.migrations for m in discover() if m.migrations is not None]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/energy-bench.db"
        migrate.upgrade(url, [p for p in locations if p.is_dir()])
        database = Database(url)
        now = datetime(2026, 1, 14, 6, 0, tzinfo=UTC)

        def setup(session) -> None:  # type: ignore[no-untyped-def]
            town = identity.create_municipality(
                session,
                key="bench",
                name="Bench",
                ags="08999199",
                jurisdiction_id="bench.example",
                boundary=box(8.6, 49.4, 8.7, 49.5),
            )
            station = sensing.ensure_thing(
                session, name="Wetter", municipality_id=town.id, public=True, lon=8.65, lat=49.45
            )
            temperature = sensing.ensure_datastream(
                session,
                thing_id=station,
                name="Lufttemperatur",
                definition=vocabulary.AIR_TEMPERATURE,
                observed_property_name="Lufttemperatur",
                unit_name="degree Celsius",
                unit_symbol="°C",
                unit_definition="ucum:Cel",
                public=True,
            )
            hours = [now - timedelta(hours=48 - h) for h in range(48)]
            sensing.ingest_series(
                session,
                datastream_id=temperature,
                times=hours,
                values=[float(2 + 4 * np.sin(h / 24 * 2 * np.pi)) for h in range(48)],
            )
            market = service.ensure_market(session, municipality_id=town.id, lon=8.65, lat=49.45)
            grid = [now - timedelta(hours=24) + timedelta(hours=h) for h in range(72)]
            hour_of_year = np.array(
                [(t - datetime(t.year, 1, 1, tzinfo=UTC)).total_seconds() / 3600 for t in grid]
            )
            sensing.ingest_series(
                session,
                datastream_id=market.price_stream,
                times=grid,
                values=[float(v) for v in tariff.retail_price(hour_of_year)],
            )
            sensing.ingest_series(
                session,
                datastream_id=market.co2_stream,
                times=grid,
                values=[float(v) * 1000 for v in tariff.grid_co2(hour_of_year)],
            )
            for i in range(BUILDINGS):
                area = 600.0 + 40 * i
                building = service.create_building(
                    session,
                    municipality_id=town.id,
                    name=f"Gebäude {i:02d}",
                    use="school",
                    floor_area=area,
                    heating_system="heat_pump",
                    lon=8.65,
                    lat=49.45,
                )
                service.add_zone(
                    session,
                    building_id=building.id,
                    name="Zone",
                    floor_area=area,
                    volume=area * 3.2,
                    window_area=area * 0.22,
                    opaque_area=area * 1.4,
                    heat_capacity=260_000.0,
                    heating_kw=area * 0.08,
                    control="mpc",
                )

        database.write(setup)
        database.write(lambda s: service.replan_all(s, now=now - timedelta(minutes=15)))
        tick, cpu = time.perf_counter(), time.process_time()
        plans = database.write(lambda s: service.replan_all(s, now=now))
        elapsed, used = time.perf_counter() - tick, time.process_time() - cpu
        database.close()
    fallbacks = sum(p.status == "fallback" for p in plans)
    print(
        f"Portfolio of {BUILDINGS} buildings, service:   {elapsed:8.2f} s (CPU {used:.2f} s; "
        f"inputs read, LPs, plans stored, Tasks sent; {fallbacks} fell back)"
    )


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def month_of(step: np.ndarray) -> np.ndarray:
    """The month (0–11) of 15-minute steps counted from 1 January of the (non-leap) year."""
    first_step = np.cumsum((0, *MONTH_DAYS[:-1])) * 96
    return np.searchsorted(first_step, step % (365 * 96), side="right") - 1


def bench_savings(full: bool, fixed_supply: bool) -> None:
    import dataclasses

    import teaser

    site = weather.read_mos(
        Path(teaser.__file__).parent
        / "data/input/inputdata/weatherdata/DEU_BW_Mannheim_107290_TRY2010_12_Jahr_BBSR.mos"
    )
    label = "heating season 1 Oct – 30 Apr" if full else "January fortnight 15–28 Jan"
    plant_note = (
        "heat pump at a fixed 45 °C supply" if fixed_supply else "heat pump, supply by load"
    )
    print(f"\nSavings, {label} (Mannheim TRY 2010, generated day-ahead tariff, {plant_note}):")
    print(
        "band 20–24 °C occupied (DIN EN 16798-1 cat. II), 16–30 °C empty; thermostat 20 °C "
        "from 2 h before occupancy, 16 °C otherwise"
    )
    print(
        f"{'building':34s}{'cost €':>10s}{'kWh el':>10s}{'tdis Kh':>9s}{'cold Kh':>9s}"
        f"{'warm Kh':>9s}{'cost_tot':>10s}{'ener_tot':>10s}{'emis_tot':>10s}{'pele W/m²':>10s}"
        f"{'time_rat':>11s}"
    )
    for factory in (simulation.reference_school, simulation.reference_town_hall):
        building = factory()
        if fixed_supply:
            plant = dataclasses.replace(
                building.plant, design_supply=45.0, design_return=45.0, min_supply=45.0
            )
            building = dataclasses.replace(building, plant=plant)
        x = simulation.inputs(building, site)
        if full:
            x, period = simulation.season(x)
            start, steps = period.start, period.stop - period.start
        else:
            start, steps = 96 * 14, 96 * 14
        t_m0 = simulation.warm_state(building, x, start=start)
        runs = {
            "thermostat": simulation.run_thermostat(
                building, x, start=start, steps=steps, t_m0=t_m0
            ),
            "MPC": simulation.run_mpc(building, x, start=start, steps=steps, t_m0=t_m0),
        }
        sl = slice(start, start + steps)
        for name, run in runs.items():
            k = run.kpis
            cold = kpi.discomfort(run.t_air, x.low[sl], np.full(steps, np.inf), 0.25)
            print(
                f"{building.name + ', ' + name:34s}{run.cost:10.0f}"
                f"{run.electricity_kw.sum() / 4:10.0f}{k.tdis_tot:9.2f}{cold:9.2f}"
                f"{k.tdis_tot - cold:9.2f}{k.cost_tot:10.3f}{k.ener_tot:10.2f}"
                f"{k.emis_tot:10.3f}{k.pele_tot * 1000:10.2f}{k.time_rat:11.2e}"
            )
        saving = 1 - runs["MPC"].cost / runs["thermostat"].cost
        print(
            f"{'':34s}cost saving {saving * 100:.1f} %, {runs['MPC'].infeasible} fallbacks"
            f" in {runs['MPC'].solves} plans"
        )
        if not full:
            continue
        months = month_of(np.arange(start, start + steps))
        print(
            f"{'':4s}{'month':8s}{'thermostat €':>14s}{'MPC €':>10s}{'saving':>9s}"
            f"{'tdis Kh th/MPC':>18s}"
        )
        for month in dict.fromkeys(months.tolist()):
            inside = months == month
            cost = {
                n: float(np.sum(r.electricity_kw[inside] * x.price[sl][inside]) / 4)
                for n, r in runs.items()
            }
            tdis = {
                n: kpi.discomfort(r.t_air[inside], x.low[sl][inside], x.high[sl][inside], 0.25)
                for n, r in runs.items()
            }
            print(
                f"{'':4s}{MONTHS[month]:8s}{cost['thermostat']:14.0f}{cost['MPC']:10.0f}"
                f"{(1 - cost['MPC'] / cost['thermostat']) * 100:8.1f}%"
                f"{tdis['thermostat']:10.1f} / {tdis['MPC']:.1f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="the savings of a whole heating season")
    parser.add_argument("--no-savings", action="store_true", help="speed only")
    parser.add_argument("--tiny", action="store_true", help="3 runs per median, 3 buildings")
    parser.add_argument(
        "--fixed-supply",
        action="store_true",
        help="the savings with the heat pump at a fixed 45 °C supply (no part-load benefit)",
    )
    args = parser.parse_args()
    if args.tiny:
        global RUNS, BUILDINGS
        RUNS = BUILDINGS = 3
    print(machine())
    print("(provisional: the machine is shared)\n")
    bench_simulation()
    bench_plans()
    bench_service()
    if not args.no_savings:
        bench_savings(args.full, args.fixed_supply)


if __name__ == "__main__":
    main()
