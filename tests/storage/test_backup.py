"""``allmende backup`` while writes run, and ``allmende restore`` into a fresh database: the same
rows and the same uploaded files, on both backends."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from allmende.cli import app as cli
from allmende.identity import service
from allmende.identity.models import ApiKey
from allmende.storage.backup import BackupError, restore
from allmende.storage.base import Base
from allmende.storage.database import Database
from allmende.storage.ephemeral_pg import EphemeralPostgres
from tests.support.region import Region

pytestmark = pytest.mark.integration

UPLOADS = {
    "assets/2026/01/photo.jpg": b"\xff\xd8\xff\xe0 not really a photo",
    "participation/plan.pdf": b"%PDF-1.4\n%%EOF\n",
    "top.txt": "Grüße".encode(),
}


class Writer:
    """Creates API keys through the database's writer until stopped (the writes that run
    while the backup is taken)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        index = 0
        try:
            while not self.stop.is_set():
                index += 1
                self.database.write(
                    lambda s, i=index: service.create_api_key(
                        s, name=f"während {i}", scopes=["open311"]
                    )
                )
        except BaseException as exc:
            self.error = exc

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)
        assert self.error is None, self.error


def keys(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(ApiKey)) or 0)


def table_counts(url: str) -> dict[str, int]:
    database = Database(url)
    try:
        with database.session() as session:
            return {
                name: int(session.scalar(select(func.count()).select_from(table)) or 0)
                for name, table in Base.metadata.tables.items()
            }
    finally:
        database.close()


def sample(url: str, limit: int) -> list[Any]:
    """The first rows of the identity tables, every column (geometry as text)."""
    database = Database(url)
    try:
        with database.session() as session:
            rows: list[Any] = []
            for name in ("identity_municipalities", "identity_users", "identity_api_keys"):
                columns = Base.metadata.tables[name].columns
                selected = ", ".join(
                    f"hex({c.name})"
                    if c.name == "geom" and database.is_sqlite
                    else (f"ST_AsBinary({c.name})" if c.name == "geom" else c.name)
                    for c in columns
                )
                rows += [
                    tuple(str(v) for v in row)
                    for row in session.execute(
                        text(f"SELECT {selected} FROM {name} ORDER BY id LIMIT {limit}")  # noqa: S608
                    )
                ]
            return rows
    finally:
        database.close()


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database to restore into (PostgreSQL: with PostGIS, as an operator makes it)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'restored' / 'allmende.sqlite3'}"
    server: EphemeralPostgres = request.getfixturevalue("postgres_server")
    return server.create_database(f"restored_{tmp_path.name.replace('-', '_')[-40:]}")


def run_cli(monkeypatch: pytest.MonkeyPatch, url: str, data_dir: Path, *args: str) -> str:
    monkeypatch.setenv("ALLMENDE_MODE", "dev")
    monkeypatch.setenv("ALLMENDE_DATABASE_URL", url)
    monkeypatch.setenv("ALLMENDE_DATA_DIR", str(data_dir))
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_a_backup_taken_during_writes_restores_rows_and_files(
    database: Database,
    database_url: str,
    region: Region,
    fresh_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data_dir = tmp_path / "data"
    for name, content in UPLOADS.items():
        (data_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (data_dir / name).write_bytes(content)
    archive = tmp_path / "backups" / "nightly.tar.gz"

    with Writer(database):
        while keys(database) < 10:  # the writes are under way
            pass
        before = keys(database)
        printed = run_cli(monkeypatch, database_url, data_dir, "backup", str(archive))
        after = keys(database)
    assert f"and {len(UPLOADS)} files to {archive}" in printed
    assert after > before, "the writes ran during the backup"

    restored_dir = tmp_path / "restored-data"
    printed = run_cli(monkeypatch, fresh_url, restored_dir, "restore", str(archive))
    assert "Restored the" in printed and "db upgrade" not in printed

    restored = table_counts(fresh_url)
    original = table_counts(database_url)
    written = "identity_api_keys"
    assert before <= restored[written] <= after
    assert {k: v for k, v in restored.items() if k != written} == {
        k: v for k, v in original.items() if k != written
    }
    assert sample(fresh_url, before) == sample(database_url, before)
    assert {
        p.relative_to(restored_dir).as_posix(): p.read_bytes()
        for p in restored_dir.rglob("*")
        if p.is_file()
    } == UPLOADS


def test_restore_refuses_a_database_in_use_and_another_backend(
    database: Database, database_url: str, region: Region, backend: str, tmp_path: Path
) -> None:
    from allmende.storage.backup import backup

    archive = tmp_path / "b.tar"
    manifest = backup(database_url, tmp_path / "no-uploads", archive)
    assert (manifest.backend, manifest.files) == (backend, 0)
    refusal = "exists; restore into a new file" if backend == "sqlite" else "is not empty"
    with pytest.raises(BackupError, match=refusal):
        restore(archive, database_url, tmp_path / "data")
    other = (
        "postgresql+psycopg://nobody@127.0.0.1:1/none"
        if backend == "sqlite"
        else f"sqlite:///{tmp_path / 'x.sqlite3'}"
    )
    with pytest.raises(BackupError, match=f"backup is of a {backend} database"):
        restore(archive, other, tmp_path / "data")
    with pytest.raises(BackupError, match="exists already"):
        backup(database_url, tmp_path, archive)
