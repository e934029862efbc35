"""Moderation: official feedback notifies the author; hide and restore with a reason; reports;
only staff of the process's municipality (and admins) moderate."""

from __future__ import annotations

import pytest

from allmende.core.errors import Forbidden, NotFound, ValidationFailed
from allmende.modules.participation import contributions, moderation, notifications
from allmende.modules.participation.models import ModerationEntry
from allmende.modules.participation.schemas import (
    CommentCreate,
    ContributionCreate,
    FeedbackIn,
    ReportIn,
)
from allmende.modules.participation.service import Participant
from allmende.storage.database import Database
from tests.modules.participation.conftest import anonymous, count
from tests.support.region import People

pytestmark = pytest.mark.integration


@pytest.fixture
def item(database: Database, process_id: int, people: People) -> int:
    data = ContributionCreate(title="Trinkbrunnen", text="Am Rathaus", category="Grün")
    return database.write(
        lambda s: contributions.create_contribution(
            s, participant=Participant(people.citizen), process_id=process_id, data=data
        )
    ).id


def test_official_feedback_is_public_and_notifies_the_author(
    database: Database, item: int, people: People
) -> None:
    answered = database.write(
        lambda s: moderation.give_feedback(
            s,
            principal=people.staff_a,
            contribution_id=item,
            data=FeedbackIn(status="accepted", answer="Wird umgesetzt."),
        )
    )
    assert answered.status == "accepted" and answered.answered_at is not None
    with database.session() as session:
        public = contributions.get_contribution(
            session, principal=people.anonymous, contribution_id=item
        )
        notes = notifications.list_notifications(session, principal=people.citizen)
    assert public.answer == "Wird umgesetzt."
    assert [n.kind for n in notes] == ["answer"]
    assert "Trinkbrunnen" in notes[0].message and "Accepted" in notes[0].message
    assert count(database, ModerationEntry) == 1


def test_only_staff_of_the_municipality_moderate(
    database: Database, item: int, people: People
) -> None:
    for principal in (people.staff_b, people.citizen):
        with pytest.raises(Forbidden):
            database.write(
                lambda s, principal=principal: moderation.give_feedback(
                    s, principal=principal, contribution_id=item, data=FeedbackIn(status="rejected")
                )
            )
        with pytest.raises(Forbidden):
            database.write(
                lambda s, principal=principal: moderation.set_contribution_hidden(
                    s, principal=principal, contribution_id=item, hidden=True, reason="x"
                )
            )
    assert (
        database.write(
            lambda s: moderation.give_feedback(
                s, principal=people.admin, contribution_id=item, data=FeedbackIn(status="rejected")
            )
        ).status
        == "rejected"
    )


def test_hidden_contributions_keep_their_place_but_not_their_text(
    database: Database, process_id: int, item: int, people: People
) -> None:
    database.write(
        lambda s: moderation.set_contribution_hidden(
            s, principal=people.staff_a, contribution_id=item, hidden=True, reason="Beleidigend"
        )
    )
    with database.session() as session:
        public = contributions.get_contribution(
            session, principal=people.anonymous, contribution_id=item
        )
        staff = contributions.get_contribution(
            session, principal=people.staff_a, contribution_id=item
        )
        listed = contributions.list_contributions(
            session, principal=people.anonymous, process_id=process_id
        )
        staff_list = contributions.list_contributions(
            session, principal=people.staff_a, process_id=process_id
        )
    assert public.hidden and public.text is None and public.hidden_reason == "Beleidigend"
    assert staff.text == "Am Rathaus"
    assert listed == [] and len(staff_list) == 1
    with pytest.raises(ValidationFailed):
        database.write(
            lambda s: contributions.support(s, participant=anonymous(), contribution_id=item)
        )
    restored = database.write(
        lambda s: moderation.set_contribution_hidden(
            s, principal=people.staff_a, contribution_id=item, hidden=False, reason="Geprüft"
        )
    )
    assert not restored.hidden and restored.hidden_reason is None


def test_comments_are_hidden_and_restored(database: Database, item: int, people: People) -> None:
    comment = database.write(
        lambda s: contributions.create_comment(
            s, participant=anonymous(), contribution_id=item, data=CommentCreate(text="Spam!")
        )
    )
    hidden = database.write(
        lambda s: moderation.set_comment_hidden(
            s, principal=people.staff_a, comment_id=comment.id, hidden=True, reason="Werbung"
        )
    )
    assert hidden.hidden
    with database.session() as session:
        [public] = contributions.list_comments(
            session, principal=people.anonymous, contribution_id=item
        )
    assert public.text is None and public.hidden_reason == "Werbung"
    with pytest.raises(Forbidden):
        database.write(
            lambda s: moderation.set_comment_hidden(
                s, principal=people.staff_b, comment_id=comment.id, hidden=False, reason="x"
            )
        )


def test_reports_reach_the_moderators(
    database: Database, process_id: int, item: int, people: People
) -> None:
    comment = database.write(
        lambda s: contributions.create_comment(
            s, participant=anonymous(), contribution_id=item, data=CommentCreate(text="Böse")
        )
    )
    database.write(
        lambda s: moderation.create_report(
            s, participant=anonymous(), data=ReportIn(contribution_id=item, reason="spam")
        )
    )
    by_comment = database.write(
        lambda s: moderation.create_report(
            s,
            participant=Participant(people.citizen),
            data=ReportIn(comment_id=comment.id, reason="offensive", text="Beleidigung"),
        )
    )
    assert by_comment.contribution_id == item and by_comment.comment_id == comment.id
    with pytest.raises(ValidationFailed):
        database.write(
            lambda s: moderation.create_report(
                s,
                participant=anonymous(),
                data=ReportIn(contribution_id=item, comment_id=comment.id, reason="spam"),
            )
        )
    with pytest.raises(Forbidden), database.session() as session:
        moderation.list_reports(session, principal=people.staff_b, process_id=process_id)
    with database.session() as session:
        open_reports = moderation.list_reports(
            session, principal=people.staff_a, process_id=process_id
        )
    assert len(open_reports) == 2
    database.write(
        lambda s: moderation.resolve_report(
            s, principal=people.staff_a, report_id=by_comment.id, resolution="Kommentar verborgen"
        )
    )
    with database.session() as session:
        assert (
            len(moderation.list_reports(session, principal=people.staff_a, process_id=process_id))
            == 1
        )
    with pytest.raises(NotFound):
        database.write(
            lambda s: moderation.resolve_report(
                s, principal=people.staff_a, report_id=999, resolution="x"
            )
        )
