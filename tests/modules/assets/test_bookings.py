"""Bookings of public spaces: a conflict is an overlap in time AND in area (sharing interior),
the same on both backends; the approval workflow; the public calendar hides the organiser."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from shapely.geometry import box, mapping

from allmende.core.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from allmende.core.timeutil import utcnow
from allmende.modules.assets.bookings import service as bookings
from allmende.modules.assets.schemas import BookingCreate, BookingDecision
from allmende.storage.database import Database
from tests.modules.assets.conftest import SQUARE, World, snapshot, staff_client
from tests.support.client import TestClient
from tests.support.region import People, Region

pytestmark = pytest.mark.integration

minx, miny, maxx, maxy = SQUARE.bounds
WEST = box(minx, miny, (minx + maxx) / 2, maxy)
EAST = box((minx + maxx) / 2, miny, maxx, maxy)  # touches WEST along an edge
MIDDLE = box(minx + 0.0005, miny, maxx - 0.0005, maxy)


def at(days: int, hour: int) -> datetime:
    base = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
    return base.replace(hour=hour)


def request(
    database: Database, who, world: World, title: str, area, start: datetime, end: datetime
):  # type: ignore[no-untyped-def]
    data = BookingCreate(
        space_id=world.square,
        title=title,
        organiser="Verein",
        contact_email="verein@example.org",
        starts_at=start,
        ends_at=end,
        area=dict(mapping(area)) if area is not None else None,
    )
    return database.write(lambda s: bookings.create_booking(s, principal=who, data=data))


def decide(database: Database, who, booking_id: int, decision: str):  # type: ignore[no-untyped-def]
    return database.write(
        lambda s: bookings.decide(
            s, principal=who, booking_id=booking_id, data=BookingDecision(decision=decision)
        )
    )


def test_conflicts_need_overlap_in_time_and_area(
    database: Database, people: People, world: World
) -> None:
    market = request(database, people.citizen, world, "Markt", WEST, at(3, 7), at(3, 13))
    decide(database, people.staff_a, market.id, "approve")
    before = snapshot(database)
    for area, start, end in (
        (WEST, at(3, 12), at(3, 15)),
        (MIDDLE, at(3, 8), at(3, 9)),
        (None, at(3, 6), at(3, 20)),
    ):
        with pytest.raises(Conflict) as caught:
            request(database, people.citizen, world, "Zu nah", area, start, end)
        assert caught.value.errors[0].field == "body.area"
    assert snapshot(database) == before
    # touching edges, or the same area at another time, are fine
    neighbour = request(database, people.citizen, world, "Nachbar", EAST, at(3, 7), at(3, 13))
    later = request(database, people.citizen, world, "Später", WEST, at(3, 13), at(3, 18))
    assert neighbour.status == later.status == "requested"
    decide(database, people.staff_a, neighbour.id, "approve")
    decide(database, people.staff_a, later.id, "approve")


def test_approval_checks_again_and_pending_conflicts_are_shown(
    database: Database, people: People, world: World
) -> None:
    first = request(database, people.citizen, world, "Zirkus", None, at(10, 9), at(12, 20))
    second = request(database, people.citizen, world, "Oldtimer", EAST, at(11, 10), at(11, 17))
    with database.session() as session:
        reads = bookings.booking_reads(session, people.staff_a, [first, second])
        public = bookings.booking_reads(session, people.anonymous, [first, second])
    assert reads[0].conflicts == [second.id] and reads[1].conflicts == [first.id]
    assert (
        public[0].conflicts is None
        and public[0].organiser is None
        and public[0].contact_email is None
    )
    decide(database, people.staff_a, first.id, "approve")
    with pytest.raises(Conflict):
        decide(database, people.staff_a, second.id, "approve")
    decide(database, people.staff_a, second.id, "reject")
    with pytest.raises(ValidationFailed):
        decide(database, people.staff_a, second.id, "approve")


def test_only_staff_decide_and_applicants_may_cancel(
    database: Database, people: People, world: World
) -> None:
    mine = request(database, people.citizen, world, "Flohmarkt", WEST, at(5, 9), at(5, 12))
    with pytest.raises(Forbidden):
        decide(database, people.citizen, mine.id, "approve")
    with pytest.raises(NotFound):  # B's staff do not see A's requests at all
        decide(database, people.staff_b, mine.id, "reject")
    assert decide(database, people.citizen, mine.id, "cancel").status == "cancelled"
    with pytest.raises(Unauthorized):
        request(database, people.anonymous, world, "x", None, at(5, 9), at(5, 10))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": "before"}, "body.ends_at"),
        ({"area": box(8.7, 49.4, 8.71, 49.41)}, "body.area"),
        ({"area": "line"}, "body.area.type"),
        ({"space": "tree"}, "body.space_id"),
        ({"starts_at": "past"}, "body.starts_at"),
    ],
)
def test_bad_requests_are_refused(
    database: Database, people: People, world: World, change: dict, field: str
) -> None:
    area = change.get("area")
    data = {
        "space_id": world.tree if change.get("space") else world.square,
        "title": "x",
        "starts_at": at(4, 9),
        "ends_at": at(4, 8) if change.get("ends_at") else at(4, 10),
        "area": {"type": "LineString", "coordinates": [[minx, miny], [maxx, maxy]]}
        if area == "line"
        else (dict(mapping(area)) if area is not None else None),
    }
    if change.get("starts_at"):
        data["starts_at"], data["ends_at"] = at(-3, 9), at(-3, 10)
    before = snapshot(database)
    with pytest.raises(ValidationFailed) as caught:
        database.write(
            lambda s: bookings.create_booking(
                s, principal=people.citizen, data=BookingCreate(**data)
            )
        )
    assert caught.value.errors[0].field == field
    assert snapshot(database) == before


def test_bookings_api_and_public_calendar(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    headers = staff_client(client, region.citizen_email)
    body = {
        "space_id": world.square,
        "title": "Wochenmarkt",
        "organiser": "Marktverein",
        "contact_email": "markt@example.org",
        "starts_at": at(2, 7).isoformat(),
        "ends_at": at(2, 13).isoformat(),
    }
    created = client.post("/api/assets/bookings", json=body, headers=headers)
    assert created.status_code == 201, created.text
    booking_id = created.json()["id"]
    staff = staff_client(client, region.staff_a_email)
    approved = client.post(
        f"/api/assets/bookings/{booking_id}/decision", json={"decision": "approve"}, headers=staff
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    headers = staff_client(client, region.citizen_email)
    before = snapshot(database)
    clash = client.post(
        "/api/assets/bookings", json={**body, "title": "Konkurrenz"}, headers=headers
    )
    assert clash.status_code == 409 and clash.json()["errors"][0]["field"] == "body.area"
    naive = client.post(
        "/api/assets/bookings", json={**body, "starts_at": "2030-01-01T10:00:00"}, headers=headers
    )
    assert naive.status_code == 422 and naive.json()["errors"][0]["field"] == "body.starts_at"
    assert snapshot(database) == before
    client.cookies.clear()
    calendar = client.get("/api/assets/bookings").json()
    assert [b["title"] for b in calendar] == ["Wochenmarkt"]
    assert calendar[0]["organiser"] is None and calendar[0]["contact_email"] is None
    page = client.get("/spaces", params={"month": at(2, 7).strftime("%Y-%m")})
    assert (
        page.status_code == 200
        and "Wochenmarkt" in page.text
        and "markt@example.org" not in page.text
    )
