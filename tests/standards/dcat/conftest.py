"""The demo region once per test session (SQLite), served by a test client, for the
catalogue's tests; the test region (both backends) comes from the suite's fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from allmende.app import create_app, migration_locations
from allmende.core.registry import Registry, discover
from allmende.core.settings import Mode, Settings
from allmende.core.timeutil import utcnow
from allmende.demo.region import REGION_NAME, build_region
from allmende.storage.database import Database
from allmende.storage.migrate import upgrade
from tests.conftest import SECRET
from tests.support.client import TestClient


@pytest.fixture
def registry() -> Registry:
    """The built-in modules: they offer the datasets."""
    return Registry.build(discover())


def _publishing() -> Registry:
    """The modules that offer datasets (and what they require): the demo of the others adds
    nothing to the catalogue but minutes to the test (the energy demo meters a year)."""
    available = discover()
    needed = {key for m in available if m.datasets for key in m.requires}
    idle = [m.key for m in available if not m.datasets and m.key not in needed]
    return Registry.build(available, disabled=idle)


@dataclass
class Demo:
    client: TestClient
    database: Database
    settings: Settings


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    path = tmp_path_factory.mktemp("dcat-demo") / "demo.sqlite3"
    url = f"sqlite:///{path}"
    registry = _publishing()
    upgrade(url, migration_locations(registry))
    database = Database(url)
    database.write(lambda s: build_region(s, registry=registry, now=utcnow()))
    settings = Settings(
        mode=Mode.DEMO,
        database_url=url,
        secret_key=SECRET,
        region_name=REGION_NAME,
        data_dir=path.parent / "data",
        mqtt_mode="off",
        run_jobs=False,
        catalog_page_size=10,
        catalog_contributor_id="http://dcat-ap.de/def/contributors/datenBW",
    )
    app = create_app(settings, database=database, registry=registry)
    with TestClient(app, base_url="http://testserver") as client:
        yield Demo(client, database, settings)
    database.close()
