"""Durable domain events: stored with the caller's writes, announced after the commit."""

from __future__ import annotations

import pytest

from allmende.core.errors import NotFound, ValidationFailed
from allmende.core.events import Event
from allmende.delivery.events import EVENT_STORED, events_after, matches, publish
from allmende.delivery.notifications import (
    list_notifications,
    mark_read,
    notify_staff,
    unread_count,
)
from allmende.storage.database import Database
from tests.support.region import Region

pytestmark = pytest.mark.integration


def test_published_events_are_stored_and_announced_after_commit(
    database: Database, region: Region
) -> None:
    heard: list[Event] = []
    database.bus.subscribe("heat.warning.started", heard.append)
    database.bus.subscribe(EVENT_STORED, heard.append)

    def warn(session):  # type: ignore[no-untyped-def]
        event_id = publish(
            session,
            "heat.warning.started",
            {"district": "Altstadt", "level": "strong"},
            municipality_id=region.municipality_a,
            public=True,
        )
        assert heard == []  # not before the commit
        return event_id

    first = database.write(warn)
    assert [e.name for e in heard] == ["heat.warning.started", EVENT_STORED]
    assert heard[0].payload["id"] == first and heard[0].payload["payload"]["level"] == "strong"

    def fails(session):  # type: ignore[no-untyped-def]
        publish(session, "heat.warning.ended", {}, municipality_id=region.municipality_a)
        raise RuntimeError("the caller's transaction fails")

    with pytest.raises(RuntimeError):
        database.write(fails)
    second = database.write(
        lambda s: publish(s, "water.leak.found", {"meter": 3}, municipality_id=None)
    )
    with database.session() as session:
        everything = events_after(session, names=["*"], after_id=0)
        heat = events_after(session, names=["heat.*"], after_id=0)
        later = events_after(session, names=["water.leak.found"], after_id=first)
        of_b = events_after(session, names=["*"], after_id=0, municipality_ids=[99])
    assert [e.id for e in everything] == [first, second]
    assert [(e.name, e.public, e.municipality_id) for e in heat] == [
        ("heat.warning.started", True, region.municipality_a)
    ]
    assert [e.id for e in later] == [second] and of_b == []
    assert [e.name for e in heard[2:]] == [EVENT_STORED]  # the failed write announced nothing


def test_bad_names_and_payloads_are_refused(database: Database) -> None:
    for name, payload, field in (
        ("Heat Warning", {}, "name"),
        ("heat", {}, "name"),
        ("heat.warning", {"when": object()}, "payload"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            database.write(lambda s, n=name, p=payload: publish(s, n, p, municipality_id=None))
        assert refused.value.errors[0].field == field
    with database.session() as session, pytest.raises(ValidationFailed):
        events_after(session, names=["heat.*.x"], after_id=0)


def test_patterns() -> None:
    assert matches("heat.warning.*", "heat.warning.started")
    assert not matches("heat.warning.*", "heat.warnings")
    assert matches("*", "x.y") and matches("x.y", "x.y") and not matches("x.y", "x.y.z")


def test_notifications_per_municipality(database: Database, region: Region) -> None:
    a, b = region.municipality_a, region.municipality_b

    def notify(session):  # type: ignore[no-untyped-def]
        return [
            notify_staff(session, municipality_id=m, kind="water.leak", subject=s, body="")
            for m, s in ((a, "Leck Rathaus"), (b, "Leck Schule"), (None, "Region"))
        ]

    ids = database.write(notify)
    with database.session() as session:
        assert [n.subject for n in list_notifications(session, municipality_ids=[a])] == [
            "Leck Rathaus"
        ]
        assert len(list_notifications(session, municipality_ids=None)) == 3
    assert (
        database.write(
            lambda s: mark_read(s, notification_ids=None, municipality_ids=[a], user_id=None)
        )
        == 1
    )
    with database.session() as session:
        assert unread_count(session, municipality_ids=[a]) == 0
        assert unread_count(session, municipality_ids=None) == 2
    with pytest.raises(ValidationFailed):
        database.write(
            lambda s: notify_staff(
                s, municipality_id=a, kind="x", subject="s", body="", link="https://evil"
            )
        )
    with pytest.raises(NotFound):
        database.write(
            lambda s: mark_read(s, notification_ids=[ids[1]], municipality_ids=[a], user_id=None)
        )
