"""Fixtures every module's tests share."""

from __future__ import annotations

import pytest

from allmende.storage.database import Database
from tests.support.region import People, Region, people_of


@pytest.fixture
def people(database: Database, region: Region) -> People:
    return people_of(database, region)
