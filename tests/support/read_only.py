"""One database, app and client per backend for a test module whose tests only read.

Each test of the standards suites gets a copy of its seeded template, an app and a client of its
own; where a module's tests never write, one copy per backend serves them all. The copy is of
the template the tests' own fixtures would have copied (the same seeds, in the same order).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from allmende.app import create_app
from allmende.core.registry import Registry
from allmende.storage.database import Database
from tests.conftest import BACKENDS, Templates, copy_database
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.seeds import test_settings


@pytest.fixture(scope="module", params=BACKENDS, name="backend")
def backend_per_module(request: pytest.FixtureRequest) -> str:
    """The backend for a whole test module whose tests share one database: a module imports it
    (with :func:`postgres_marked`) in place of the per-test ``backend`` of tests/conftest.py."""
    return str(request.param)


@pytest.fixture(autouse=True)
def postgres_marked(backend: str, request: pytest.FixtureRequest) -> None:
    """The ``postgres`` mark on each PostgreSQL test, as tests/conftest.py's ``backend`` sets it."""
    if backend == "postgresql":
        request.applymarker(pytest.mark.postgres)


@dataclass(frozen=True)
class ReadOnly:
    """The shared app, its client, the region, and the values of the seeded fixtures by name."""

    app: Any
    client: TestClient
    region: Region
    seeded: dict[str, Any]


@contextmanager
def read_only_app(
    request: pytest.FixtureRequest, backend: str, registry: Registry, *seeds: Any
) -> Iterator[ReadOnly]:
    """An app on a copy of the template holding ``seeds`` (seeded fixtures, as declared with
    ``tests.support.seeds.seed``) on the region, for a module-scoped fixture."""
    kind = "sqlite" if backend == "sqlite" else "postgres"
    templates: Templates = request.getfixturevalue(f"{kind}_templates")
    scratch: Path = request.getfixturevalue("scratch")
    factory: pytest.TempPathFactory = request.getfixturevalue("tmp_path_factory")
    template, values = templates.seeded(tuple(s.seed for s in seeds), True)
    with copy_database(backend, template, request, scratch) as url:
        database = Database(url)
        try:
            settings = test_settings(url, factory.mktemp("data"))
            app = create_app(settings, database=database, registry=registry)
            with TestClient(app, base_url="http://testserver") as client:
                yield ReadOnly(app, client, templates.region, values)
        finally:
            database.close()
