"""The energy benchmark runs end to end on tiny sizes (figures are printed, never asserted)."""

from __future__ import annotations

from pathlib import Path

from tests.support.bench import run_bench


def test_speed_figures_are_printed(tmp_path: Path) -> None:
    finished = run_bench("energy.py", "--tiny", "--no-savings", cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr[-3000:]
    for expected in ("CPU:", "8 760 h", "one building, 24 h", "3 buildings, service"):
        assert expected in finished.stdout
