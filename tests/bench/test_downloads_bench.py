"""The download benchmark runs end to end on a day of data (figures are printed, never
asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_day_prints_the_table() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    finished = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "downloads.py"), "--days", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert "stored 1440 Observations" in finished.stdout
    assert "parquet" in finished.stdout and "max RSS" in finished.stdout
