"""The SensorThings benchmark runs end to end on tiny sizes (figures are printed, never
asserted)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.bench import run_bench


def test_quick_run_prints_the_tables(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    finished = run_bench(
        "sensorthings.py",
        "--tiny",
        "--backend",
        "sqlite",
        "--json",
        str(output),
        cwd=tmp_path,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    printed = finished.stdout
    for expected in (
        "CPU:",
        "SQLite",
        "Ingest, observations/s",
        "raw INSERT",
        "CreateObservations",
        "single POST",
        "MQTT QoS 1",
        "Reads, p50 / p95 ms",
        "latest of 100 Things",
        "last 1000 of one stream",
        "hourly aggregate of a day",
        "$count of all",
    ):
        assert expected in printed, expected
    report = json.loads(output.read_text())
    sqlite = report["backends"]["sqlite"]
    assert sqlite["ingest"]["CreateObservations"]["rate"] > 0
    assert set(sqlite["reads"]) == {"2000", "4000"}
    counted = sqlite["reads"]["4000"]["queries"]["$count of all"]["answer"]
    assert counted == f"count={sqlite['reads']['4000']['rows']}"
