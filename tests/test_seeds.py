"""Seeded fixtures (``tests.support.seeds``): built once per backend, each test gets them in a
database of its own; ``reset_database`` puts that database back between Hypothesis examples."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box
from sqlalchemy import func, select

from allmende.identity import service
from allmende.identity.models import Municipality
from allmende.storage.database import Database
from tests.conftest import ResetDatabase
from tests.support.region import Region
from tests.support.seeds import seed

pytestmark = pytest.mark.integration
_numbers = itertools.count(3)


def add_municipality(database: Database) -> int:
    number = next(_numbers)
    return database.write(
        lambda session: (
            service.create_municipality(
                session,
                key=f"ort-{number}",
                name=f"Ort {number}",
                ags=f"08999{number:03d}",
                jurisdiction_id=f"ort-{number}.example",
                boundary=box(8.8, 49.4, 8.9, 49.5),
            ).id
        )
    )


def municipalities(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(Municipality)) or 0)


@seed
def third_municipality(database: Database, region: Region) -> int:
    """A municipality beside A and B."""
    return add_municipality(database)


@pytest.mark.parametrize("attempt", [1, 2])
def test_each_test_gets_the_seed_in_a_database_of_its_own(
    database: Database, third_municipality: int, attempt: int
) -> None:
    assert municipalities(database) == 3  # A, B and the seeded one; nothing another test wrote
    with database.session() as session:
        assert session.get(Municipality, third_municipality) is not None
    add_municipality(database)


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(more=st.integers(1, 3))
def test_reset_database_gives_each_example_the_start(
    database: Database, reset_database: ResetDatabase, third_municipality: int, more: int
) -> None:
    reset_database()
    assert municipalities(database) == 3
    for _ in range(more):
        add_municipality(database)
    assert municipalities(database) == 3 + more
