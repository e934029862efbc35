"""Shared fixtures: a migrated database on SQLite and (when installed) PostgreSQL + PostGIS,
an application with a two-municipality region, and credentials for every role.

Every test that asks for ``database`` runs once per backend. PostgreSQL runs in a throwaway
server started here; without its binaries those runs skip and say why.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from allmende.app import KERNEL_MIGRATIONS, create_app
from allmende.core.registry import Registry
from allmende.core.settings import Mode, Settings
from allmende.storage.database import Database, make_engine
from allmende.storage.ephemeral_pg import EphemeralPostgres, PostgresUnavailable
from allmende.storage.migrate import upgrade
from tests.support.example_module import install_example_module
from tests.support.missing import missing
from tests.support.region import Region, build_region

install_example_module()

BACKENDS = ("sqlite", "postgresql")
SECRET = "test-secret-key-that-is-long-enough-0123456789"
_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[EphemeralPostgres]:
    try:
        server = EphemeralPostgres()
        server.start()
    except PostgresUnavailable as exc:
        missing(f"PostgreSQL tests need a local server: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def migration_locations() -> list[Path]:
    """The kernel's migrations plus those of the built-in modules (tests run all of them)."""
    from allmende.core.registry import discover

    registry = Registry.build(discover())
    return [*KERNEL_MIGRATIONS, *registry.migration_locations()]


@dataclass(frozen=True)
class Templates:
    """Migrated databases to copy per test: empty, and with the test region."""

    empty: str
    with_region: str
    region: Region


def _seed_region(url: str) -> Region:
    db = Database(url)
    try:
        return db.write(build_region)
    finally:
        db.close()


@pytest.fixture(scope="session")
def sqlite_templates(
    tmp_path_factory: pytest.TempPathFactory, migration_locations: list[Path]
) -> Templates:
    folder = tmp_path_factory.mktemp("templates")
    empty, with_region = folder / "empty.sqlite3", folder / "region.sqlite3"
    engine = make_engine(f"sqlite:///{empty}")
    upgrade(f"sqlite:///{empty}", migration_locations, engine=engine)
    engine.dispose()  # checkpoints the WAL into the main file
    shutil.copyfile(empty, with_region)
    region = _seed_region(f"sqlite:///{with_region}")
    return Templates(str(empty), str(with_region), region)


@pytest.fixture(scope="session")
def postgres_templates(
    postgres_server: EphemeralPostgres, migration_locations: list[Path]
) -> Templates:
    upgrade(postgres_server.create_database("allmende_empty"), migration_locations)
    url = postgres_server.create_database("allmende_region", template="allmende_empty")
    region = _seed_region(url)
    return Templates("allmende_empty", "allmende_region", region)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        request.applymarker(pytest.mark.postgres)
    return str(request.param)


@pytest.fixture
def templates(backend: str, request: pytest.FixtureRequest) -> Templates:
    name = "sqlite_templates" if backend == "sqlite" else "postgres_templates"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@pytest.fixture
def database_url(
    backend: str, templates: Templates, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A fresh, migrated database of the backend under test (with the region if asked for)."""
    wants_region = "region" in request.fixturenames
    template = templates.with_region if wants_region else templates.empty
    if backend == "sqlite":
        path = tmp_path / "allmende.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server: EphemeralPostgres = request.getfixturevalue("postgres_server")
    name = f"allmende_test_{next(_counter)}"
    url = server.create_database(name, template=template)
    yield url
    server.drop_database(name)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        mode=Mode.DEV,
        database_url=database_url,
        secret_key=SECRET,
        region_name="Testregion",
        data_dir=tmp_path / "data",
        mqtt_mode="off",  # tests that need a broker start one on a free port
    )


@pytest.fixture
def region(templates: Templates) -> Region:
    """Two municipalities (A and B) with an admin, staff of each, a citizen and API keys
    (built once per backend, copied with the database)."""
    return templates.region


@pytest.fixture
def registry() -> Registry:
    """Every installed module (the built-in ones and the example module)."""
    from allmende.core.registry import discover

    return Registry.build(discover())


@pytest.fixture
def app(settings: Settings, database: Database, region: Region, registry: Registry):  # type: ignore[no-untyped-def]
    return create_app(settings, database=database, registry=registry)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client
