"""``allmende demo --no-serve`` run once per test session, for every pytest-xdist worker.

The command test reads what the command printed and left behind; the browser tests serve a copy
of the database it built. Both used to build the demo themselves (about 20 s each), on
different workers. The first worker to ask runs the command in a folder that all workers of the
session share, under a file lock; the others wait for it and read the result.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import traceback
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Where ``allmende demo`` puts its database unless told otherwise (the working directory).
DEMO_FILE = "allmende-demo.sqlite3"


@dataclass(frozen=True)
class DemoCommand:
    """What ``allmende demo --no-serve`` did: its exit code and output, and its working
    directory (where it left the database)."""

    folder: Path
    exit_code: int
    output: str

    @property
    def database(self) -> Path:
        return self.folder / DEMO_FILE

    def copy_database(self, target: Path) -> None:
        """A copy of the built database at ``target`` (SQLite's backup: complete whether or
        not the WAL was folded into the file)."""
        with (
            closing(sqlite3.connect(self.database)) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)


def session_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this test session that every pytest-xdist worker of it shares (each worker's
    base temporary folder lies in it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """Held by one process at a time (released if the process dies)."""
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_once(tmp_path_factory: pytest.TempPathFactory) -> DemoCommand:
    """The session's one run of ``allmende demo --no-serve`` (run here if no worker ran it)."""
    shared = session_folder(tmp_path_factory)
    folder = shared / "demo-command"
    result = shared / "demo-command.json"
    with exclusive(shared / "demo-command.lock"):
        if not result.exists():
            exit_code, output = run_demo_command(folder)
            result.write_text(json.dumps({"exit_code": exit_code, "output": output}))
        ran = json.loads(result.read_text())
    return DemoCommand(folder, ran["exit_code"], ran["output"])


def run_demo_command(folder: Path) -> tuple[int, str]:
    """``allmende demo --no-serve`` in ``folder``, as an operator in it would type it."""
    from typer.testing import CliRunner

    from allmende.cli import app

    folder.mkdir(exist_ok=True)
    env = {"ALLMENDE_DATABASE_URL": f"sqlite:///{folder / 'cli.sqlite3'}", "ALLMENDE_MODE": "dev"}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)  # the command's default database lies in the working directory
        ran = CliRunner().invoke(app, ["demo", "--no-serve"], env=env)
    output = ran.output
    if ran.exc_info is not None and not isinstance(ran.exception, SystemExit):
        output += "".join(traceback.format_exception(*ran.exc_info))
    return ran.exit_code, output
