"""Shared fixtures: a migrated database on SQLite and (when installed) PostgreSQL + PostGIS,
an application with a two-municipality region, and credentials for every role.

Every test that asks for ``database`` runs once per backend. PostgreSQL runs in a throwaway
server started here (one per pytest-xdist worker); without its binaries those runs skip and say
why, and in CI (``ALLMENDE_CI=1``) fail. Each test gets its own copy of a template database:
empty, with the region, or with seeded fixtures too (``tests/support/seeds.py``).
"""

from __future__ import annotations

import gc
import itertools
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from allmende.app import create_app
from allmende.app import migration_locations as all_migrations
from allmende.core.registry import Registry
from allmende.core.settings import Settings
from allmende.identity.credentials import use_password_hasher
from allmende.storage.database import Database, make_engine
from allmende.storage.ephemeral_pg import EphemeralPostgres, PostgresUnavailable
from allmende.storage.migrate import upgrade
from tests.support.client import TestClient
from tests.support.demo_command import DemoCommand, run_once
from tests.support.example_module import install_example_module
from tests.support.missing import missing
from tests.support.region import Region, build_region
from tests.support.route_cache import share_route_state_across_apps
from tests.support.seeds import SECRET, SEEDED, Seed, requested_seeds, test_settings

install_example_module()
# Argon2's cheapest parameters: the suite signs in thousands of times, and each check at the
# production cost (about 150 ms, then three times as long of rest in the password workers) made
# sign-ins a tenth of the run. The production parameters are the library's defaults.
use_password_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
share_route_state_across_apps()
# The cyclic garbage collector less often: a test process holds apps, engines and compiled
# templates in the millions of objects, so each full collection took about 0.4 s, and with the
# default thresholds (700, 10, 10) collecting was 8-10 % of the suite's CPU. With these, a third
# as many young collections and a tenth as many full ones; the peak memory of a worker stays the
# same (852 against 855 MB over the participation tests).
gc.set_threshold(2000, 10, 100)
pytest_plugins = ["tests.support.ci_guard", "pytester"]

__all__ = ["SECRET", "Templates"]

BACKENDS = ("sqlite", "postgresql")
_counter = itertools.count()
#: The template the test's database was copied from (for ``fresh_database``).
TEMPLATE = pytest.StashKey[str]()

#: Session fixtures too costly to build on every pytest-xdist worker: the tests that use one
#: run on one worker (``--dist loadgroup``). The first fixture a test uses names its group.
ONE_WORKER_PER = {
    "live_server": "browser",
    "browser": "browser",
    "demo": "demo",
    "standards_server": "standards-live",
}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group the tests of costly session fixtures, and hand out the long work first: the groups
    (each runs as one unit; with those a test module marks itself, such as the fuzz tests that
    share their generated cases), largest first, then property tests, then the rest in their
    order; a long unit started last would keep one worker busy while the other idles."""
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        names = getattr(item, "fixturenames", ())
        group = next((g for fixture, g in ONE_WORKER_PER.items() if fixture in names), None)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
        elif (marked := item.get_closest_marker("xdist_group")) is not None:
            group = str(marked.args[0] if marked.args else marked.kwargs["name"])
        if group is not None:
            groups.setdefault(group, []).append(item)
    grouped = sorted(groups.values(), key=len, reverse=True)
    first = [item for members in grouped for item in members]
    taken = {id(item) for item in first}
    rest = [item for item in items if id(item) not in taken]
    properties = [item for item in rest if _is_property_test(item)]
    others = [item for item in rest if not _is_property_test(item)]
    items[:] = [*first, *properties, *others]


def _is_property_test(item: pytest.Item) -> bool:
    """Hypothesis and schemathesis tests: many examples each, the longest single tests."""
    return bool(getattr(getattr(item, "obj", None), "is_hypothesis_test", False))


def memory_folder() -> Path | None:
    """A memory-backed folder for the throwaway databases, if the machine has one: copying a
    template there is several times quicker than on a disk that other work keeps busy."""
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else None


@pytest.fixture(scope="session")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This worker's folder for SQLite templates and the tests' copies (in memory if it can)."""
    memory = memory_folder()
    if memory is None:
        yield tmp_path_factory.mktemp("databases")
        return
    folder = Path(tempfile.mkdtemp(prefix="allmende-tests-", dir=memory))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[EphemeralPostgres]:
    try:
        server = EphemeralPostgres(parent=memory_folder())
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
    return all_migrations(registry)


class _Copies:
    """How a backend copies a template: ``copy`` gives (the copy's template name, its URL)."""

    def copy(self, template: str, name: str) -> tuple[str, str]:
        raise NotImplementedError

    def seal(self, template: str) -> None:
        """Make a freshly built template ready to be copied."""


@dataclass
class _SqliteCopies(_Copies):
    folder: Path

    def copy(self, template: str, name: str) -> tuple[str, str]:
        path = self.folder / f"{name}.sqlite3"
        shutil.copyfile(template, path)
        return str(path), f"sqlite:///{path}"

    def seal(self, template: str) -> None:
        with sqlite3.connect(template) as connection:  # the WAL into the file that is copied
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()


@dataclass
class _PostgresCopies(_Copies):
    server: EphemeralPostgres

    def copy(self, template: str, name: str) -> tuple[str, str]:
        return name, self.server.create_database(name, template=template)


@dataclass
class Templates:
    """Migrated databases to copy per test: empty, with the test region, and with the region
    (or empty) plus seeded fixtures (built when a test first asks for them)."""

    empty: str
    with_region: str
    region: Region
    copies: _Copies = field(repr=False)
    _seeded: dict[tuple[str, ...], tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def seeded(self, seeds: tuple[Seed, ...], on_region: bool) -> tuple[str, dict[str, Any]]:
        """The template holding ``seeds`` (in this order) and their fixtures' values."""
        key = (str(on_region), *(seed.key for seed in seeds))
        if key not in self._seeded:
            name = f"allmende_seeded_{len(self._seeded)}"
            template, url = self.copies.copy(self.with_region if on_region else self.empty, name)
            database = Database(url)
            try:
                values = {
                    seed.name: seed.build(database, self.region if on_region else None)
                    for seed in seeds
                }
            finally:
                database.close()
            self.copies.seal(template)
            self._seeded[key] = (template, values)
        return self._seeded[key]


def _seed_region(url: str) -> Region:
    db = Database(url)
    try:
        return db.write(build_region)
    finally:
        db.close()


@pytest.fixture(scope="session")
def sqlite_templates(scratch: Path, migration_locations: list[Path]) -> Templates:
    folder = scratch / "templates"
    folder.mkdir()
    empty, with_region = folder / "empty.sqlite3", folder / "region.sqlite3"
    engine = make_engine(f"sqlite:///{empty}")
    upgrade(f"sqlite:///{empty}", migration_locations, engine=engine)
    engine.dispose()  # checkpoints the WAL into the main file
    shutil.copyfile(empty, with_region)
    region = _seed_region(f"sqlite:///{with_region}")
    return Templates(str(empty), str(with_region), region, _SqliteCopies(folder))


@pytest.fixture(scope="session")
def postgres_templates(
    postgres_server: EphemeralPostgres, migration_locations: list[Path]
) -> Templates:
    upgrade(postgres_server.create_database("allmende_empty"), migration_locations)
    url = postgres_server.create_database("allmende_region", template="allmende_empty")
    region = _seed_region(url)
    return Templates("allmende_empty", "allmende_region", region, _PostgresCopies(postgres_server))


@pytest.fixture(scope="session")
def demo_command(tmp_path_factory: pytest.TempPathFactory) -> DemoCommand:
    """``allmende demo --no-serve`` run once for the whole session (all workers): the command
    test reads it, the browser tests serve a copy of what it built."""
    return run_once(tmp_path_factory)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        request.applymarker(pytest.mark.postgres)
    return str(request.param)


@pytest.fixture
def templates(backend: str, request: pytest.FixtureRequest) -> Templates:
    name = "sqlite_templates" if backend == "sqlite" else "postgres_templates"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


@contextmanager
def copy_database(
    backend: str, template: str, request: pytest.FixtureRequest, folder: Path
) -> Iterator[str]:
    """A database of the test's own, copied from ``template``; dropped afterwards."""
    number = next(_counter)
    if backend == "sqlite":
        path = folder / f"allmende-{number}.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    server: EphemeralPostgres = request.getfixturevalue("postgres_server")
    name = f"allmende_test_{number}"
    url = server.create_database(name, template=template)
    yield url
    server.drop_database(name)


@pytest.fixture
def database_url(
    backend: str, templates: Templates, request: pytest.FixtureRequest, scratch: Path
) -> Iterator[str]:
    """A fresh, migrated database of the backend under test (with the region if asked for, and
    the data of the seeded fixtures the test uses)."""
    seeds, on_region = requested_seeds(request)
    if seeds:
        template, request.node.stash[SEEDED] = templates.seeded(seeds, on_region)
    else:
        template = templates.with_region if on_region else templates.empty
    request.node.stash[TEMPLATE] = template
    with copy_database(backend, template, request, scratch) as url:
        yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.close()


ResetDatabase = Callable[[], None]


@pytest.fixture
def reset_database(
    backend: str, database: Database, request: pytest.FixtureRequest
) -> Iterator[ResetDatabase]:
    """For property tests: ``reset_database()`` at the start of each Hypothesis example puts
    the test's database back to how the test got it (the region and the seeded fixtures), in
    place, so ``database``, ``app`` and ``client`` stay valid and no example sees what another
    wrote. What the examples need must therefore come from seeded fixtures. Where nothing was
    written since the last reset (most refused inputs) there is nothing to do."""
    template = request.node.stash[TEMPLATE]
    target = database.url.database
    assert target is not None
    if backend == "sqlite":
        with closing(sqlite3.connect(target)) as watch:

            def version() -> int:  # changes with every commit of another connection
                return int(watch.execute("PRAGMA data_version").fetchone()[0])

            clean = [version()]

            def reset() -> None:
                if version() == clean[0]:
                    return
                with (
                    closing(sqlite3.connect(template)) as source,
                    closing(sqlite3.connect(target)) as copy,
                ):
                    source.backup(copy)
                clean[0] = version()

            yield reset
        return
    import psycopg

    server: EphemeralPostgres = request.getfixturevalue("postgres_server")
    with psycopg.connect(
        f"host=127.0.0.1 port={server.port} user=postgres dbname=postgres", autocommit=True
    ) as watch:

        def position() -> str:  # the server is this worker's: only this test writes to it
            row = watch.execute(b"SELECT pg_current_wal_insert_lsn()").fetchone()
            return str(row[0] if row else "")

        clean = [position()]

        def recreate() -> None:
            if position() == clean[0]:
                return
            database.engine.dispose()  # the pool's connections die with the database
            server.drop_database(target)
            server.create_database(target, template=template)
            # Again: a connection that the app's background work gave back to the pool
            # between the first dispose and the drop died with the old database, and the pool
            # tests only connections idle for a second (CI once got one: AdminShutdown).
            database.engine.dispose()
            clean[0] = position()

        yield recreate


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return test_settings(database_url, tmp_path / "data")


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
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client
