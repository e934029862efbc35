"""The MQTT floors benchmark runs end to end on a few messages (figures are printed, never
asserted)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.bench import run_bench
from tests.support.missing import missing

pytestmark = pytest.mark.mqtt


def test_a_tiny_run_prints_every_floor(tmp_path: Path) -> None:
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        missing("the MQTT floors need mosquitto (apt install mosquitto)")
    finished = run_bench("mqtt_floor.py", "--messages", "200", "--rounds", "1", cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr[-3000:]
    for floor in (
        "embedded, no storage",
        "Mosquitto, no subscriber",
        "Mosquitto, acknowledging subscriber",
    ):
        assert floor in finished.stdout, floor
