"""The participation branch's own migrations, down and up again on both backends: surveys made
before a survey could be closed stay open."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from allmende.modules.participation import surveys
from allmende.modules.participation.schemas import QuestionIn, SurveyIn
from allmende.storage.database import Database, make_engine
from allmende.storage.migrate import alembic_config, upgrade
from tests.modules.participation.conftest import MakeProcess
from tests.support.region import People

pytestmark = pytest.mark.integration


def _downgrade(url: str, locations: list[Path], revision: str) -> None:
    config = alembic_config(url, locations)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        engine.dispose()


def test_surveys_made_before_the_open_state_stay_open(
    database: Database,
    database_url: str,
    migration_locations: list[Path],
    make_process: MakeProcess,
    people: People,
) -> None:
    process_id = make_process()
    data = SurveyIn(title="Alt", questions=[QuestionIn(kind="text", prompt="Was?")])
    database.write(
        lambda s: surveys.create_survey(s, principal=people.admin, process_id=process_id, data=data)
    )
    database.close()

    _downgrade(database_url, migration_locations, "participation_0001")
    engine = make_engine(database_url)
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("participation_surveys")}
        assert "is_open" not in columns
    finally:
        engine.dispose()

    upgrade(database_url, migration_locations)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT title, is_open FROM participation_surveys"))
            assert [(title, bool(is_open)) for title, is_open in rows] == [("Alt", True)]
    finally:
        engine.dispose()
