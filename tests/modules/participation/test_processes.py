"""Processes and their timeline; who sees and who changes them (tenancy)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from allmende.core.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from allmende.core.timeutil import utcnow
from allmende.modules.participation import processes
from allmende.modules.participation.schemas import (
    EventIn,
    FaqIn,
    PhaseIn,
    ProcessCreate,
    ProcessUpdate,
)
from allmende.storage.database import Database
from tests.modules.participation.conftest import MakeProcess, timeline
from tests.support.region import People

pytestmark = pytest.mark.integration


def test_a_process_has_a_timeline_and_a_state(
    database: Database, process_id: int, people: People
) -> None:
    with database.session() as session:
        detail = processes.process_detail(
            session, principal=people.anonymous, process_id=process_id
        )
    assert detail.state == "running"
    assert [p.title for p in detail.phases] == ["Information", "Ideas", "Evaluation"]
    assert [p.current for p in detail.phases] == [False, True, False]
    assert set(detail.allowed_actions) == {"contribute", "comment", "support", "survey", "rate"}
    assert detail.area is not None and detail.area["type"] == "Polygon"


def test_phases_must_not_overlap_or_end_before_they_start(
    database: Database, people: People
) -> None:
    now = utcnow()
    overlapping = [
        PhaseIn(title="A", starts_at=now, ends_at=now + timedelta(days=5)),
        PhaseIn(title="B", starts_at=now + timedelta(days=4), ends_at=now + timedelta(days=9)),
    ]
    backwards = [PhaseIn(title="A", starts_at=now, ends_at=now - timedelta(days=1))]
    for phases, field in ((overlapping, "body.phases"), (backwards, "body.phases.0.ends_at")):
        data = ProcessCreate(municipality="a-stadt", title="x", phases=phases)
        with pytest.raises(ValidationFailed) as refused:
            database.write(
                lambda s, data=data: processes.create_process(s, principal=people.admin, data=data)
            )
        assert refused.value.errors[0].field == field


def test_the_area_must_be_a_polygon(database: Database, people: People) -> None:
    data = ProcessCreate(
        municipality="a-stadt", title="x", area={"type": "Point", "coordinates": [8.6, 49.4]}
    )
    with pytest.raises(ValidationFailed) as refused:
        database.write(lambda s: processes.create_process(s, principal=people.staff_a, data=data))
    assert refused.value.errors[0].field == "body.area"


def test_staff_create_only_in_their_municipality(database: Database, people: People) -> None:
    data = ProcessCreate(municipality="a-stadt", title="x")
    assert database.write(
        lambda s: processes.create_process(s, principal=people.staff_a, data=data)
    )
    for principal, error in (
        (people.staff_b, Forbidden),
        (people.citizen, Forbidden),
        (people.anonymous, Unauthorized),
    ):
        with pytest.raises(error):
            database.write(
                lambda s, principal=principal: processes.create_process(
                    s, principal=principal, data=data
                )
            )


def test_unpublished_processes_are_seen_by_their_staff_only(
    database: Database, make_process: MakeProcess, people: People
) -> None:
    draft = make_process(public=False)
    with database.session() as session:
        for principal in (people.staff_a, people.admin):
            assert processes.process_detail(session, principal=principal, process_id=draft)
        for principal in (people.staff_b, people.citizen, people.anonymous):
            with pytest.raises(NotFound):
                processes.process_detail(session, principal=principal, process_id=draft)
        assert [p.id for p in processes.list_processes(session, principal=people.staff_b)] == []
        assert [p.id for p in processes.list_processes(session, principal=people.staff_a)] == [
            draft
        ]


def test_staff_of_another_municipality_cannot_change_a_process(
    database: Database, process_id: int, people: People
) -> None:
    update = ProcessUpdate(title="Gehackt")
    with pytest.raises(Forbidden):
        database.write(
            lambda s: processes.update_process(
                s, principal=people.staff_b, process_id=process_id, data=update
            )
        )
    with pytest.raises(Forbidden):
        database.write(
            lambda s: processes.delete_process(s, principal=people.staff_b, process_id=process_id)
        )
    changed = database.write(
        lambda s: processes.update_process(
            s, principal=people.staff_a, process_id=process_id, data=update
        )
    )
    assert changed.title == "Gehackt"


def test_update_replaces_phases_and_can_end_a_process(
    database: Database, process_id: int, people: People
) -> None:
    update = ProcessUpdate(phases=timeline(offset_days=-60))
    changed = database.write(
        lambda s: processes.update_process(
            s, principal=people.staff_a, process_id=process_id, data=update
        )
    )
    assert changed.state == "ended"
    assert changed.allowed_actions == []
    with pytest.raises(ValidationFailed):
        database.write(
            lambda s: processes.update_process(
                s, principal=people.staff_a, process_id=process_id, data=ProcessUpdate(title=None)
            )
        )


def test_events_and_faq(database: Database, process_id: int, people: People) -> None:
    start = utcnow() + timedelta(days=3)
    event = database.write(
        lambda s: processes.create_event(
            s,
            principal=people.staff_a,
            process_id=process_id,
            data=EventIn(
                title="Platzbegehung",
                starts_at=start,
                place="Am Brunnen",
                geometry={"type": "Point", "coordinates": [8.64, 49.44]},
            ),
        )
    )
    faq = database.write(
        lambda s: processes.create_faq(
            s,
            principal=people.staff_a,
            process_id=process_id,
            data=FaqIn(question="Wann?", answer="Bald."),
        )
    )
    with database.session() as session:
        detail = processes.process_detail(
            session, principal=people.anonymous, process_id=process_id
        )
    assert [e.id for e in detail.events] == [event.id]
    assert [f.question for f in detail.faq] == ["Wann?"]
    with pytest.raises(Forbidden):
        database.write(
            lambda s: processes.delete_event(s, principal=people.staff_b, event_id=event.id)
        )
    database.write(lambda s: processes.delete_faq(s, principal=people.staff_a, faq_id=faq.id))
    database.write(lambda s: processes.delete_event(s, principal=people.staff_a, event_id=event.id))
    with database.session() as session:
        detail = processes.process_detail(
            session, principal=people.anonymous, process_id=process_id
        )
    assert detail.events == [] and detail.faq == []
