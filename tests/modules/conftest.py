"""Fixtures every module's tests share: the people of the test region, and the demo region."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from allmende.core.registry import Registry, discover
from allmende.demo.region import build_region
from allmende.storage.database import Database
from tests.conftest import Templates
from tests.support.region import People, Region, people_of
from tests.support.seeds import seed

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


@pytest.fixture(scope="session")
def demo_rebuilt(sqlite_templates: Templates) -> Database:
    """A second, independent build of the demo for ``DEMO_NOW``, on SQLite: for tests that every
    build gives the same data, on either backend. Shared by the session, so read only."""
    return sqlite_templates.kept("demo_rebuilt", _build_demo)
