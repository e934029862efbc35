"""Adoption and watering logs: totals for everyone, never who."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from allmende.core.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from allmende.core.timeutil import utcnow
from allmende.delivery.events import events_after
from allmende.identity.principal import Principal
from allmende.modules.assets.adoption import service as adoption
from allmende.modules.assets.schemas import ActivityCreate
from allmende.storage.database import Database
from tests.modules.assets.conftest import World, snapshot, staff_client
from tests.support.client import TestClient
from tests.support.region import People, Region

pytestmark = pytest.mark.integration


def test_citizens_adopt_trees_and_log_watering(
    database: Database, people: People, world: World
) -> None:
    database.write(lambda s: adoption.adopt(s, principal=people.citizen, object_id=world.tree))
    database.write(
        lambda s: adoption.adopt(s, principal=people.citizen, object_id=world.tree)
    )  # idempotent
    database.write(lambda s: adoption.adopt(s, principal=people.staff_b, object_id=world.tree))
    for litres, days in ((40, 1), (60, 10), (100, 45)):
        database.write(
            lambda s, litres=litres, days=days: adoption.log_activity(
                s,
                principal=people.citizen,
                object_id=world.tree,
                data=ActivityCreate(amount=litres, at=utcnow() - timedelta(days=days)),
            )
        )
    with database.session() as session:
        totals = adoption.totals(session, [world.tree], now=utcnow())[world.tree]
        mine = adoption.my_adoptions(session, principal=people.citizen)
    assert (totals.adopters, totals.total_litres, totals.waterings, totals.litres_last_30_days) == (
        2,
        200.0,
        3,
        100.0,
    )
    assert [o.id for _, o, _ in mine] == [world.tree]
    with database.session() as session:
        events = events_after(session, names=[adoption.WATERING_RECORDED], after_id=0)
    assert [(e.payload["object_id"], e.payload["litres"]) for e in events] == [
        (world.tree, 40.0),
        (world.tree, 60.0),
        (world.tree, 100.0),
    ]
    assert all(set(e.payload) == {"activity_id", "object_id", "litres", "at", "source"}
               for e in events)  # fmt: skip
    assert not any(e.public for e in events)  # no person in it, but internal all the same
    database.write(lambda s: adoption.release(s, principal=people.citizen, object_id=world.tree))
    with pytest.raises(NotFound):
        database.write(
            lambda s: adoption.release(s, principal=people.citizen, object_id=world.tree)
        )


def test_refusals(database: Database, people: People, world: World) -> None:
    before = snapshot(database)
    with pytest.raises(ValidationError):
        ActivityCreate(amount=0)
    with pytest.raises(ValidationError):
        ActivityCreate(amount=-5)
    with pytest.raises(ValidationError):
        ActivityCreate(amount=501)  # a tree pit takes no more at once
    for who, object_id, error in (
        (people.anonymous, world.tree, Unauthorized),
        (
            Principal(kind="api_key", name="k", scopes=frozenset({"admin"}), is_admin=True),
            world.tree,
            Forbidden,
        ),
        (people.citizen, world.bench_b, ValidationFailed),  # benches are not adoptable
        (people.citizen, world.tree_b_internal, NotFound),
    ):
        with pytest.raises(error):
            database.write(
                lambda s, who=who, object_id=object_id: adoption.adopt(
                    s, principal=who, object_id=object_id
                )
            )
    with pytest.raises(ValidationFailed) as caught:
        database.write(
            lambda s: adoption.log_activity(
                s,
                principal=people.citizen,
                object_id=world.tree,
                data=ActivityCreate(amount=10, at=utcnow() + timedelta(days=1)),
            )
        )
    assert caught.value.errors[0].field == "body.at"
    assert snapshot(database) == before


def test_the_public_sees_totals_never_who(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    headers = staff_client(client, region.citizen_email)
    assert (
        client.post(f"/api/assets/objects/{world.tree}/adoption", headers=headers).status_code
        == 201
    )
    logged = client.post(
        f"/api/assets/objects/{world.tree}/activities", json={"amount": 35.5}, headers=headers
    )
    assert logged.status_code == 201
    before = snapshot(database)
    for amount in (0, -1, "viel"):
        refused = client.post(
            f"/api/assets/objects/{world.tree}/activities", json={"amount": amount}, headers=headers
        )
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.amount"
    assert snapshot(database) == before
    mine = client.get("/api/assets/me/adoptions").json()
    assert mine[0]["my_total_litres"] == 35.5
    client.cookies.clear()
    totals = client.get(f"/api/assets/objects/{world.tree}/activity").json()
    assert totals["total_litres"] == 35.5 and totals["adopters"] == 1
    page = client.get(f"/assets/{world.tree}")
    assert (
        "35,5" in page.text  # German: a decimal comma
        and "Citizen" not in page.text
        and "citizen@example.org" not in page.text
    )
    assert (
        client.post(f"/api/assets/objects/{world.tree}/activities", json={"amount": 5}).status_code
        == 401
    )
