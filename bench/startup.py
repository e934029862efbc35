"""Start-up cost: importing the application, and ``allmende serve`` to its first ready answer.

    python bench/startup.py               # 5 runs of each
    python bench/startup.py --runs 9

Import: a fresh interpreter imports the app and builds the module registry (the work every
server process and worker does before it answers); the figure is that interpreter's CPU time.
Serve: ``allmende serve`` on a fresh SQLite database (it migrates first) until ``/readyz``
answers 200, wall time from the start of the process. Prints min/median/max and the machine.
The heavy libraries (numba, rasterio, scipy, openpyxl) load on first use, not here.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import free_port

IMPORT = (
    "from allmende.core.registry import Registry, discover; Registry.build(discover()); "
    "import allmende.app"
)
SECRET = secrets.token_hex(32)
START_SECONDS = 120.0


def import_seconds() -> float:
    """CPU seconds (user + system) of a fresh interpreter that imports the app."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", IMPORT], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def serve_seconds() -> float:
    """Wall seconds from starting ``allmende serve`` on a fresh SQLite file to ``/readyz`` 200."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "ALLMENDE_MODE": "dev",
            "ALLMENDE_SECRET_KEY": SECRET,
            "ALLMENDE_DATABASE_URL": f"sqlite:///{tmp}/allmende.sqlite",
            "ALLMENDE_DATA_DIR": f"{tmp}/data",
            "ALLMENDE_RUN_JOBS": "false",
            "ALLMENDE_MQTT_MODE": "off",
            "ALLMENDE_LOG_LEVEL": "WARNING",
        }
        log = Path(tmp) / "serve.log"
        start = time.perf_counter()
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "allmende", "serve", "--port", str(port)],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            while time.perf_counter() - start < START_SECONDS:
                if process.poll() is not None:
                    raise SystemExit(f"allmende serve exited:\n{log.read_text()}")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                        return time.perf_counter() - start
                except httpx.HTTPError:
                    pass
                time.sleep(0.02)
            raise SystemExit(f"no 200 from /readyz in {START_SECONDS:.0f} s:\n{log.read_text()}")
        finally:
            process.terminate()
            process.wait(timeout=30)


def _line(name: str, values: list[float]) -> str:
    return (
        f"{name:<28} min {min(values):6.2f} s  median {statistics.median(values):6.2f} s  "
        f"max {max(values):6.2f} s  ({len(values)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    imports = [import_seconds() for _ in range(runs)]
    serves = [serve_seconds() for _ in range(runs)]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    print(_line("import app + registry (CPU)", imports))
    print(_line("serve to /readyz 200 (wall)", serves))


if __name__ == "__main__":
    main()
