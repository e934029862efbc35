"""Threaded comments and support, only while the phase allows them."""

from __future__ import annotations

import pytest

from allmende.core.errors import Conflict, ValidationFailed
from allmende.modules.participation import contributions, notifications
from allmende.modules.participation.models import Comment, Support
from allmende.modules.participation.schemas import CommentCreate, ContributionCreate
from allmende.modules.participation.service import Participant
from allmende.storage.database import Database
from tests.modules.participation.conftest import (
    INSIDE,
    MakeProcess,
    People,
    anonymous,
    count,
    timeline,
)

pytestmark = pytest.mark.integration


def _contribution(database: Database, process_id: int, participant: Participant) -> int:
    data = ContributionCreate(title="Bänke", text="Mehr Bänke", category="Grün", geometry=INSIDE)
    return database.write(
        lambda s: contributions.create_contribution(
            s, participant=participant, process_id=process_id, data=data
        )
    ).id


def _comment(
    database: Database, participant: Participant, contribution_id: int, text: str, **extra
):  # type: ignore[no-untyped-def]
    data = CommentCreate(text=text, **extra)
    return database.write(
        lambda s: contributions.create_comment(
            s, participant=participant, contribution_id=contribution_id, data=data
        )
    )


def test_comments_form_threads_in_order(
    database: Database, process_id: int, people: People
) -> None:
    item = _contribution(database, process_id, Participant(people.citizen))
    first = _comment(database, anonymous("a"), item, "Eins")
    second = _comment(database, anonymous("b"), item, "Zwei")
    reply = _comment(database, anonymous("c"), item, "Antwort auf eins", parent_id=first.id)
    with database.session() as session:
        listed = contributions.list_comments(
            session, principal=people.anonymous, contribution_id=item
        )
        read = contributions.get_contribution(
            session, principal=people.anonymous, contribution_id=item
        )
    assert [c.id for c in listed] == [first.id, reply.id, second.id]
    assert listed[1].parent_id == first.id
    assert read.comment_count == 3


def test_a_reply_must_belong_to_the_same_contribution(
    database: Database, process_id: int, people: People
) -> None:
    one = _contribution(database, process_id, anonymous())
    other = _contribution(database, process_id, anonymous("x"))
    comment = _comment(database, anonymous(), one, "Hallo")
    with pytest.raises(ValidationFailed) as refused:
        _comment(database, anonymous(), other, "Falsch", parent_id=comment.id)
    assert refused.value.errors[0].field == "body.parent_id"


def test_the_author_hears_of_comments(database: Database, process_id: int, people: People) -> None:
    item = _contribution(database, process_id, Participant(people.citizen))
    _comment(database, anonymous(), item, "Gute Idee")
    with database.session() as session:
        notes = notifications.list_notifications(session, principal=people.citizen)
    assert [n.kind for n in notes] == ["comment"]
    assert "Bänke" in notes[0].message


def test_comments_only_while_the_phase_allows(
    database: Database, make_process: MakeProcess, people: People
) -> None:
    process_id = make_process(phases=timeline(("contribute",)))
    item = _contribution(database, process_id, anonymous())
    with pytest.raises(Conflict):
        _comment(database, anonymous(), item, "Nein")
    assert count(database, Comment) == 0
    official = _comment(database, Participant(people.staff_a), item, "Amtlich", official=True)
    assert official.official
    with pytest.raises(ValidationFailed):
        _comment(database, anonymous(), item, "Amtlich?", official=True)


def test_support_counts_once_per_person(
    database: Database, process_id: int, people: People
) -> None:
    item = _contribution(database, process_id, anonymous())

    def support(participant: Participant, on: bool = True):  # type: ignore[no-untyped-def]
        return database.write(
            lambda s: contributions.support(
                s, participant=participant, contribution_id=item, supported=on
            )
        )

    assert support(anonymous("a")).support_count == 1
    assert support(anonymous("a")).support_count == 1  # again: still once
    assert support(Participant(people.citizen)).support_count == 2
    assert support(anonymous("a"), on=False).support_count == 1
    assert count(database, Support) == 1
    with database.session() as session:
        mine = contributions.supported_by(
            session, participant=Participant(people.citizen), contribution_ids=[item]
        )
    assert mine == {item}


def test_support_only_while_the_phase_allows(database: Database, make_process: MakeProcess) -> None:
    process_id = make_process(phases=timeline(("contribute",)))
    item = _contribution(database, process_id, anonymous())
    with pytest.raises(Conflict):
        database.write(
            lambda s: contributions.support(s, participant=anonymous(), contribution_id=item)
        )


def test_lists_sort_and_filter(database: Database, process_id: int, people: People) -> None:
    quiet = _contribution(database, process_id, anonymous())
    busy = _contribution(database, process_id, anonymous())
    _comment(database, anonymous(), busy, "eins")
    with database.session() as session:
        discussed = contributions.list_contributions(
            session, principal=people.anonymous, process_id=process_id, sort="discussed"
        )
        filtered = contributions.list_contributions(
            session, principal=people.anonymous, process_id=process_id, category="Verkehr"
        )
    assert [c.id for c in discussed] == [busy, quiet]
    assert filtered == []
