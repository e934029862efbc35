"""``in_set``: one bound parameter for many ids, the same answers on both backends, and an
index lookup rather than a scan."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.identity.models import Municipality
from allmende.storage.database import Database
from allmende.storage.id_sets import in_set

pytestmark = pytest.mark.integration


@pytest.fixture
def municipalities(database: Database) -> list[int]:
    def add(session: Session) -> list[int]:
        made = [Municipality(key=f"m{i}", name=f"M {i}", kind="Gemeinde") for i in range(30)]
        session.add_all(made)
        session.flush()
        return [m.id for m in made]

    return database.write(add)


@pytest.mark.parametrize("pick", [[], [0], [0, 5, 29], list(range(30))])
def test_in_set_finds_exactly_the_given_ids(
    database: Database, municipalities: list[int], pick: list[int]
) -> None:
    wanted = [municipalities[i] for i in pick]
    with database.session() as session:
        found = session.scalars(select(Municipality.id).where(in_set(Municipality.id, wanted)))
        assert sorted(found) == sorted(wanted)


def test_in_set_takes_thousands_of_ids_and_repeats(
    database: Database, municipalities: list[int]
) -> None:
    many = list(range(10**6, 10**6 + 50_000)) + municipalities + municipalities[:3]
    with database.session() as session:
        found = session.scalars(select(Municipality.id).where(in_set(Municipality.id, many)))
        assert sorted(found) == sorted(municipalities)


# The plan of PostgreSQL's = ANY is its planner's affair.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_in_set_uses_the_index_on_sqlite(database: Database) -> None:
    statement = select(Municipality.name).where(in_set(Municipality.id, [1, 2]))
    compiled = statement.compile(database.engine)
    with database.engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", ("[1, 2]",)).all()
    details = " ".join(str(row[-1]) for row in plan)
    assert "SEARCH" in details and "SCAN identity_municipalities" not in details
