"""The clients benchmark runs end to end on tiny sizes against a real server (figures are
printed, never asserted)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.bench import run_bench
from tests.support.live import serve
from tests.support.region import Region


def test_a_tiny_run_prints_every_table_and_the_targets(tmp_path: Path) -> None:
    output = tmp_path / "clients.json"
    finished = run_bench(
        "clients.py",
        "--tiny",
        "--backend",
        "sqlite",
        "--skip",
        "mqtt,pages",
        "--json",
        str(output),
        cwd=tmp_path,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    for expected in ("CPU:", "Reads at 400 Observations", "dashboard", "single POST", "floor"):
        assert expected in finished.stdout, expected
    assert "Targets (issue 15)" in finished.stdout
    report = json.loads(output.read_text())
    reads = report["backends"]["sqlite"]["reads"]
    assert set(reads) == {"400", "800"}
    assert reads["400"]["dashboard"]["answer"] == "2 Things, 8 latest"
    uncached = report["backends"]["sqlite"]["reads uncached"]
    assert set(uncached) == {"400", "800"}
    assert uncached["800"]["dashboard"]["answer"] == "2 Things, 8 latest"
    assert "read cache off" in finished.stdout
    # Where the CPU of a single POST went, per request: the server's and the clients' own.
    ingest = report["backends"]["sqlite"]["ingest"]
    spent = ingest["single POST"]["cpu_us"]
    assert spent["server"]["median"] > 0 and spent["clients"]["median"] > 0
    assert "CPU per request, µs: server" in finished.stdout


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the client side is the same
def test_a_tiny_run_measures_another_server_through_its_url(
    app: Any, region: Region, tmp_path: Path
) -> None:
    """``--url`` builds, fills, reads and writes through the API of any SensorThings server
    (here a live Allmende with the test region, as another server would be)."""
    running = serve(app)
    try:
        output = tmp_path / "remote.json"
        finished = run_bench(
            "clients.py",
            "--tiny",
            "--url",
            f"{running.url}/v1.1",
            "--key",
            region.key_sensorthings_a,
            "--json",
            str(output),
            cwd=tmp_path,
            timeout=600,
        )
    finally:
        running.stop()
    assert finished.returncode == 0, finished.stderr[-3000:]
    (measured,) = json.loads(output.read_text())["backends"].values()
    assert set(measured["reads"]) == {"400", "800"}
    assert measured["reads"]["800"]["dashboard"]["answer"] == "2 Things, 8 latest"
    assert {"CreateObservations", "single POST"} <= set(measured["ingest"])
    assert "Targets (issue 15)" in finished.stdout
