"""Time of building the demo region (``allmende demo``, the modules' demo fixture), per module.

    PYTHONPATH=src python bench/demo_build.py                 # SQLite, one build
    PYTHONPATH=src python bench/demo_build.py --postgresql    # PostgreSQL+PostGIS as well
    PYTHONPATH=src python bench/demo_build.py --rounds 3      # several builds, the median
    PYTHONPATH=src python bench/demo_build.py --profile 30    # cProfile's top 30 of one build

Prints the machine, then per backend the seconds of the region itself (places and accounts) and
of each module's ``demo`` step, and the whole build: wall-clock and processor time (the latter
is less disturbed by other work on a shared machine). The build uses the fixed moment of the
modules' demo fixture, so every run builds the same data. Figures are wall-clock seconds on a
machine that may be shared: rerun to compare.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from common import machine_info  # the sibling module (bench/ is first on the path)
from sqlalchemy.orm import Session

from allmende.app import migration_locations
from allmende.core.registry import Registry, discover
from allmende.demo.region import build_region
from allmende.identity.demo import DemoContext
from allmende.storage.database import Database
from allmende.storage.ephemeral_pg import EphemeralPostgres, PostgresUnavailable
from allmende.storage.migrate import upgrade

NOW = datetime(2026, 9, 20, 14, 37, tzinfo=UTC)  # the modules' demo fixture's DEMO_NOW


def timed_registry(seconds: dict[str, float], cpu: dict[str, float]) -> Registry:
    """The registry, each module's demo step wrapped to add its wall-clock time to
    ``seconds`` and its processor time (all threads) to ``cpu``."""

    def timed(key: str, step: Callable[[DemoContext], None]) -> Callable[[DemoContext], None]:
        def run(context: DemoContext) -> None:
            start, start_cpu = time.perf_counter(), time.process_time()
            step(context)
            context.session.flush()
            seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - start
            cpu[key] = cpu.get(key, 0.0) + time.process_time() - start_cpu

        return run

    modules = [
        dataclasses.replace(m, demo=timed(m.key, m.demo)) if m.demo is not None else m
        for m in discover()
    ]
    return Registry.build(modules)


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="allmende-demo-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'demo.sqlite'}"


@contextmanager
def postgresql_url() -> Iterator[str]:
    with EphemeralPostgres() as pg:
        pg.wait_ready()
        yield pg.create_database("demo")


def build_once(url: str, profile: int) -> dict[str, tuple[float, float]]:
    """Migrate a fresh database at ``url``, build the demo in it; wall-clock and processor
    seconds per step."""
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    registry = timed_registry(seconds, cpu)
    upgrade(url, migration_locations(registry))
    database = Database(url)
    # Processor time: a profile on a shared machine is not skewed by waits for a core.
    profiler = cProfile.Profile(time.process_time) if profile else None

    def build(session: Session) -> None:
        # The SQLite writer runs this in its own thread: the profiler must be enabled there.
        if profiler is not None:
            profiler.enable()
        try:
            build_region(session, registry=registry, now=NOW)
        finally:
            if profiler is not None:
                profiler.disable()

    try:
        start, start_cpu = time.perf_counter(), time.process_time()
        database.write(build)
        total, total_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    finally:
        database.close()
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(profile)
    steps = {key: (seconds[key], cpu[key]) for key in seconds}
    steps["region"] = (total - sum(seconds.values()), total_cpu - sum(cpu.values()))
    steps["total"] = (total, total_cpu)
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgresql", action="store_true", help="also build on PostgreSQL")
    parser.add_argument("--rounds", type=int, default=1, help="builds per backend (median)")
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's top N")
    args = parser.parse_args()

    print("machine:", machine_info(None))
    backends: list[tuple[str, Callable[[], AbstractContextManager[str]]]] = [("sqlite", sqlite_url)]
    if args.postgresql:
        backends.append(("postgresql", postgresql_url))
    for name, url_of in backends:
        runs: list[dict[str, tuple[float, float]]] = []
        for _ in range(args.rounds):
            try:
                with url_of() as url:
                    runs.append(build_once(url, args.profile))
            except PostgresUnavailable as exc:
                print(f"{name}: skipped ({exc})")
                break
        if not runs:
            continue
        print(f"\n{name}: median of {len(runs)} build(s)   wall s    cpu s")
        for step in runs[0]:
            wall = statistics.median(r[step][0] for r in runs)
            used = statistics.median(r[step][1] for r in runs)
            print(f"  {step:<14} {wall:24.2f} {used:8.2f}")


if __name__ == "__main__":
    main()
