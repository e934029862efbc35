"""Fixtures for the standards adapters: the app with a small real provider module
(``tests.support.reports_module``) whose tables live in the test database, and a live server
with it for the independent clients."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from shapely.geometry import Point
from sqlalchemy.orm import Session

from allmende.app import create_app
from allmende.core.registry import Registry
from allmende.core.settings import Mode, Settings
from allmende.storage.database import Database
from allmende.storage.ephemeral_pg import EphemeralPostgres
from tests.conftest import SECRET
from tests.conftest import Templates as DatabaseTemplates
from tests.support import reports_module
from tests.support.live import Running, serve
from tests.support.region import Region
from tests.support.seeds import seed

UPDATED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def registry() -> Registry:
    return Registry([reports_module.MODULE])


@seed(on_region=None)
def provider_tables(database: Database, region: Region | None) -> None:
    """The provider module's tables (its own metadata, not migrated), made in the template."""
    reports_module.create_tables(database)


@pytest.fixture
def database(database_url: str, provider_tables: None) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.close()


@dataclass(frozen=True)
class Things:
    trees_a: list[int]
    tree_b: int
    bench_a: int
    internal_tree_a: int


def add_things(session: Session, region: Region) -> Things:
    """Twelve public trees in A on a line of longitudes, one in B, a bench, an internal tree."""
    add = reports_module.add_thing
    trees = [
        add(
            session,
            municipality_id=region.municipality_a,
            kind="tree",
            name=f"Linde {n}",
            geom=Point(8.61 + n * 0.005, 49.45),
            updated_at=UPDATED.replace(day=n + 1),
            species="Tilia cordata" if n % 2 else "Acer platanoides",
            height=10.0 + n,
            planted=1990 + n,
            protected=n == 3,
        ).id
        for n in range(12)
    ]
    tree_b = add(
        session,
        municipality_id=region.municipality_b,
        kind="tree",
        name="Dorfeiche",
        geom=Point(8.75, 49.45),
        updated_at=UPDATED,
        species="Quercus robur",
        height=25.0,
        planted=1850,
    ).id
    bench = add(
        session,
        municipality_id=region.municipality_a,
        kind="bench",
        name="Bank am Markt",
        geom=Point(8.65, 49.46),
        updated_at=UPDATED,
    ).id
    internal = add(
        session,
        municipality_id=region.municipality_a,
        kind="tree",
        name="Versuchsbaum",
        geom=Point(8.66, 49.47),
        updated_at=UPDATED,
        public=False,
    ).id
    return Things(trees, tree_b, bench, internal)


@seed
def things(database: Database, region: Region) -> Things:
    reports_module.create_tables(database)  # may be seeded before provider_tables
    return database.write(lambda session: add_things(session, region))


@dataclass
class LiveServer:
    url: str
    database: Database
    region: Region
    things: Things


class LiveServers:
    """One live server per backend for the whole session, stopped at its end."""

    def __init__(self) -> None:
        self.running: dict[str, LiveServer] = {}
        self._started: list[tuple[Running, Database]] = []

    def start(self, backend: str, url: str, region: Region) -> LiveServer:
        database = Database(url)
        reports_module.create_tables(database)
        things = database.write(lambda session: add_things(session, region))
        settings = Settings(
            mode=Mode.DEV,
            database_url=url,
            secret_key=SECRET,
            region_name="Testregion",
            map_tile_url="",  # no network in tests
            mqtt_mode="off",
        )
        app = create_app(settings, database=database, registry=Registry([reports_module.MODULE]))
        running = serve(app)
        self._started.append((running, database))
        live = LiveServer(running.url, database, region, things)
        self.running[backend] = live
        return live

    def stop(self) -> None:
        for running, database in self._started:
            running.stop()
            database.close()


@pytest.fixture(scope="session")
def live_servers() -> Iterator[LiveServers]:
    servers = LiveServers()
    yield servers
    servers.stop()


@pytest.fixture
def standards_server(
    backend: str,
    templates: DatabaseTemplates,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    live_servers: LiveServers,
) -> LiveServer:
    """uvicorn in a thread on a free port with the test region, the provider module and its
    objects; one per backend, shared by the session (reports accumulate across tests)."""
    if backend in live_servers.running:
        return live_servers.running[backend]
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("standards-live") / "live.sqlite3"
        shutil.copyfile(templates.with_region, path)
        url = f"sqlite:///{path}"
    else:
        postgres: EphemeralPostgres = request.getfixturevalue("postgres_server")
        url = postgres.create_database("allmende_standards_live", template=templates.with_region)
    return live_servers.start(backend, url, templates.region)
