"""Exports for staff open with their libraries (csv, openpyxl, geojson), hold no personal data,
defuse spreadsheet formulas, and stay within the municipality."""

from __future__ import annotations

import csv
import io

import geojson
import pytest
from openpyxl import load_workbook

from allmende.core.errors import Forbidden
from allmende.modules.participation import contributions, exports, surveys
from allmende.modules.participation.schemas import (
    AnswerIn,
    ContributionCreate,
    QuestionIn,
    SurveyIn,
)
from allmende.modules.participation.service import Participant
from allmende.storage.database import Database
from tests.modules.participation.conftest import INSIDE, anonymous
from tests.support.region import People

pytestmark = pytest.mark.integration


@pytest.fixture
def items(database: Database, process_id: int, people: People) -> int:
    for title, geometry, participant in (
        ('=HYPERLINK("http://evil")', INSIDE, Participant(people.citizen)),
        ("Bänke\x01 am Brunnen", None, anonymous()),
    ):
        data = ContributionCreate(
            title=title, text="Text", category="Grün", geometry=geometry, author_name="Cem"
        )
        database.write(
            lambda s, data=data, participant=participant: contributions.create_contribution(
                s, participant=participant, process_id=process_id, data=data
            )
        )
    return process_id


def _export(database: Database, people: People, process_id: int, fmt: str) -> bytes:
    with database.session() as session:
        return exports.export_contributions(
            session,
            principal=people.staff_a,
            process_id=process_id,
            fmt=fmt,
            base="https://x",  # type: ignore[arg-type]
        )


def test_csv(database: Database, people: People, items: int) -> None:
    data = _export(database, people, items, "csv")
    assert data.startswith("\ufeff".encode())  # the German spreadsheet convention
    text = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [r["title"] for r in rows] == ['\'=HYPERLINK("http://evil")', "Bänke\x01 am Brunnen"]
    assert rows[0]["longitude"] == "8,64" and rows[0]["from_account"] == "true"
    assert "Cem" not in text and "citizen@example.org" not in text


def test_xlsx(database: Database, people: People, items: int) -> None:
    workbook = load_workbook(io.BytesIO(_export(database, people, items, "xlsx")))
    sheet = workbook["Contributions"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "created_at", "title")
    assert rows[1][2].startswith("'=")
    assert rows[2][2] == "Bänke am Brunnen"  # control characters XLSX cannot hold are gone


def test_geojson(database: Database, people: People, items: int) -> None:
    collection = geojson.loads(_export(database, people, items, "geojson"))
    assert collection.is_valid
    assert [f["geometry"] is not None for f in collection["features"]] == [True, False]
    assert "author_name" not in collection["features"][0]["properties"]


def test_only_moderators_export(database: Database, people: People, items: int) -> None:
    for principal in (people.staff_b, people.citizen):
        with pytest.raises(Forbidden), database.session() as session:
            exports.export_contributions(
                session, principal=principal, process_id=items, fmt="csv", base=""
            )


def test_survey_responses(database: Database, process_id: int, people: People) -> None:
    survey = database.write(
        lambda s: surveys.create_survey(
            s,
            principal=people.staff_a,
            process_id=process_id,
            data=SurveyIn(
                title="U",
                questions=[
                    QuestionIn(kind="multiple", prompt="Was?", options=["A", "B"]),
                    QuestionIn(kind="location", prompt="Wo?"),
                ],
            ),
        )
    )
    q = [question.id for question in survey.questions]
    database.write(
        lambda s: surveys.respond(
            s,
            participant=anonymous(),
            survey_id=survey.id,
            answers=[
                AnswerIn(question_id=q[0], choices=[0, 1]),
                AnswerIn(question_id=q[1], geometry=INSIDE, text="Brunnen"),
            ],
        )
    )
    with database.session() as session:
        table = exports.export_responses(
            session, principal=people.staff_a, survey_id=survey.id, fmt="xlsx"
        )
        places = exports.export_responses(
            session, principal=people.staff_a, survey_id=survey.id, fmt="geojson"
        )
    rows = list(load_workbook(io.BytesIO(table))["Responses"].iter_rows(values_only=True))
    assert rows[0][3:] == ("1. Was?", "2. Wo?")
    assert rows[1][3:] == ("A; B", "49.44, 8.64 (Brunnen)")
    assert geojson.loads(places).is_valid
