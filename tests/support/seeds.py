"""Seeded fixtures: test data built once per backend (and pytest-xdist worker) into a copy of the
region's template database, then copied with the database into every test that asks for it.

A test that asks for ``world`` gets what it always got, a fresh database holding the test region
and the world, but the world is no longer rebuilt for each test: ``database_url`` sees the seeded
fixtures among the test's fixtures and copies the template that already holds them (a file copy
on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL). Tests may write freely; each has its
own copy.

Declare one in a conftest (or a test module) with the fixture's name and its builder::

    @seed
    def world(database: Database, region: Region) -> World:
        return database.write(lambda session: build_world(session, region))

The builder gets a Database on the template being built and the region (``None`` where the
seed starts from the empty template: ``@seed(on_region=False)``, or ``@seed(on_region=None)``
for whichever the test asks for); what it returns is the fixture's value in every test.
Builders must not depend on the test asking (they run once) and must close what they open (a
template takes no copies while a connection is open).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, overload

import pytest

from allmende.core.registry import Registry
from allmende.core.settings import Mode, Settings
from allmende.storage.database import Database
from tests.support.client import TestClient
from tests.support.region import Region

SECRET = "test-secret-key-that-is-long-enough-0123456789"
#: The values of the seeded fixtures of the test, put there by ``database_url``.
SEEDED = pytest.StashKey[dict[str, Any]]()

T = TypeVar("T")
Builder = Callable[[Database, Any], Any]


@dataclass(frozen=True)
class Seed:
    name: str
    build: Builder
    on_region: bool | None  # None: on the region if the test asks for it, else empty

    @property
    def key(self) -> str:
        return f"{self.build.__module__}.{self.build.__qualname__}"


def test_settings(database_url: str, data_dir: Path) -> Settings:
    """The settings every test app runs with."""
    return Settings(
        mode=Mode.DEV,
        database_url=database_url,
        secret_key=SECRET,
        region_name="Testregion",
        data_dir=data_dir,
        mqtt_mode="off",  # tests that need a broker start one on a free port
        gc_freeze=False,  # a test process starts many applications (tests/test_app.py)
    )


test_settings.__test__ = False  # type: ignore[attr-defined]  # not a test, despite its name


@contextmanager
def app_client(database: Database, registry: Registry) -> Iterator[TestClient]:
    """A started app on ``database`` for builders that seed through the HTTP API."""
    from allmende.app import create_app

    url = database.url.render_as_string(hide_password=False)
    with tempfile.TemporaryDirectory(prefix="allmende-seed-") as data_dir:
        settings = test_settings(url, Path(data_dir))
        app = create_app(settings, database=database, registry=registry)
        with TestClient(app, base_url="http://testserver") as client:
            yield client


@overload
def seed(build: Callable[[Database, Region], T], /) -> Any: ...
@overload
def seed(*, on_region: bool | None = True) -> Callable[[Callable[[Database, Any], T]], Any]: ...
def seed(build: Builder | None = None, /, *, on_region: bool | None = True) -> Any:
    """Declare a seeded fixture named like its builder (see the module's docstring)."""

    def declare(build: Builder) -> Any:
        spec = Seed(build.__name__, build, on_region)

        def fixture(database_url: str, request: pytest.FixtureRequest) -> Any:
            return request.node.stash[SEEDED][spec.name]

        fixture.__doc__ = build.__doc__
        fixture.seed = spec  # type: ignore[attr-defined]  # how database_url recognises it
        return pytest.fixture(name=spec.name)(fixture)

    return declare if build is None else declare(build)


def requested_seeds(request: pytest.FixtureRequest) -> tuple[tuple[Seed, ...], bool]:
    """The seeded fixtures the test uses, in the order pytest sets its fixtures up, and whether
    their template starts with the region.

    The fixture definition pytest chose for the test decides (a closer conftest or the test
    module may define a plain fixture of the same name); pytest keeps it on the item.
    """
    chosen = request.node._fixtureinfo.name2fixturedefs
    seeds = []
    for name in request.fixturenames:
        definitions = chosen.get(name)
        spec = getattr(definitions[-1].func, "seed", None) if definitions else None
        if isinstance(spec, Seed):
            seeds.append(spec)
    bases = {s.on_region for s in seeds if s.on_region is not None}
    if len(bases) > 1:
        raise pytest.UsageError(
            f"seeds {[s.name for s in seeds]} start from different templates (region or empty)"
        )
    on_region = bases.pop() if bases else "region" in request.fixturenames
    return tuple(seeds), on_region
