"""Fixtures every module's tests share: the people of the test region, and the demo region."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from allmende.core.registry import Registry, discover
from allmende.demo.region import build_region
from allmende.storage.database import Database
from tests.conftest import Templates, copy_database
from tests.support.region import People, Region, people_of
from tests.support.seeds import requested_seeds, seed

#: The moment the demo is built for: fixed, so that every build gives the same data.
DEMO_NOW = datetime(2026, 9, 20, 14, 37, tzinfo=UTC)


@dataclass(frozen=True)
class Demo:
    now: datetime
    notes: list[str]


@pytest.fixture
def people(database: Database, region: Region) -> People:
    return people_of(database, region)


def _build_demo(database: Database) -> Demo:
    registry = Registry.build(discover())
    notes = database.write(lambda s: build_region(s, registry=registry, now=DEMO_NOW).notes)
    return Demo(DEMO_NOW, list(notes))


@seed(on_region=False)
def demo(database: Database, region: None) -> Demo:
    """The demo region with every module's demo data (instead of the test region), built once
    per backend for ``DEMO_NOW`` and copied into each test."""
    return _build_demo(database)


@pytest.fixture
def demo_rebuilt(
    backend: str, demo: Demo, request: pytest.FixtureRequest, scratch: Path
) -> Iterator[Database]:
    """The same seeds as the test's, built independently on the other backend (for
    ``DEMO_NOW``): for tests that every build gives the same data, on either backend. The other
    backend's tests copy that template too, so no build is spent on this alone."""
    other = "postgresql" if backend == "sqlite" else "sqlite"
    templates: Templates = request.getfixturevalue(
        "postgres_templates" if other == "postgresql" else "sqlite_templates"
    )
    seeds, on_region = requested_seeds(request)
    template, _ = templates.seeded(seeds, on_region)
    with copy_database(other, template, request, scratch) as url:
        database = Database(url)
        yield database
        database.close()
