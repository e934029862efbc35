"""Surveys of every question type: answers are checked, counted once per person, and the
results are shown to staff (and to the public where chosen)."""

from __future__ import annotations

import pytest

from allmende.core.errors import Conflict, Forbidden, ValidationFailed
from allmende.modules.participation import surveys
from allmende.modules.participation.models import Answer, Response
from allmende.modules.participation.schemas import AnswerIn, QuestionIn, SurveyIn
from allmende.modules.participation.service import Participant
from allmende.storage.database import Database
from tests.modules.participation.conftest import (
    INSIDE,
    OUTSIDE,
    MakeProcess,
    People,
    anonymous,
    count,
    timeline,
)

pytestmark = pytest.mark.integration

QUESTIONS = [
    QuestionIn(kind="single", prompt="Wie oft?", required=True, options=["oft", "selten"]),
    QuestionIn(kind="multiple", prompt="Was fehlt?", options=["Bänke", "Bäume", "Wasser"]),
    QuestionIn(kind="scale", prompt="Wie zufrieden?", scale_min=1, scale_max=5),
    QuestionIn(kind="ranking", prompt="Reihenfolge", options=["Grün", "Markt", "Parken"]),
    QuestionIn(kind="text", prompt="Sonst noch?"),
    QuestionIn(kind="location", prompt="Wo fehlt Schatten?"),
]


def _survey(database: Database, process_id: int, people: People, public: bool = False) -> list[int]:
    created = database.write(
        lambda s: surveys.create_survey(
            s,
            principal=people.staff_a,
            process_id=process_id,
            data=SurveyIn(title="Umfrage", results_public=public, questions=QUESTIONS),
        )
    )
    return [created.id, *(q.id for q in created.questions)]


def _answer(database: Database, participant: Participant, survey_id: int, answers: list[AnswerIn]):  # type: ignore[no-untyped-def]
    return database.write(
        lambda s: surveys.respond(s, participant=participant, survey_id=survey_id, answers=answers)
    )


def _full(q: list[int], *, choice: int = 0) -> list[AnswerIn]:
    return [
        AnswerIn(question_id=q[0], choices=[choice]),
        AnswerIn(question_id=q[1], choices=[0, 2]),
        AnswerIn(question_id=q[2], number=4),
        AnswerIn(question_id=q[3], choices=[2, 0, 1]),
        AnswerIn(question_id=q[4], text="Mehr Licht"),
        AnswerIn(question_id=q[5], geometry=INSIDE),
    ]


def test_answers_of_every_kind_are_counted(
    database: Database, process_id: int, people: People
) -> None:
    survey, *q = _survey(database, process_id, people, public=True)
    _answer(database, anonymous("a"), survey, _full(q, choice=0))
    _answer(database, anonymous("b"), survey, _full(q, choice=1))
    _answer(
        database, Participant(people.citizen), survey, [AnswerIn(question_id=q[0], choices=[0])]
    )
    with database.session() as session:
        public = surveys.results(session, principal=people.anonymous, survey_id=survey)
        staff = surveys.results(session, principal=people.staff_a, survey_id=survey)
    assert public.responses == 3
    single, multiple, scale, ranking, text, location = public.questions
    assert [(o.label, o.count) for o in single.options] == [("oft", 2), ("selten", 1)]
    assert single.options[0].share == pytest.approx(2 / 3, abs=1e-3)
    assert [o.count for o in multiple.options] == [2, 0, 2]
    assert scale.average == 4 and scale.options[3].count == 2
    assert [o.share for o in ranking.options] == [2.0, 3.0, 1.0]  # average ranks
    assert text.texts is None and staff.questions[4].texts == ["Mehr Licht", "Mehr Licht"]
    assert location.locations == 2


@pytest.mark.parametrize(
    ("index", "answer", "reason"),
    [
        (0, AnswerIn(question_id=1, choices=[0, 1]), "choose exactly one option"),
        (0, AnswerIn(question_id=1, choices=[7]), "names an option that does not exist"),
        (1, AnswerIn(question_id=1, choices=[1, 1]), "names an option twice"),
        (2, AnswerIn(question_id=1, number=9), "choose a value from 1 to 5"),
        (3, AnswerIn(question_id=1, choices=[0, 0, 1]), "give every option a different rank"),
        (3, AnswerIn(question_id=1, choices=[0, 1]), "give every option a different rank"),
        (5, AnswerIn(question_id=1, geometry=OUTSIDE), "outside the area"),
    ],
)
def test_wrong_answers_are_refused_naming_the_question(
    database: Database,
    process_id: int,
    people: People,
    index: int,
    answer: AnswerIn,
    reason: str,
) -> None:
    survey, *q = _survey(database, process_id, people)
    answers = [AnswerIn(question_id=q[0], choices=[0])] if index else []
    answers.append(answer.model_copy(update={"question_id": q[index]}))
    with pytest.raises(ValidationFailed) as refused:
        _answer(database, anonymous(), survey, answers)
    assert refused.value.errors[0].field == f"body.answers.{q[index]}"
    assert reason in refused.value.errors[0].reason
    assert count(database, Response) == 0 and count(database, Answer) == 0


def test_required_questions_and_foreign_questions(
    database: Database, process_id: int, people: People
) -> None:
    survey, *q = _survey(database, process_id, people)
    with pytest.raises(ValidationFailed) as missing:
        _answer(database, anonymous(), survey, [AnswerIn(question_id=q[4], text="x")])
    assert missing.value.errors[0].field == f"body.answers.{q[0]}"
    with pytest.raises(ValidationFailed) as foreign:
        _answer(database, anonymous(), survey, [AnswerIn(question_id=123456, choices=[0])])
    assert foreign.value.errors[0].field == "body.answers.123456"


def test_one_response_per_person(database: Database, process_id: int, people: People) -> None:
    survey, *q = _survey(database, process_id, people)
    _answer(database, anonymous("same"), survey, _full(q))
    with pytest.raises(ValidationFailed):
        _answer(database, anonymous("same"), survey, _full(q))
    _answer(database, Participant(people.citizen), survey, _full(q))
    with pytest.raises(ValidationFailed):
        _answer(database, Participant(people.citizen), survey, _full(q))
    assert count(database, Response) == 2


def test_surveys_only_while_the_phase_allows(
    database: Database, make_process: MakeProcess, people: People
) -> None:
    process_id = make_process(phases=timeline(("comment",)))
    survey, *q = _survey(database, process_id, people)
    with pytest.raises(Conflict):
        _answer(database, anonymous(), survey, _full(q))


def test_results_are_for_staff_unless_public(
    database: Database, process_id: int, people: People
) -> None:
    survey, *_ = _survey(database, process_id, people, public=False)
    with database.session() as session:
        assert surveys.results(session, principal=people.staff_a, survey_id=survey).responses == 0
        for principal in (people.anonymous, people.citizen, people.staff_b):
            with pytest.raises(Forbidden):
                surveys.results(session, principal=principal, survey_id=survey)


def test_question_definitions_are_checked(
    database: Database, process_id: int, people: People
) -> None:
    for question, field in (
        (QuestionIn(kind="single", prompt="x", options=["nur eins"]), "body.questions.0.options"),
        (QuestionIn(kind="text", prompt="x", options=["a", "b"]), "body.questions.0.options"),
        (
            QuestionIn(kind="scale", prompt="x", scale_min=5, scale_max=5),
            "body.questions.0.scale_max",
        ),
    ):
        with pytest.raises(ValidationFailed) as refused:
            database.write(
                lambda s, question=question: surveys.create_survey(
                    s,
                    principal=people.staff_a,
                    process_id=process_id,
                    data=SurveyIn(title="x", questions=[question]),
                )
            )
        assert refused.value.errors[0].field == field
