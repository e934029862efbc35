"""Accounts: following processes and notifications; personal data export and deletion
(deletion anonymises contributions and comments, so threads stay intact)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from allmende.core.errors import Unauthorized
from allmende.core.timeutil import utcnow
from allmende.modules.participation import (
    contributions,
    moderation,
    notifications,
    privacy,
    processes,
    surveys,
)
from allmende.modules.participation.models import Comment, Contribution, Follow, Notification
from allmende.modules.participation.schemas import (
    AnswerIn,
    CommentCreate,
    ContributionCreate,
    FeedbackIn,
    PhaseIn,
    ProcessUpdate,
    QuestionIn,
    SurveyIn,
)
from allmende.modules.participation.service import Participant
from allmende.storage.database import Database
from tests.modules.participation.conftest import INSIDE, anonymous, count
from tests.support.region import People

pytestmark = pytest.mark.integration


def test_followers_hear_of_new_phases(database: Database, process_id: int, people: People) -> None:
    database.write(
        lambda s: notifications.follow(
            s, principal=people.citizen, process_id=process_id, following=True
        )
    )
    now = utcnow()
    later = [
        PhaseIn(title="Jetzt", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)),
        PhaseIn(title="Später", starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=5)),
    ]
    database.write(
        lambda s: processes.update_process(
            s, principal=people.staff_a, process_id=process_id, data=ProcessUpdate(phases=later)
        )
    )
    with database.session() as session:
        assert notifications.list_notifications(session, principal=people.citizen) == []
        notes = notifications.list_notifications(
            session, principal=people.citizen, now=now + timedelta(days=2)
        )
        assert (
            notifications.unread_count(
                session, principal=people.citizen, now=now + timedelta(days=2)
            )
            == 1
        )
    assert [n.kind for n in notes] == ["phase"] and "Später" in notes[0].message
    database.write(
        lambda s: notifications.mark_read(s, principal=people.citizen, now=now + timedelta(days=2))
    )
    with database.session() as session:
        assert (
            notifications.unread_count(
                session, principal=people.citizen, now=now + timedelta(days=3)
            )
            == 0
        )


def test_following_needs_an_account(database: Database, process_id: int, people: People) -> None:
    with pytest.raises(Unauthorized):
        database.write(
            lambda s: notifications.follow(
                s, principal=people.anonymous, process_id=process_id, following=True
            )
        )


@pytest.fixture
def history(database: Database, process_id: int, people: People) -> dict[str, int]:
    """The citizen contributed, was answered, replied, supported, followed and answered a survey."""
    citizen = Participant(people.citizen)
    mine = database.write(
        lambda s: contributions.create_contribution(
            s,
            participant=citizen,
            process_id=process_id,
            data=ContributionCreate(
                title="Meine Idee",
                text="Mein Text",
                category="Grün",
                geometry=INSIDE,
                author_name="Cem",
            ),
        )
    ).id
    other = database.write(
        lambda s: contributions.create_contribution(
            s,
            participant=anonymous(),
            process_id=process_id,
            data=ContributionCreate(title="Andere Idee", text="x", category="Grün"),
        )
    ).id
    question = database.write(
        lambda s: contributions.create_comment(
            s, participant=anonymous(), contribution_id=mine, data=CommentCreate(text="Warum?")
        )
    )
    reply = database.write(
        lambda s: contributions.create_comment(
            s,
            participant=citizen,
            contribution_id=mine,
            data=CommentCreate(text="Darum.", parent_id=question.id),
        )
    )
    database.write(
        lambda s: contributions.create_comment(
            s,
            participant=anonymous(),
            contribution_id=mine,
            data=CommentCreate(text="Und?", parent_id=reply.id),
        )
    )
    database.write(lambda s: contributions.support(s, participant=citizen, contribution_id=other))
    database.write(
        lambda s: moderation.give_feedback(
            s,
            principal=people.staff_a,
            contribution_id=mine,
            data=FeedbackIn(status="accepted", answer="Ja"),
        )
    )
    database.write(
        lambda s: notifications.follow(
            s, principal=people.citizen, process_id=process_id, following=True
        )
    )
    survey = database.write(
        lambda s: surveys.create_survey(
            s,
            principal=people.staff_a,
            process_id=process_id,
            data=SurveyIn(title="U", questions=[QuestionIn(kind="text", prompt="Was?")]),
        )
    )
    database.write(
        lambda s: surveys.respond(
            s,
            participant=citizen,
            survey_id=survey.id,
            answers=[AnswerIn(question_id=survey.questions[0].id, text="Geheim")],
        )
    )
    return {"mine": mine, "other": other, "reply": reply.id, "survey": survey.id}


def test_the_export_holds_everything_of_the_account(
    database: Database, history: dict[str, int], people: People
) -> None:
    with database.session() as session:
        data = privacy.export(session, principal=people.citizen)
    assert [c["title"] for c in data["contributions"]] == ["Meine Idee"]
    assert data["contributions"][0]["public_name"] == "Cem"
    assert [c["text"] for c in data["comments"]] == ["Darum."]
    assert [s["contribution_id"] for s in data["supports"]] == [history["other"]]
    assert len(data["follows"]) == 1
    assert data["survey_responses"][0]["answers"][0]["text"] == "Geheim"
    assert {n["kind"] for n in data["notifications"]} == {"answer", "comment", "reply"}
    with pytest.raises(Unauthorized), database.session() as session:
        privacy.export(session, principal=people.anonymous)


def test_deletion_anonymises_and_keeps_threads(
    database: Database, history: dict[str, int], people: People
) -> None:
    summary = database.write(
        lambda s: privacy.delete_data(s, principal=people.citizen, erase_texts=False)
    )
    assert summary["contributions"] == 1 and summary["comments"] == 1 and summary["supports"] == 1
    with database.session() as session:
        mine = session.get(Contribution, history["mine"])
        other = session.get(Contribution, history["other"])
        assert mine is not None and other is not None
        assert mine.author_user_id is None and mine.author_name is None
        assert mine.text == "Mein Text" and mine.answer == "Ja"
        assert other.support_count == 0
        thread = contributions.list_comments(
            session, principal=people.anonymous, contribution_id=history["mine"]
        )
        assert [c.text for c in thread] == ["Warum?", "Darum.", "Und?"]  # nothing broke
        assert session.scalars(select(Follow)).all() == []
        assert session.scalars(select(Notification)).all() == []
        results = surveys.results(session, principal=people.staff_a, survey_id=history["survey"])
        assert results.responses == 1  # kept for the statistics, without the account
        assert privacy.export(session, principal=people.citizen)["contributions"] == []


def test_deletion_can_erase_the_words(
    database: Database, history: dict[str, int], people: People
) -> None:
    database.write(lambda s: privacy.delete_data(s, principal=people.citizen, erase_texts=True))
    with database.session() as session:
        mine = session.get(Contribution, history["mine"])
        reply = session.get(Comment, history["reply"])
        assert mine is not None and reply is not None
        assert mine.text == privacy.ERASED and mine.geom is None and mine.bbox_minx is None
        assert reply.text == privacy.ERASED
        results = surveys.results(session, principal=people.staff_a, survey_id=history["survey"])
        assert results.questions[0].texts == []
    assert count(database, Contribution) == 2
