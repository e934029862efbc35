"""The clients benchmark runs end to end on tiny sizes against a real server (figures are
printed, never asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_tiny_run_prints_every_table_and_the_targets(tmp_path: Path) -> None:
    output = tmp_path / "clients.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [
        sys.executable,
        str(ROOT / "bench" / "clients.py"),
        "--tiny",
        "--backend",
        "sqlite",
        "--skip",
        "mqtt,pages",
        "--json",
        str(output),
    ]
    finished = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600, check=False
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    for expected in ("CPU:", "Reads at 400 Observations", "dashboard", "single POST", "floor"):
        assert expected in finished.stdout, expected
    assert "Targets (issue 15)" in finished.stdout
    report = json.loads(output.read_text())
    reads = report["backends"]["sqlite"]["reads"]
    assert set(reads) == {"400", "800"}
    assert reads["400"]["dashboard"]["answer"] == "2 Things, 8 latest"
