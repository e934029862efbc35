"""Installs the example module ``examples/allmende-example-notices`` through its entry point.

Exactly what ``pip install`` leaves behind for importlib.metadata — a ``.dist-info`` folder with
``entry_points.txt`` on ``sys.path`` — so registry discovery finds it as it would any package.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from importlib.metadata import entry_points
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "allmende-example-notices"


def install_example_module() -> None:
    if any(ep.name == "notices" for ep in entry_points(group="allmende.modules")):
        return  # installed for real (pip install -e examples/...)
    site = Path(tempfile.mkdtemp(prefix="allmende-example-site-"))
    atexit.register(shutil.rmtree, site, ignore_errors=True)  # one per test process
    dist_info = site / "allmende_example_notices-0.1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: allmende-example-notices\nVersion: 0.1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(
        "[allmende.modules]\nnotices = allmende_notices:MODULE\n"
    )
    sys.path.insert(0, str(site))
    sys.path.insert(0, str(EXAMPLE / "src"))
