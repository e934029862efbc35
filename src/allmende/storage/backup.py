"""Online backups of an installation and their restore into a fresh database.

A backup is one tar archive (gzip-compressed when its name ends in ``.gz``) holding

- ``manifest.json``: format, Allmende version, backend, time, the migration heads applied;
- the database in the backend's own exact format: an SQLite file made by ``VACUUM INTO``
  (a consistent snapshot taken in one read transaction; the single writer keeps writing
  meanwhile), or a ``pg_dump`` custom-format archive (one repeatable-read snapshot);
- ``files/``: the uploads in ``data_dir``, copied after the database, so that every file a row
  of the snapshot names is present (uploads are written before their row is committed).

The native formats are exact (types, geometry, sequences) and restore with the backend's own
tools; a backup restores into the same backend only. PostgreSQL's client programs are found
like the tests find the server's: ``ALLMENDE_PG_BINDIR``, then ``PATH``, then Debian's
``/usr/lib/postgresql/<version>/bin`` (newest first).
"""

from __future__ import annotations

import glob
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import URL

from allmende import __version__
from allmende.core.digits import is_digits
from allmende.core.errors import ConfigurationError
from allmende.storage.database import make_engine, normalise_url

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.pgdump"
#: Tables PostGIS creates in every database; they do not make a database "not empty".
EXTENSION_TABLES = frozenset({"spatial_ref_sys"})


class BackupError(ConfigurationError):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    backend: str
    allmende: str
    created_at: str
    heads: list[str]
    files: int

    @classmethod
    def read(cls, data: dict[str, Any]) -> Manifest:
        if data.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {data.get('format')!r} (expected {FORMAT})")
        return cls(
            backend=str(data["backend"]),
            allmende=str(data["allmende"]),
            created_at=str(data["created_at"]),
            heads=[str(h) for h in data["heads"]],
            files=int(data["files"]),
        )

    def dump(self) -> bytes:
        return json.dumps({"format": FORMAT, **self.__dict__}, indent=2).encode()


# --- backup ---------------------------------------------------------------------------------------


def backup(database_url: str, data_dir: Path, target: Path) -> Manifest:
    """Write a backup of the database and the uploads to ``target`` (a .tar or .tar.gz)."""
    url = normalise_url(database_url)
    backend = url.get_backend_name()
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists already; name a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="allmende-backup-", dir=target.parent) as work:
        folder = Path(work)
        if backend == "sqlite":
            dumped, member = folder / SQLITE_MEMBER, SQLITE_MEMBER
            _sqlite_snapshot(_sqlite_path(url), dumped)
            heads = _heads(f"sqlite:///{dumped}")
        else:
            dumped, member = folder / POSTGRES_MEMBER, POSTGRES_MEMBER
            heads = _heads(url)
            # Without comments: COMMENT ON EXTENSION needs the extension's owner on restore.
            _run(
                client_program("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-comments",
                "--file",
                str(dumped),
                url=url,
            )
        uploads = list(_uploads(Path(data_dir), skip=_database_files(url)))
        manifest = Manifest(
            backend=backend,
            allmende=__version__,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            heads=sorted(heads),
            files=len(uploads),
        )
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz" if target.name.endswith(".gz") else "w") as archive:
            _add_bytes(archive, MANIFEST, manifest.dump())
            archive.add(dumped, arcname=member)
            for path, relative in uploads:
                archive.add(path, arcname=f"{FILES}/{relative}", recursive=False)
        partial.rename(target)
    return manifest


def _sqlite_path(url: URL) -> Path:
    if not url.database:
        raise BackupError("database_url names no SQLite file")
    return Path(url.database)


def _sqlite_snapshot(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source}")
    connection = sqlite3.connect(source, timeout=30)
    try:
        connection.execute("VACUUM INTO ?", (str(target),))
    finally:
        connection.close()


def _heads(url: str | URL) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def _database_files(url: URL) -> set[Path]:
    """The SQLite file and its journals, in case they live inside ``data_dir``."""
    if url.get_backend_name() != "sqlite" or not url.database:
        return set()
    main = Path(url.database).resolve()
    return {main, *(main.with_name(main.name + s) for s in ("-wal", "-shm", "-journal"))}


def _uploads(data_dir: Path, *, skip: set[Path]) -> Iterator[tuple[Path, str]]:
    if not data_dir.is_dir():
        return
    for path in sorted(data_dir.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.resolve() not in skip:
            yield path, path.relative_to(data_dir).as_posix()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


# --- restore --------------------------------------------------------------------------------------


def read_manifest(source: Path) -> Manifest:
    with tarfile.open(source) as archive:
        member = archive.extractfile(MANIFEST)
        if member is None:
            raise BackupError(f"{source} is not an Allmende backup (no {MANIFEST})")
        return Manifest.read(json.loads(member.read()))


def restore(source: Path, database_url: str, data_dir: Path) -> Manifest:
    """Restore ``source`` into an empty database and an empty ``data_dir``."""
    url = normalise_url(database_url)
    backend = url.get_backend_name()
    try:
        manifest = read_manifest(Path(source))
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{source} cannot be read as a backup: {exc}") from exc
    if manifest.backend != backend:
        raise BackupError(
            f"the backup is of a {manifest.backend} database; database_url names {backend}"
        )
    data_dir = Path(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"data_dir {data_dir} is not empty; restore into a fresh installation")
    with _unpacked(Path(source)) as folder:
        if backend == "sqlite":
            _restore_sqlite(folder / SQLITE_MEMBER, _sqlite_path(url))
        else:
            _restore_postgres(folder / POSTGRES_MEMBER, url)
        files = folder / FILES
        if files.is_dir():
            shutil.copytree(files, data_dir, dirs_exist_ok=True)
        else:
            data_dir.mkdir(parents=True, exist_ok=True)
    return manifest


@contextmanager
def _unpacked(source: Path) -> Iterator[Path]:
    with (
        tempfile.TemporaryDirectory(prefix="allmende-restore-") as work,
        tarfile.open(source) as archive,
    ):
        archive.extractall(work, filter="data")  # refuses absolute paths, .. and links out
        yield Path(work)


def _restore_sqlite(dumped: Path, target: Path) -> None:
    if not dumped.is_file():
        raise BackupError("the backup holds no SQLite database")
    for suffix in ("", "-wal", "-shm"):
        existing = target.with_name(target.name + suffix)
        if existing.exists() and existing.stat().st_size > 0:
            raise BackupError(f"{existing} exists; restore into a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(dumped, partial)
    partial.rename(target)


def _restore_postgres(dumped: Path, url: URL) -> None:
    if not dumped.is_file():
        raise BackupError("the backup holds no PostgreSQL dump")
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names()) - EXTENSION_TABLES
    finally:
        engine.dispose()
    if tables:
        raise BackupError(
            f"the database is not empty ({len(tables)} tables); restore into a new database"
        )
    _run(
        client_program("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        str(dumped),
        url=url,
    )


# --- PostgreSQL client programs -------------------------------------------------------------------


def client_program(name: str) -> Path:
    """``pg_dump`` or ``pg_restore``: the configured folder, PATH, or Debian's (newest first)."""
    explicit = os.environ.get("ALLMENDE_PG_BINDIR")
    candidates = [Path(explicit) / name] if explicit else []
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    candidates += [
        Path(folder) / name
        for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    ]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise BackupError(
        f"{name} not found: install the PostgreSQL client (apt-get install postgresql-client)"
    )


def _version(folder: str) -> tuple[int, ...]:
    parts = Path(folder).parent.name.split(".")
    return tuple(int(p) for p in parts if is_digits(p))


def _run(program: Path, *args: str, url: URL) -> None:
    """Run a PostgreSQL client with the URL's connection (the password through the environment)."""
    env = {**os.environ}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    conninfo = {
        "host": url.host,
        "port": str(url.port) if url.port else None,
        "user": url.username,
        "dbname": url.database,
        **{k: str(v) for k, v in url.query.items()},
    }
    dbname = " ".join(f"{k}='{_quoted(v)}'" for k, v in conninfo.items() if v)
    finished = subprocess.run(  # noqa: S603 - a fixed client program, arguments as a list
        [str(program), "--dbname", dbname, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if finished.returncode != 0:
        raise BackupError(f"{program.name} failed: {finished.stderr.strip()[-2000:]}")


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
