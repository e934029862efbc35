"""Reading over Open311: discovery, services, definitions, requests and tokens, in JSON and
XML, checked against the specification's fields and types."""

from __future__ import annotations

from datetime import timedelta

import pytest

from allmende.core.timeutil import utcnow
from allmende.storage.database import Database
from tests.standards.open311 import spec
from tests.standards.open311.support import V2, A, B, add_report, tree_damage, valid, xml, xml_list
from tests.support import reports_module
from tests.support.client import TestClient
from tests.support.region import Region

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("path", ["/open311/discovery", f"{V2}/discovery"])
def test_discovery_in_both_formats(client: TestClient, path: str) -> None:
    response = client.get(f"{path}.json")
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    document = valid(response.json(), spec.DISCOVERY)
    endpoint = document["endpoints"][0]
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] == "test"  # a dev installation is no production endpoint
    root = xml(client.get(f"{path}.xml"))
    assert root.tag == "discovery"
    assert [e.tag for e in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint_xml = root.find("endpoints/endpoint")
    assert endpoint_xml is not None
    assert [f.text for f in endpoint_xml.findall("formats/format")] == [
        "text/xml",
        "application/json",
    ]
    assert endpoint_xml.findtext("url") == "http://testserver/open311/v2"


def test_services_of_a_jurisdiction(client: TestClient, region: Region) -> None:
    services = valid(client.get(f"{V2}/services.json?jurisdiction_id={A}").json(), spec.SERVICES)
    assert [s["service_code"] for s in services] == ["pothole", "tree-damage", "bulky-waste"]
    tree = services[1]
    assert tree["metadata"] is True and tree["type"] == "realtime"
    assert tree["keywords"] == "Baum" and tree["group"] == "Grün"
    assert services[2]["type"] == "batch" and services[0]["metadata"] is False
    in_b = client.get(f"{V2}/services.json?jurisdiction_id={B}").json()
    assert [s["service_code"] for s in in_b] == ["pothole"]
    items = xml_list(client.get(f"{V2}/services.xml?jurisdiction_id={A}"), "services")
    assert [i["service_code"] for i in items] == ["pothole", "tree-damage", "bulky-waste"]
    assert items[1]["metadata"] == "true" and items[0]["metadata"] == "false"
    assert list(items[0]) == list(spec.SERVICE_FIELDS)


def test_service_definition(client: TestClient, region: Region) -> None:
    document = client.get(f"{V2}/services/tree-damage.json?jurisdiction_id={A}").json()
    valid(document, spec.DEFINITION)
    attributes = document["attributes"]
    assert [a["code"] for a in attributes] == ["object_id", "severity", "parts", "girth", "note"]
    assert [a["order"] for a in attributes] == [1, 2, 3, 4, 5]
    severity = attributes[1]
    assert severity["required"] is True and severity["datatype"] == "singlevaluelist"
    assert severity["values"] == [
        {"key": "low", "name": "Kann warten"},
        {"key": "high", "name": "Gefahr"},
    ]
    assert attributes[4]["variable"] is False
    root = xml(client.get(f"{V2}/services/tree-damage.xml?jurisdiction_id={A}"))
    assert root.tag == "service_definition"
    assert [e.tag for e in root] == ["service_code", "attributes"]
    first = root.find("attributes/attribute")
    assert first is not None
    assert [e.tag for e in first] == list(spec.ATTRIBUTE_FIELDS)
    keys = [v.findtext("key") for v in root.findall("attributes/attribute[2]/values/value")]
    assert keys == ["low", "high"]


def test_unknown_service_is_404(client: TestClient, region: Region) -> None:
    for fmt in ("json", "xml"):
        response = client.get(f"{V2}/services/nothing.{fmt}?jurisdiction_id={A}")
        assert response.status_code == 404
    # tree damage is not offered in B-Dorf
    response = client.get(f"{V2}/services/tree-damage.json?jurisdiction_id={B}")
    assert response.status_code == 404
    assert response.json()[0]["description"].startswith("service_code: ")


def test_empty_lists_are_200(client: TestClient, region: Region) -> None:
    response = client.get(f"{V2}/requests.json?jurisdiction_id={A}")
    assert response.status_code == 200 and response.json() == []
    response = client.get(f"{V2}/requests.xml?jurisdiction_id={A}")
    assert response.status_code == 200
    assert xml_list(response, "service_requests") == []


def test_requests_have_every_field_with_its_type(
    client: TestClient, region: Region, database: Database
) -> None:
    tree_damage(client, region, description="Ast abgebrochen", address_string="Markt 1")
    document = valid(client.get(f"{V2}/requests.json?jurisdiction_id={A}").json(), spec.REQUESTS)
    (item,) = document
    assert list(item) == list(spec.REQUEST_FIELDS)
    assert item["status"] == "open" and item["service_name"] == "Baumschaden"
    assert item["lat"] == 49.45 and item["long"] == 8.62
    assert item["requested_datetime"].endswith("Z")
    assert item["address"] == "Markt 1" and item["description"] == "Ast abgebrochen"
    (xml_item,) = xml_list(client.get(f"{V2}/requests.xml?jurisdiction_id={A}"), "service_requests")
    assert list(xml_item) == list(spec.REQUEST_FIELDS)
    assert xml_item["service_request_id"] == item["service_request_id"]
    assert xml_item["lat"] == "49.45" and xml_item["zipcode"] is None


def test_one_request_as_an_array_of_one(client: TestClient, region: Region) -> None:
    new_id = tree_damage(client, region).json()[0]["service_request_id"]
    response = client.get(f"{V2}/requests/{new_id}.json?jurisdiction_id={A}")
    (item,) = valid(response.json(), spec.REQUESTS)
    assert item["service_request_id"] == new_id
    (xml_item,) = xml_list(
        client.get(f"{V2}/requests/{new_id}.xml?jurisdiction_id={A}"), "service_requests"
    )
    assert xml_item["service_request_id"] == new_id
    # Ids are per jurisdiction: B-Dorf has no such request, and unknown ids are 404.
    assert client.get(f"{V2}/requests/{new_id}.json?jurisdiction_id={B}").status_code == 404
    assert client.get(f"{V2}/requests/999999.json?jurisdiction_id={A}").status_code == 404
    assert client.get(f"{V2}/requests/kein-id.xml?jurisdiction_id={A}").status_code == 404


def test_default_window_is_90_days(client: TestClient, region: Region, database: Database) -> None:
    now = utcnow()
    recent = add_report(database, region.municipality_a, requested=now - timedelta(days=10))
    old = add_report(database, region.municipality_a, requested=now - timedelta(days=120))
    ids = [
        r["service_request_id"]
        for r in client.get(f"{V2}/requests.json?jurisdiction_id={A}").json()
    ]
    assert ids == [str(recent)]
    start = (now - timedelta(days=130)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now - timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    window = client.get(
        f"{V2}/requests.json", params={"jurisdiction_id": A, "start_date": start, "end_date": end}
    ).json()
    assert [r["service_request_id"] for r in window] == [str(old)]
    # Only a start: 90 days from it.
    only_start = client.get(
        f"{V2}/requests.json", params={"jurisdiction_id": A, "start_date": start}
    ).json()
    assert [r["service_request_id"] for r in only_start] == [str(old)]
    # service_request_id overrides the window and every other filter
    both = client.get(
        f"{V2}/requests.json",
        params={
            "jurisdiction_id": A,
            "service_request_id": f"{old},{recent}",
            "status": "closed",
            "service_code": "tree-damage",
        },
    ).json()
    assert sorted(r["service_request_id"] for r in both) == sorted([str(old), str(recent)])


def test_filters_on_status_and_service(
    client: TestClient, region: Region, database: Database
) -> None:
    pothole = add_report(database, region.municipality_a)
    closed = add_report(
        database,
        region.municipality_a,
        service_code="tree-damage",
        status="closed",
        status_notes="Ast entfernt",
    )
    internal = add_report(database, region.municipality_a, public=False)

    def ids(**params: str) -> list[str]:
        response = client.get(f"{V2}/requests.json", params={"jurisdiction_id": A, **params})
        assert response.status_code == 200, response.text
        return sorted(r["service_request_id"] for r in response.json())

    assert ids() == sorted([str(pothole), str(closed)])  # the internal one is never listed
    assert ids(status="closed") == [str(closed)]
    assert ids(status="open,closed") == sorted([str(pothole), str(closed)])
    assert ids(service_code="pothole") == [str(pothole)]
    assert ids(service_code="pothole,tree-damage", status="open") == [str(pothole)]
    assert ids(status="") == ids()  # empty is absent
    assert ids(service_request_id=str(internal)) == []
    closed_item = client.get(f"{V2}/requests/{closed}.json?jurisdiction_id={A}").json()[0]
    assert closed_item["status"] == "closed" and closed_item["status_notes"] == "Ast entfernt"
    assert closed_item["updated_datetime"] > closed_item["requested_datetime"]


def test_paging_extension(client: TestClient, region: Region, database: Database) -> None:
    now = utcnow()
    made = [
        add_report(database, region.municipality_a, requested=now - timedelta(minutes=n))
        for n in range(5)
    ]  # newest first

    def page(number: int, size: int) -> list[str]:
        response = client.get(
            f"{V2}/requests.json",
            params={"jurisdiction_id": A, "page": number, "page_size": size},
        )
        return [r["service_request_id"] for r in response.json()]

    assert page(1, 2) == [str(made[0]), str(made[1])]
    assert page(2, 2) == [str(made[2]), str(made[3])]
    assert page(3, 2) == [str(made[4])]
    assert page(4, 2) == []


def test_notes_with_extensions(client: TestClient, region: Region, database: Database) -> None:
    new_id = tree_damage(client, region).json()[0]["service_request_id"]
    database.write(lambda s: reports_module.close(s, int(new_id), "Baum gesichert"))
    plain = client.get(f"{V2}/requests/{new_id}.json?jurisdiction_id={A}").json()[0]
    assert "notes" not in plain
    rich = client.get(f"{V2}/requests/{new_id}.json?jurisdiction_id={A}&extensions=true").json()
    valid(rich, spec.REQUESTS)
    assert [n["type"] for n in rich[0]["notes"]] == ["created", "closed"]
    assert rich[0]["notes"][1]["description"] == "Baum gesichert"
    listed = client.get(f"{V2}/requests.xml?jurisdiction_id={A}&extensions=true")
    notes = xml(listed).findall("request/notes/note")
    assert [n.findtext("type") for n in notes] == ["created", "closed"]
    assert [e.tag for e in notes[0]] == ["datetime", "description", "type"]


def test_token_of_a_batch_service(client: TestClient, region: Region) -> None:
    from tests.standards.open311.support import post

    posted = post(client, region.key_open311, service_code="bulky-waste").json()
    valid(posted, spec.POSTED)
    token = posted[0]["token"]
    assert "service_request_id" not in posted[0]
    found = valid(client.get(f"{V2}/tokens/{token}.json?jurisdiction_id={A}").json(), spec.TOKENS)
    assert found[0]["token"] == token
    (xml_item,) = xml_list(
        client.get(f"{V2}/tokens/{token}.xml?jurisdiction_id={A}"), "service_requests"
    )
    assert xml_item == {"service_request_id": found[0]["service_request_id"], "token": token}
    assert client.get(f"{V2}/tokens/{token}.json?jurisdiction_id={B}").status_code == 404
    assert client.get(f"{V2}/tokens/unknown.xml?jurisdiction_id={A}").status_code == 404
