"""What the hardening of requests costs, and what it saves.

    PYTHONPATH=src python bench/limits.py            # about half a minute
    PYTHONPATH=src python bench/limits.py --quick    # a few seconds

* the one time parser against Python's ``datetime.fromisoformat``, per text;
* the depth bound on JSON bodies, per MB of a typical data array (parsing included);
* SensorThings reads on a small in-process installation (SQLite): an ordinary ``$expand``,
  and the nested ``$expand`` that used to grow an answer to hundreds of megabytes (now
  refused before it runs), with the time to the answer.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import timeit
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from common import cpu_model  # the sibling module (bench/ is first on the path)

from allmende.core.timeutil import parse_datetime
from allmende.http.jsonbody import json_depth
from allmende.sensing.times import parse_instant


def machine() -> str:
    cpu = cpu_model()
    return (
        f"CPU: {cpu} | cores: {os.cpu_count()} | Python {platform.python_version()} | "
        f"SQLite {sqlite3.sqlite_version}"
    )


def per_call_us(fn: Any, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def bench_times(number: int) -> None:
    text = "2026-05-01T12:00:00.123+02:00"
    print("Time parser, µs per text (best of 5)")
    for label, parse in (
        ("datetime.fromisoformat", lambda: datetime.fromisoformat(text)),
        ("core parse_datetime (UTC)", lambda: parse_datetime(text)),
        ("sensing parse_instant (µs)", lambda: parse_instant(text, field="t")),
    ):
        print(f"  {label:<28}{per_call_us(parse, number):6.2f}")


def bench_json(rows: int) -> None:
    body = orjson.dumps(
        [
            {
                "Datastream": {"@iot.id": 1},
                "components": ["phenomenonTime", "result"],
                "dataArray": [[f"2026-05-01T00:{n % 60:02d}:00Z", n * 0.1] for n in range(rows)],
            }
        ]
    )
    megabytes = len(body) / 1e6
    parse = min(timeit.repeat(lambda: orjson.loads(body), number=3, repeat=3)) / 3
    value = orjson.loads(body)
    walk = min(timeit.repeat(lambda: json_depth(value), number=3, repeat=3)) / 3
    print(f"\nJSON depth bound, a data array of {rows:,} rows ({megabytes:.1f} MB)")
    print(f"  parse (orjson)              {parse * 1000:6.1f} ms")
    rate = walk / megabytes * 1000
    print(f"  depth walk                  {walk * 1000:6.1f} ms  ({rate:.1f} ms/MB)")


def bench_reads(repeat: int) -> None:
    from fastapi.testclient import TestClient

    from allmende.app import KERNEL_MIGRATIONS, create_app
    from allmende.core.registry import Registry
    from allmende.core.settings import Mode, Settings
    from allmende.identity.principal import Principal
    from allmende.standards.sensorthings.exchange import StaRequest
    from allmende.standards.sensorthings.handlers import Api
    from allmende.storage.database import Database
    from allmende.storage.migrate import upgrade

    folder = Path(tempfile.mkdtemp(prefix="allmende-bench-"))
    try:
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
        upgrade(url, list(KERNEL_MIGRATIONS))
        database = Database(url)
        settings = Settings(mode=Mode.DEV, database_url=url, mqtt_mode="off", run_jobs=False)
        from allmende.identity.models import Municipality

        municipality = database.write(
            lambda s: (s.add(m := Municipality(key="bench", name="Bench")), s.flush(), m.id)[-1]
        )
        admin = Principal(kind="user", name="bench", is_admin=True)
        api = Api(database, settings)

        def post(path: str, body: Any) -> None:
            api.handle(
                StaRequest(
                    "POST",
                    path,
                    f"municipality={municipality}",
                    admin,
                    "http://bench/v1.1",
                    orjson.dumps(body),
                    "application/json",
                )
            )

        stream = {
            "name": "s",
            "description": "",
            "observationType": "OM_Measurement",
            "unitOfMeasurement": {"name": "C", "symbol": "Cel", "definition": "ucum:Cel"},
            "ObservedProperty": {"name": "T", "definition": "urn:t", "description": ""},
            "Sensor": {"name": "S", "description": "", "encodingType": "t", "metadata": "m"},
        }
        for n in range(20):
            post("Things", {"name": f"t{n}", "description": "", "Datastreams": [stream] * 5})
        app = create_app(settings, database=database, registry=Registry([]))
        chain = "Thing"
        for level in range(13):
            chain = f"{'Datastreams' if level % 2 == 0 else 'Thing'}($top=1;$expand={chain})"
        chain = f"Datastreams($expand={chain})"
        with TestClient(app) as client:
            print(
                "\nSensorThings reads, in process (SQLite, 20 Things × 5 Datastreams), "
                f"median of {repeat}"
            )
            for label, query in (
                ("Things?$expand=Datastreams", "Things?$expand=Datastreams"),
                (
                    "Things?$expand=Datastreams/Thing/Datastreams",
                    "Things?$expand=Datastreams($expand=Thing($expand=Datastreams))",
                ),
                (
                    "5 levels, the same Things again and again",
                    "Things?$expand=Datastreams($expand=Thing($expand=Datastreams("
                    "$expand=Thing($expand=Datastreams))))",
                ),
                ("the reported URL, 14 levels", f"Things?$expand={chain}"),
            ):
                times, statuses, sizes = [], set(), set()
                for _ in range(repeat):
                    started = time.perf_counter()
                    response = client.get(f"/v1.1/{query}")
                    times.append(time.perf_counter() - started)
                    statuses.add(response.status_code)
                    sizes.add(len(response.content))
                print(
                    f"  {label:<46} {statistics.median(times) * 1000:7.1f} ms  "
                    f"status {sorted(statuses)}  {max(sizes):,} bytes"
                )
        database.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    quick = parser.parse_args().quick
    print(machine())
    bench_times(20_000 if quick else 200_000)
    bench_json(20_000 if quick else 200_000)
    bench_reads(3 if quick else 15)


if __name__ == "__main__":
    sys.exit(main())
