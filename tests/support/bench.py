"""Running a script of ``bench/`` as a user would, from a test (figures are printed, never
asserted).

The script runs in a process of its own, forked from an interpreter that has imported the app
already (the fork server of ``tests.support.served_process``, shared with the served test
servers): as ``python bench/<script>`` with the checkout's sources, its own arguments, working
directory, environment and output, but without the two seconds of CPU that importing every
module costs each time.
"""

from __future__ import annotations

import multiprocessing
import os
import runpy
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.served_process import PRELOAD

ROOT = Path(__file__).resolve().parents[2]
_FORKS = multiprocessing.get_context("forkserver")
_FORKS.set_forkserver_preload(PRELOAD)  # the same list: there is one fork server per process


def _run_script(
    script: str, argv: list[str], env: dict[str, str], cwd: str, out: str, err: str
) -> None:
    """``python <script> <argv>`` in the fork: its folder first on the path, as Python puts it."""
    for stream, path in ((1, out), (2, err)):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(handle, stream)
        os.close(handle)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.path.insert(0, str(Path(script).parent))
    sys.argv = [script, *argv]
    runpy.run_path(script, run_name="__main__")


def run_bench(
    script: str, *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python bench/<script> <args>`` with the checkout's sources; its output as text."""
    path = str(ROOT / "bench" / script)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryDirectory(prefix="allmende-bench-run-") as folder:
        out, err = f"{folder}/stdout", f"{folder}/stderr"
        process = _FORKS.Process(
            target=_run_script, args=(path, list(args), env, str(cwd or Path.cwd()), out, err)
        )
        process.start()
        process.join(timeout)
        if process.exitcode is None:
            process.kill()
            process.join(10)
            raise subprocess.TimeoutExpired([path, *args], timeout)
        return subprocess.CompletedProcess(
            [sys.executable, path, *args],
            process.exitcode,
            Path(out).read_text(),
            Path(err).read_text(),
        )
