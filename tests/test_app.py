"""The application's start: what lives as long as the process is left out of the collector's
full passes, once per process, unless ``gc_freeze`` is off. A fresh interpreter, since the
test process itself keeps it off."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from allmende.storage.database import Database
from tests.conftest import SECRET

pytestmark = pytest.mark.integration

PROBE = """
import gc, json, sys
from pathlib import Path
from allmende.app import create_app
from allmende.core.settings import Mode, Settings
from tests.support.client import TestClient

url, data, secret, freeze = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4] == "on"
counts = []
for _ in range(2):
    settings = Settings(mode=Mode.DEV, database_url=url, secret_key=secret, data_dir=data,
                        mqtt_mode="off", run_jobs=False, gc_freeze=freeze)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        assert client.get("/healthz").status_code == 200
        counts.append(gc.get_freeze_count())
print(json.dumps(counts))
"""


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("freeze", ["on", "off"])
def test_the_first_start_freezes_what_lives_on_and_later_starts_do_not(
    database: Database, tmp_path: Path, freeze: str
) -> None:
    url = database.url.render_as_string(hide_password=False)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, url, str(tmp_path), SECRET, freeze],
        capture_output=True,
        text=True,
        check=True,
        timeout=180,
        cwd=Path(__file__).parent.parent,
    )
    first, second = json.loads(result.stdout.splitlines()[-1])
    if freeze == "on":
        assert first > 0
        assert second <= first  # nothing added by the second start (some freed since)
    else:
        assert first == second == 0
