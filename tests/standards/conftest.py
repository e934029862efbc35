"""Fixtures for the standards adapters: the app with a small real provider module
(``tests.support.reports_module``) whose tables live in the test database, and a live server
with it for the independent clients."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from shapely.geometry import Point
from sqlalchemy.orm import Session

from allmende.app import create_app
from allmende.core.registry import Registry
from allmende.core.settings import Mode, Settings
from allmende.storage.database import Database
from allmende.storage.migrate import upgrade
from tests.conftest import KERNEL_MIGRATIONS, SECRET
from tests.e2e.conftest import _free_port
from tests.support import reports_module
from tests.support.region import Region, build_region

UPDATED = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def registry() -> Registry:
    return Registry([reports_module.MODULE])


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    reports_module.create_tables(db)
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


@pytest.fixture
def things(database: Database, region: Region) -> Things:
    return database.write(lambda session: add_things(session, region))


@dataclass
class LiveServer:
    url: str
    database: Database
    region: Region
    things: Things


@pytest.fixture(scope="session")
def standards_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """uvicorn in a thread on a free port: the test region, the provider module, its objects."""
    path: Path = tmp_path_factory.mktemp("standards-live") / "live.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url, list(KERNEL_MIGRATIONS))
    database = Database(url)
    reports_module.create_tables(database)
    region = database.write(build_region)
    things = database.write(lambda session: add_things(session, region))
    settings = Settings(
        mode=Mode.DEV, database_url=url, secret_key=SECRET, region_name="Testregion"
    )
    app = create_app(settings, database=database, registry=Registry([reports_module.MODULE]))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", database, region, things)
    server.should_exit = True
    thread.join(timeout=10)
    database.close()
