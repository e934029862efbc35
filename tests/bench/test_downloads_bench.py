"""The download benchmark runs end to end on a day of data (figures are printed, never
asserted)."""

from __future__ import annotations

from tests.support.bench import run_bench


def test_a_day_prints_the_table() -> None:
    finished = run_bench("downloads.py", "--days", "1", timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert "stored 1440 Observations" in finished.stdout
    assert "parquet" in finished.stdout and "max RSS" in finished.stdout
