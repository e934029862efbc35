"""Citizen reports through the Open311 provider: services, submission, the workflow from
"received" to "closed" with status notes, and no personal data in anything a GET returns."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import update

from allmende.core import open311
from allmende.core.errors import ValidationFailed
from allmende.core.timeutil import utcnow
from allmende.modules.assets.maintenance import service as workorders
from allmende.modules.assets.models import Report
from allmende.modules.assets.register import service as objects
from allmende.modules.assets.reports import service as reports
from allmende.modules.assets.reports.open311 import ReportsOpen311
from allmende.modules.assets.schemas import ReportUpdate, WorkOrderFromReport, WorkOrderUpdate
from allmende.storage.database import Database
from tests.modules.assets.conftest import World, snapshot, staff_client
from tests.support.client import TestClient
from tests.support.region import People, Region

pytestmark = pytest.mark.integration

PROVIDER = ReportsOpen311()
PERSONAL = {"email", "phone", "first_name", "last_name", "device_id", "account_id"}


def submit(database: Database, region: Region, people: People, **fields):  # type: ignore[no-untyped-def]
    request = open311.NewRequest(
        **{"service_code": "strassenschaden", "lat": 49.45, "long": 8.65, **fields}
    )
    return database.write(
        lambda s: PROVIDER.submit(s, region.municipality_a, request, people.anonymous)
    )


def fetch(database: Database, region: Region, **query):  # type: ignore[no-untyped-def]
    with database.session() as session:
        return PROVIDER.requests(session, region.municipality_a, open311.RequestQuery(**query))


def test_services_carry_their_definition(database: Database, region: Region, world: World) -> None:
    with database.session() as session:
        services = {s.code: s for s in PROVIDER.services(session, region.municipality_a)}
    light = services["strassenbeleuchtung"]
    assert light.metadata and light.type == "realtime" and light.group == "Straße und Verkehr"
    fault, object_id = light.attributes
    assert (fault.code, fault.datatype, fault.required, fault.order) == (
        "fault",
        "singlevaluelist",
        True,
        1,
    )
    assert ("dark", "Brennt nicht") in fault.values
    assert (object_id.code, object_id.required, object_id.order) == ("object_id", False, 2)
    [only] = services["strassenschaden"].attributes  # every category may name an object
    assert (only.code, only.required, only.order) == ("object_id", False, 1)
    with database.session() as session:
        assert PROVIDER.services(session, 2**62) == []


def test_a_request_is_stored_with_its_personal_data_kept_inside(
    database: Database, region: Region, people: People, world: World
) -> None:
    done = submit(
        database,
        region,
        people,
        description="Schlagloch\nvor Nr. 5",
        email="ich@example.org",
        phone="+49 6221 1234",
        first_name="Erika",
        last_name="Muster",
        device_id="device-42",
        account_id="acc-7",
        address_string="Hauptstraße 5",
    )
    assert done.service_request_id and done.token
    [found] = fetch(database, region, ids=[done.service_request_id])
    assert found.status == "open" and found.status_notes == "Eingegangen"
    assert found.lat == pytest.approx(49.45) and found.long == pytest.approx(8.65)
    assert found.address == "Hauptstraße 5" and found.description == "Schlagloch\nvor Nr. 5"
    assert found.agency_responsible == "A-Stadt"
    assert found.requested.tzinfo is not None
    assert PERSONAL.isdisjoint(f.name for f in dataclasses.fields(found))
    assert "ich@example.org" not in repr(found) and "Erika" not in repr(found)
    with database.session() as session:
        stored = session.get(Report, int(done.service_request_id))
        assert stored is not None and stored.contact_email == "ich@example.org"
        assert stored.device_id == "device-42" and stored.channel == "open311"
        by_token = PROVIDER.by_token(session, region.municipality_a, done.token)
        assert [r.id for r in by_token] == [done.service_request_id]
        assert PROVIDER.by_token(session, region.municipality_b, done.token) == []


def test_address_is_a_fallback_for_the_location(
    database: Database, region: Region, people: People, world: World
) -> None:
    done = submit(database, region, people, lat=None, long=None, address_string="Am Markt 1")
    [found] = fetch(database, region, ids=[done.service_request_id])
    assert found.lat is None and found.address == "Am Markt 1"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"service_code": "unicorns"}, "service_code"),
        ({"service_code": ""}, "service_code"),
        ({"lat": None, "long": None}, "lat"),
        ({"long": None}, "long"),
        ({"lat": 95.0}, "lat"),
        ({"lat": 49.45, "long": 8.75}, "lat"),  # in B-Dorf, not A-Stadt
        ({"description": "x" * 4001}, "description"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
        ({"email": "not-an-address"}, "email"),
        ({"service_code": "strassenbeleuchtung"}, "attribute[fault]"),
        (
            {"service_code": "strassenbeleuchtung", "attributes": {"fault": "exploded"}},
            "attribute[fault]",
        ),
        ({"attributes": {"colour": "red"}}, "attribute[colour]"),
        (
            {"service_code": "spielplatz", "attributes": {"object_id": "abc"}},
            "attribute[object_id]",
        ),
        (
            {"service_code": "spielplatz", "attributes": {"object_id": str(2**70)}},
            "attribute[object_id]",
        ),
    ],
)
def test_bad_requests_name_the_parameter_and_change_nothing(
    database: Database, region: Region, people: People, world: World, fields: dict, field: str
) -> None:
    before = snapshot(database)
    with pytest.raises(ValidationFailed) as caught:
        submit(database, region, people, **fields)
    assert caught.value.errors[0].field == field
    assert snapshot(database) == before


def test_objects_of_other_municipalities_or_internal_ones_cannot_be_named(
    database: Database, region: Region, people: People, world: World
) -> None:
    submit(
        database,
        region,
        people,
        service_code="sonstiges",
        attributes={"object_id": str(world.tree)},
    )
    for object_id in (world.bench_b, world.bench_internal):
        with pytest.raises(ValidationFailed, match="no object"):
            submit(
                database,
                region,
                people,
                service_code="sonstiges",
                attributes={"object_id": str(object_id)},
            )


def test_from_report_to_work_order_to_closed_request(
    database: Database, region: Region, people: People, world: World
) -> None:
    done = submit(
        database,
        region,
        people,
        service_code="spielplatz",
        lat=None,
        long=None,
        attributes={"object_id": str(world.device)},
        description="Schaukelkette gerissen",
    )
    report_id = int(done.service_request_id)
    [found] = fetch(database, region, ids=[done.service_request_id])
    assert found.lat == pytest.approx(49.4405)  # the object's location
    with database.session() as session:
        history = objects.history(session, principal=people.staff_a, object_id=world.device)
    assert history[0].kind == "report" and history[0].ref_id == report_id

    order = database.write(
        lambda s: workorders.from_report(
            s,
            principal=people.staff_a,
            report_id=report_id,
            data=WorkOrderFromReport(
                assignee="Bauhof", due_on=(utcnow() + timedelta(days=3)).date()
            ),
        )
    )
    [found] = fetch(database, region, ids=[done.service_request_id])
    assert found.status == "open" and found.status_notes == "In Bearbeitung"
    assert found.expected is not None
    database.write(
        lambda s: workorders.update_work_order(
            s,
            principal=people.staff_a,
            order_id=order.id,
            data=WorkOrderUpdate(status="done", completion_note="Kette ersetzt."),
        )
    )
    [found] = fetch(database, region, ids=[done.service_request_id])
    assert found.status == "closed"
    assert found.status_notes == "Erledigt: Kette ersetzt."
    assert found.updated is not None and found.expected is None
    assert fetch(database, region, statuses=["closed"])[0].id == done.service_request_id
    assert fetch(database, region, statuses=["open"]) == []


def test_finer_states_become_status_notes(
    database: Database, region: Region, people: People, world: World
) -> None:
    done = submit(database, region, people)
    report_id = int(done.service_request_id)
    for state, note, public, expected in (
        ("confirmed", "Wir schauen es uns an.", True, "Bestätigt: Wir schauen es uns an."),
        ("in_progress", "intern: Kolonne 3", False, "In Bearbeitung"),
        ("duplicate", "Siehe Meldung 1.", True, "Bereits gemeldet: Siehe Meldung 1."),
    ):
        database.write(
            lambda s, state=state, note=note, public=public: reports.update_report(
                s,
                principal=people.staff_a,
                report_id=report_id,
                data=ReportUpdate(state=state, note=note, note_public=public),
            )
        )
        [found] = fetch(database, region, ids=[done.service_request_id])
        assert found.status_notes == expected
    assert found.status == "closed"


def test_request_filters(database: Database, region: Region, people: People, world: World) -> None:
    first = submit(database, region, people)
    second = submit(database, region, people, service_code="muell")
    old = submit(database, region, people, service_code="muell")
    database.write(
        lambda s: s.execute(
            update(Report)
            .where(Report.id == int(old.service_request_id))
            .values(created_at=utcnow() - timedelta(days=120))
        )
    )
    ids = [r.id for r in fetch(database, region)]
    assert ids == [second.service_request_id, first.service_request_id]  # newest first, 90 days
    assert [r.id for r in fetch(database, region, service_codes=["muell"])] == [
        second.service_request_id
    ]
    assert [r.id for r in fetch(database, region, ids=[old.service_request_id, "x", "-1"])] == [
        old.service_request_id
    ]
    assert len(fetch(database, region, start=utcnow() - timedelta(days=200), end=utcnow())) == 3
    assert len(fetch(database, region, limit=1)) == 1
    with pytest.raises(ValidationFailed):
        fetch(database, region, statuses=["pending"])
    # a hidden report is gone from every public answer
    database.write(
        lambda s: reports.update_report(
            s,
            principal=people.staff_a,
            report_id=int(first.service_request_id),
            data=ReportUpdate(public=False),
        )
    )
    assert [r.id for r in fetch(database, region)] == [second.service_request_id]


def test_reports_api_shows_contact_data_only_to_staff_of_the_municipality(
    client: TestClient, database: Database, region: Region, people: People, world: World
) -> None:
    done = submit(database, region, people, email="ich@example.org")
    url = f"/api/assets/reports/{done.service_request_id}"
    public = client.get(url).json()
    assert public["contact"] is None and "ich@example.org" not in client.get(url).text
    other = staff_client(client, region.staff_b_email)
    assert client.get(url).json()["contact"] is None
    refused = client.patch(url, json={"state": "fixed"}, headers=other)
    assert refused.status_code == 403
    headers = staff_client(client, region.staff_a_email)
    assert client.get(url).json()["contact"]["email"] == "ich@example.org"
    changed = client.patch(url, json={"state": "confirmed", "note": "Danke!"}, headers=headers)
    assert changed.status_code == 200 and changed.json()["state"] == "confirmed"
    order = client.post(f"{url}/work-order", json={"assignee": "Bauhof"}, headers=headers)
    assert order.status_code == 201 and order.json()["report_ids"] == [int(done.service_request_id)]
    again = client.post(f"{url}/work-order", json={}, headers=headers)
    assert again.status_code == 409
    done_order = client.patch(
        f"/api/assets/work-orders/{order.json()['id']}", json={"status": "done"}, headers=headers
    )
    assert done_order.status_code == 200
    assert client.get(url).json()["status"] == "closed"
    hidden = client.patch(url, json={"public": False}, headers=headers)
    assert hidden.status_code == 200
    staff_client(client, region.staff_b_email)
    assert client.get(url).status_code == 404  # hidden reports of A do not exist for B
    listed = [r["id"] for r in client.get("/api/assets/reports").json()]
    assert int(done.service_request_id) not in listed


def test_categories_api(client: TestClient, region: Region, world: World) -> None:
    headers = staff_client(client, region.staff_a_email)
    created = client.post(
        "/api/assets/services",
        json={
            "municipality": "a-stadt",
            "code": "hundekot",
            "name": "Hundekot",
            "attributes": [
                {
                    "code": "amount",
                    "description": "Wie viel?",
                    "datatype": "singlevaluelist",
                    "values": [{"key": "some", "name": "etwas"}],
                }
            ],
            "object_types": ["playground"],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert [a["code"] for a in created.json()["attributes"]] == ["amount", "object_id"]
    duplicate = client.post(
        "/api/assets/services",
        json={"municipality": "a-stadt", "code": "hundekot", "name": "x"},
        headers=headers,
    )
    assert duplicate.status_code == 409
    reserved = client.post(
        "/api/assets/services",
        json={
            "municipality": "a-stadt",
            "code": "neu",
            "name": "x",
            "attributes": [{"code": "object_id", "description": "x", "datatype": "string"}],
        },
        headers=headers,
    )
    assert (
        reserved.status_code == 422
        and reserved.json()["errors"][0]["field"] == "body.attributes[0].code"
    )
    other = client.post(
        "/api/assets/services",
        json={"municipality": "b-dorf", "code": "neu", "name": "x"},
        headers=headers,
    )
    assert other.status_code == 403
    with_defaults = client.post(
        "/api/assets/default-services", params={"municipality": "a-stadt"}, headers=headers
    )
    assert with_defaults.status_code == 200 and with_defaults.json() == []  # all there already
    for blank in ("", " "):
        nameless = client.post(
            "/api/assets/default-services", params={"municipality": blank}, headers=headers
        )
        assert nameless.status_code == 422
        assert nameless.json()["errors"] == [{"field": "municipality", "reason": "is required"}]
    with TestClient(client.app) as anonymous:
        listed = anonymous.get("/api/assets/services", params={"municipality": "a-stadt"}).json()
    assert "hundekot" in {s["code"] for s in listed}


def test_pages_and_the_history_of_notes(
    database: Database, region: Region, people: People, world: World
) -> None:
    made = [submit(database, region, people, description=f"Meldung {i}") for i in range(5)]
    newest_first = [m.service_request_id for m in reversed(made)]
    assert [r.id for r in fetch(database, region, limit=2)] == newest_first[:2]
    assert [r.id for r in fetch(database, region, limit=2, offset=2)] == newest_first[2:4]
    assert fetch(database, region, offset=5) == []
    report_id = int(made[0].service_request_id)
    for state, note, public in (
        ("confirmed", "Angesehen.", True),
        ("confirmed", "intern", False),
        ("confirmed", "Wir melden uns.", True),
        ("fixed", "Repariert.", True),
    ):
        database.write(
            lambda s, state=state, note=note, public=public: reports.update_report(
                s,
                principal=people.staff_a,
                report_id=report_id,
                data=ReportUpdate(state=state, note=note, note_public=public),
            )
        )
    [plain] = fetch(database, region, ids=[str(report_id)])
    assert plain.notes == ()
    [found] = fetch(database, region, ids=[str(report_id)], with_notes=True)
    assert [(n.type, n.description) for n in found.notes] == [
        ("created", "Eingegangen"),
        ("status", "Bestätigt: Angesehen."),
        ("comment", "Bestätigt: Wir melden uns."),
        ("status", "Erledigt: Repariert."),
    ]
    assert [n.at for n in found.notes] == sorted(n.at for n in found.notes)


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "field"),
    [
        ("POST", "/api/assets/default-services", {"municipality": ""}, None, "municipality"),
        ("PATCH", "/api/assets/services/{service}", None, {"active": 0}, "active"),
        ("GET", "/api/assets/bookings", {"start": "0.5"}, None, "start"),
        ("GET", "/api/assets/bookings", {"end": "2030-01-01T10:00:00"}, None, "end"),
    ],
)
def test_loose_input_is_refused_naming_the_field(
    client: TestClient,
    region: Region,
    world: World,
    method: str,
    path: str,
    params: dict[str, str] | None,
    body: dict[str, object] | None,
    field: str,
) -> None:
    """An empty key, 0 for false, a number or a time without a zone for a time: 422."""
    headers = staff_client(client, region.staff_a_email)
    service = client.get("/api/assets/services", params={"municipality": "a-stadt"}).json()[0]
    response = client.request(
        method, path.format(service=service["id"]), params=params, json=body, headers=headers
    )
    assert response.status_code == 422, response.text
    assert [e["field"].rsplit(".", 1)[-1] for e in response.json()["errors"]] == [field]
