"""The heat benchmark runs end to end on tiny sizes (figures are printed, never asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.bench import run_bench

pytestmark = pytest.mark.integration


def test_a_tiny_run_prints_the_figures(tmp_path: Path) -> None:
    finished = run_bench("heat.py", "--tiny", cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr[-3000:]
    for expected in (
        "CPU:",
        "UTCI for 100 cells",
        "pythermalcomfort",
        "Hourly heat map",
        "whole hour",
    ):
        assert expected in finished.stdout
