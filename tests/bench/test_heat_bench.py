"""The heat benchmark runs end to end on tiny sizes (figures are printed, never asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def test_a_tiny_run_prints_the_figures(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    finished = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "heat.py"), "--tiny"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    for expected in (
        "CPU:",
        "UTCI for 100 cells",
        "pythermalcomfort",
        "Hourly heat map",
        "whole hour",
    ):
        assert expected in finished.stdout
