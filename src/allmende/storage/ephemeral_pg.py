"""A throwaway PostgreSQL + PostGIS server for tests and benchmarks.

Starts a real server from the Debian binaries (``initdb``/``pg_ctl``) in a temporary folder on a
free loopback port. PostgreSQL refuses to run as root, so as root the server runs as the
``postgres`` system user that Debian's package creates.
"""

from __future__ import annotations

import functools
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries (or no PostGIS) on this machine."""


def find_bindir() -> Path:
    """The folder holding ``pg_ctl`` and ``initdb``: on PATH, or Debian's versioned lib folder."""
    explicit = os.environ.get("ALLMENDE_PG_BINDIR")
    candidates = [Path(explicit)] if explicit else []
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in candidates:
        if (folder / "pg_ctl").is_file() and (folder / "initdb").is_file():
            return folder
    raise PostgresUnavailable("pg_ctl/initdb not found (apt-get install postgresql)")


def has_postgis(bindir: Path) -> bool:
    share = (
        subprocess.run(  # noqa: S603 - fixed binary from the PostgreSQL install
            [str(bindir / "pg_config"), "--sharedir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if (bindir / "pg_config").is_file()
        else ""
    )
    roots = [Path(share)] if share else []
    roots += [Path(p) for p in glob.glob("/usr/share/postgresql/*")]
    return any((root / "extension" / "postgis.control").is_file() for root in roots)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class EphemeralPostgres:
    """``with EphemeralPostgres() as pg: pg.create_database("x")`` gives a URL to a fresh DB."""

    fsync: bool = False
    #: Where the data folder goes (the system's temporary folder if None): a memory-backed one
    #: (``/dev/shm``) makes the template copies of tests several times quicker on a busy disk.
    parent: Path | None = None
    bindir: Path = field(default_factory=find_bindir)
    port: int = field(default_factory=_free_port)
    _root: Path | None = None
    _user: str | None = None

    def __enter__(self) -> EphemeralPostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def datadir(self) -> Path:
        assert self._root is not None
        return self._root / "data"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self._user:
            command = ["runuser", "-u", self._user, "--", *command]
        return subprocess.run(  # noqa: S603 - our own fixed command lines
            command, capture_output=True, text=True, check=False, cwd="/"
        )

    def start(self) -> None:
        if not has_postgis(self.bindir):
            raise PostgresUnavailable(
                "PostGIS not installed (apt-get install postgresql-15-postgis-3)"
            )
        self._root = Path(tempfile.mkdtemp(prefix="allmende-pg-", dir=self.parent))
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailable("running as root and no 'postgres' user exists") from exc
            self._user = "postgres"
            shutil.chown(self._root, user="postgres")
        result = self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.datadir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {result.stderr.strip()}")
        options = (
            f"-p {self.port} -k {self._root} -c listen_addresses=127.0.0.1 "
            f"-c fsync={'on' if self.fsync else 'off'} -c full_page_writes=off "
            "-c synchronous_commit=" + ("on" if self.fsync else "off")
        )
        result = self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.datadir),
            "-o",
            options,
            "-l",
            str(self._root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        if result.returncode != 0:
            log = (self._root / "server.log").read_text(errors="replace")
            raise PostgresUnavailable(f"pg_ctl start failed: {result.stderr.strip()}\n{log}")

    def stop(self) -> None:
        if self._root is None:
            return
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop")
        shutil.rmtree(self._root, ignore_errors=True)
        self._root = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    @functools.cached_property
    def server_version(self) -> int:
        """``server_version_num``: 150004 for 15.4."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            row = conn.execute(b"SHOW server_version_num").fetchone()
        assert row is not None
        return int(row[0])

    def sql(self, statement: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname={database}", autocommit=True
        ) as conn:
            conn.execute(statement.encode())

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create a database (with PostGIS, or copied from ``template``) and return its URL.

        A copy copies the template's files (``STRATEGY FILE_COPY``, PostgreSQL 15+): for the
        small databases of tests and benchmarks a checkpoint and a file copy take a tenth of the
        time of the default, which writes every page of the copy to the WAL.
        """
        clause = f" TEMPLATE {template}" if template else ""
        if template and self.server_version >= 150000:
            clause += " STRATEGY FILE_COPY"
        self.sql(f'CREATE DATABASE "{name}"{clause}')
        if template is None:
            self.sql("CREATE EXTENSION IF NOT EXISTS postgis", database=name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.sql("SELECT 1")
                return
            except Exception:
                time.sleep(0.1)
        raise PostgresUnavailable("server did not become ready")
