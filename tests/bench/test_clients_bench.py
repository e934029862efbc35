"""The clients benchmark runs end to end on tiny sizes against a real server (figures are
printed, never asserted)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.bench import run_bench


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
