"""A deadline on a read session stops a statement that runs past it, on both backends, and
leaves the pooled connection as it was."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from allmende.storage.database import Database
from allmende.storage.deadline import DeadlinePassed, statement_deadline

pytestmark = pytest.mark.integration

#: Runs for minutes unless stopped.
SLOW = {
    "sqlite": "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
    "SELECT count(*) FROM n",
    "postgresql": "SELECT pg_sleep(600)",
}
QUICK = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 200000) "
QUICK += "SELECT count(*) FROM n"


def test_a_statement_past_the_deadline_is_stopped(database: Database) -> None:
    with (
        database.session() as session,
        pytest.raises(DeadlinePassed),
        statement_deadline(session, time.monotonic() + 0.2),
    ):
        session.execute(text(SLOW[database.dialect])).scalar()


def test_statements_within_the_deadline_run_and_the_connection_is_left_as_it_was(
    database: Database,
) -> None:
    with database.session() as session, statement_deadline(session, time.monotonic() + 5):
        assert session.execute(text("SELECT 1")).scalar() == 1
    with database.session() as session, statement_deadline(session, time.monotonic() + 0.05):
        assert session.execute(text("SELECT 1")).scalar() == 1
    time.sleep(0.1)  # past that deadline: a handler left behind would stop what follows
    for _ in range(3):
        with database.session() as session:
            assert session.execute(text(QUICK)).scalar() == 200000


def test_a_deadline_already_passed_runs_nothing(database: Database) -> None:
    with (
        database.session() as session,
        pytest.raises(DeadlinePassed),
        statement_deadline(session, time.monotonic() - 1),
    ):
        pass
