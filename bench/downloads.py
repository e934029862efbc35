"""Download benchmark: a year of one-minute Observations (525 600 rows) of one Datastream,
streamed as CSV (German spreadsheet dialect) and as Parquet the way ``/catalog`` serves them.

    PYTHONPATH=src python bench/downloads.py            # a year, SQLite
    PYTHONPATH=src python bench/downloads.py --days 30  # quicker

Prints per format the time, the rate, the file size and how much the process's peak memory
(max RSS) grew while streaming — flat streaming keeps that near the size of one chunk,
whatever the period.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from allmende.app import KERNEL_MIGRATIONS
from allmende.identity import service
from allmende.sensing import read as sensing
from allmende.standards.dcat import downloads
from allmende.storage.database import Database
from allmende.storage.migrate import upgrade

START = datetime(2025, 1, 1, tzinfo=UTC)
BATCH = 100_000


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(database: Database, minutes: int) -> int:
    def stream(session):  # type: ignore[no-untyped-def]
        place = service.create_municipality(session, key="bench", name="Bench", ags="08999999")
        thing = sensing.create_thing(
            session, municipality_id=place.id, name="Station", lon=8.6, lat=49.4
        )
        return sensing.create_datastream(
            session,
            thing_id=thing,
            sensor_id=sensing.create_sensor(session, municipality_id=place.id, name="s"),
            observed_property_id=sensing.create_observed_property(
                session, municipality_id=place.id, name="T", definition="urn:t"
            ),
            name="Lufttemperatur",
            unit={"name": "Grad Celsius", "symbol": "Cel", "definition": "ucum"},
        )

    stream_id = int(database.write(stream))
    base = int(START.timestamp()) * 1_000_000
    for first in range(0, minutes, BATCH):
        count = min(BATCH, minutes - first)
        times = [base + (first + m) * 60_000_000 for m in range(count)]
        values = [((first + m) % 1440) / 100 for m in range(count)]
        database.write(
            lambda s, t=times, v=values: sensing.ingest_series(
                s, datastream_id=stream_id, times=t, values=v
            )
        )
    return stream_id


def stream(database: Database, stream_id: int, fmt: str, days: int) -> tuple[float, int, float]:
    with database.session() as session:
        info = {s.id: s for s in downloads.streams(session, [stream_id])}
    chunks = downloads.observation_rows(
        database.session, [stream_id], START, START + timedelta(days=days)
    )
    parts = (
        downloads.observations_csv(chunks, info, "excel-de")
        if fmt == "csv"
        else downloads.observations_parquet(chunks, info)
    )
    before = max_rss_mb()
    started = time.perf_counter()
    size = sum(len(part) for part in parts)
    return time.perf_counter() - started, size, max_rss_mb() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    minutes = args.days * 1440
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        upgrade(url, list(KERNEL_MIGRATIONS))
        database = Database(url)
        started = time.perf_counter()
        stream_id = build(database, minutes)
        print(f"stored {minutes} Observations in {time.perf_counter() - started:.1f} s")
        stream(database, stream_id, "parquet", 1)  # load what the writers load once
        stream(database, stream_id, "csv", 1)
        print(f"{'format':8} {'seconds':>8} {'rows/s':>10} {'MB':>8} {'max RSS +MB':>12}")
        for fmt in ("csv", "parquet"):
            seconds, size, grew = stream(database, stream_id, fmt, args.days)
            print(
                f"{fmt:8} {seconds:8.1f} {minutes / seconds:10.0f} {size / 1e6:8.1f} {grew:12.1f}"
            )
        database.close()


if __name__ == "__main__":
    main()
