"""Starting Allmende loads no heavy library: they load on the first request that needs them.

Every server process and worker imports the app and discovers the modules before it answers;
numba, rasterio, scipy and openpyxl would add about a second of CPU to each (docs/performance.md).
A fresh interpreter, so that nothing another test imported counts.
"""

from __future__ import annotations

import json
import subprocess
import sys

# psycopg too: the optional extra "postgres", loaded when a PostgreSQL engine is made.
HEAVY = ("numba", "rasterio", "scipy", "openpyxl", "psycopg")

PROBE = f"""
import json, sys
import allmende.app
from allmende.core.registry import Registry, discover
Registry.build(discover())
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def test_app_and_modules_import_no_heavy_library() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(result.stdout.splitlines()[-1]) == []
