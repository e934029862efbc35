"""``allmende heat …`` against a real SQLite file, as an operator would use it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from allmende.cli import app
from tests.modules.heat.files import wgs84_raster

pytestmark = pytest.mark.integration


def test_import_a_layer_and_a_refused_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALLMENDE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("ALLMENDE_MODE", "dev")
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    boundary = tmp_path / "grenze.geojson"
    boundary.write_text(
        json.dumps(
            {
                "type": "Polygon",
                "coordinates": [[[8.70, 49.46], [8.71, 49.46], [8.71, 49.47], [8.70, 49.46]]],
            }
        )
    )
    added = runner.invoke(
        app,
        [
            "municipalities",
            "add",
            "musterstadt",
            "Musterstadt",
            "--ags",
            "08999999",
            "--boundary",
            str(boundary),
        ],
    )
    assert added.exit_code == 0, added.output
    sealed = tmp_path / "versiegelung.tif"
    sealed.write_bytes(wgs84_raster(8.695, 49.475, np.full((20, 25), 60, dtype=np.uint8)))
    imported = runner.invoke(
        app, ["heat", "import-layer", str(sealed), "-m", "musterstadt", "--kind", "impervious"]
    )
    assert imported.exit_code == 0, imported.output
    assert "from EPSG:4326" in imported.output and "'sealed_share': 0.6" in imported.output
    broken = tmp_path / "kaputt.tif"
    broken.write_bytes(b"not a raster")
    refused = runner.invoke(
        app, ["heat", "import-layer", str(broken), "-m", "musterstadt", "--kind", "impervious"]
    )
    assert refused.exit_code == 1
    assert "error: file: cannot be read as a GeoTIFF" in refused.output
    unknown = runner.invoke(app, ["heat", "rebuild", "-m", "nirgendwo"])
    assert unknown.exit_code == 1 and "No municipality 'nirgendwo'" in unknown.output
