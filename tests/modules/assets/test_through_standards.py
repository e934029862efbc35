"""The module behind the standards adapters: Open311 GeoReport v2 at /open311/v2 and OGC API -
Features at /ogcapi answer from the register and the reports."""

from __future__ import annotations

import pytest

from allmende.storage.database import Database
from tests.modules.assets.conftest import World, staff_client
from tests.support.client import TestClient
from tests.support.region import Region

pytestmark = pytest.mark.integration
V2 = "/open311/v2"
A = "a-stadt.example"


def test_a_report_over_open311_ends_closed_with_status_notes(
    client: TestClient, database: Database, region: Region, world: World
) -> None:
    services = client.get(f"{V2}/services.json", params={"jurisdiction_id": A}).json()
    assert {"strassenbeleuchtung", "spielplatz", "sonstiges"} <= {
        s["service_code"] for s in services
    }
    definition = client.get(
        f"{V2}/services/strassenbeleuchtung.json", params={"jurisdiction_id": A}
    ).json()
    assert [a["code"] for a in definition["attributes"]] == ["fault", "object_id"]
    posted = client.post(
        f"{V2}/requests.json",
        data={
            "api_key": region.key_open311,
            "jurisdiction_id": A,
            "service_code": "spielplatz",
            "attribute[object_id]": str(world.device),
            "lat": "49.4405",
            "long": "8.6405",
            "description": "Kette gerissen",
            "email": "melder@example.org",
            "first_name": "Max",
        },
    )
    assert posted.status_code == 200, posted.text
    request_id = posted.json()[0]["service_request_id"]
    read = client.get(f"{V2}/requests/{request_id}.json", params={"jurisdiction_id": A})
    [item] = read.json()
    assert (item["status"], item["status_notes"], item["service_code"]) == (
        "open",
        "Eingegangen",
        "spielplatz",
    )
    assert "melder@example.org" not in read.text and "Max" not in read.text
    xml = client.get(f"{V2}/requests/{request_id}.xml", params={"jurisdiction_id": A})
    assert "<status>open</status>" in xml.text

    headers = staff_client(client, region.staff_a_email)
    history = client.get(f"/api/assets/objects/{world.device}/history").json()
    assert history[0]["kind"] == "report" and history[0]["ref_id"] == int(request_id)
    order = client.post(
        f"/api/assets/reports/{request_id}/work-order", json={"assignee": "Bauhof"}, headers=headers
    )
    assert order.status_code == 201
    done = client.patch(
        f"/api/assets/work-orders/{order.json()['id']}",
        json={"status": "done", "completion_note": "Kette ersetzt."},
        headers=headers,
    )
    assert done.status_code == 200
    client.cookies.clear()
    [closed] = client.get(
        f"{V2}/requests/{request_id}.json", params={"jurisdiction_id": A, "extensions": "true"}
    ).json()
    assert (closed["status"], closed["status_notes"]) == ("closed", "Erledigt: Kette ersetzt.")
    assert [n["type"] for n in closed["notes"]] == ["created", "status", "status"]
    listed = client.get(
        f"{V2}/requests.json", params={"jurisdiction_id": A, "status": "closed"}
    ).json()
    assert [r["service_request_id"] for r in listed] == [request_id]


def test_open311_refuses_bad_input_naming_the_parameter(
    client: TestClient, region: Region, world: World
) -> None:
    base = {
        "api_key": region.key_open311,
        "jurisdiction_id": A,
        "service_code": "sonstiges",
        "lat": "49.45",
        "long": "8.65",
    }
    for extra, field in (
        ({"attribute[object_id]": str(world.bench_b)}, "attribute[object_id]"),
        ({"long": "8.75"}, "lat"),
    ):
        response = client.post(f"{V2}/requests.json", data={**base, **extra})
        assert response.status_code == 400, response.text
        assert response.json()[0]["description"].startswith(field)


def test_the_register_over_ogc_api_features(client: TestClient, world: World) -> None:
    collections = client.get("/ogcapi/collections", params={"f": "json"}).json()
    ids = {c["id"] for c in collections["collections"]}
    assert {"assets-tree", "assets-bench", "assets-reports"} <= ids
    items = client.get(
        "/ogcapi/collections/assets-tree/items",
        params={"f": "json", "bbox": "8.6,49.4,8.7,49.5", "species_de": "Winter-Linde"},
    ).json()
    [tree] = items["features"]
    assert tree["properties"]["name"] == "Winter-Linde A-1"
    assert "risk_class" not in tree["properties"]
    benches = client.get("/ogcapi/collections/assets-bench/items", params={"f": "json"}).json()
    assert [f["properties"]["name"] for f in benches["features"]] == ["Bank B"]
    assert (
        client.get(
            f"/ogcapi/collections/assets-bench/items/{world.bench_internal}", params={"f": "json"}
        ).status_code
        == 404
    )
