"""The energy benchmark runs end to end on tiny sizes (figures are printed, never asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_speed_figures_are_printed(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    finished = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "energy.py"), "--tiny", "--no-savings"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    for expected in ("CPU:", "8 760 h", "one building, 24 h", "3 buildings, service"):
        assert expected in finished.stdout
