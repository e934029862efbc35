"""Who may read and write what: public and internal entities per municipality, API key
scopes, the municipality a new entity gets, and no leaks through paths, $expand or $filter."""

from __future__ import annotations

import pytest

from tests.standards.sensorthings.conftest import Sta
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer, sign_in

pytestmark = pytest.mark.integration

POINT = {"type": "Point", "coordinates": [8.65, 49.45]}


def _network(sta: Sta, *, query: str = "", name: str = "station") -> dict[str, int]:
    thing = sta.post(
        f"Things{query}",
        {
            "name": name,
            "description": "x",
            "Locations": [
                {
                    "name": "here",
                    "description": "x",
                    "encodingType": "application/geo+json",
                    "location": POINT,
                }
            ],
            "Datastreams": [
                {
                    "name": f"{name} temperature",
                    "description": "x",
                    "observationType": "x",
                    "unitOfMeasurement": {"name": "C", "symbol": "C", "definition": "C"},
                    "Sensor": {
                        "name": "s",
                        "description": "x",
                        "encodingType": "text",
                        "metadata": "m",
                    },
                    "ObservedProperty": {"name": "t", "definition": "x", "description": "x"},
                    "Observations": [{"phenomenonTime": "2024-01-01T00:00:00Z", "result": 1}],
                }
            ],
        },
    )
    [stream] = sta.ids(f"Things({thing})/Datastreams")
    return {"thing": thing, "datastream": stream}


def test_writes_need_a_credential_with_the_scope(client: TestClient, region: Region) -> None:
    body = {"name": "x", "description": "y"}
    assert client.post("/v1.1/Things", json=body).status_code == 401
    forbidden = client.post("/v1.1/Things", json=body, headers=bearer(region.key_open311))
    assert forbidden.status_code == 403
    assert "sensorthings" in forbidden.json()["message"]
    wrong = client.post("/v1.1/Things", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_the_municipality_of_new_entities(client: TestClient, region: Region) -> None:
    key_a = Sta(client, bearer(region.key_sensorthings_a))
    admin = Sta(client, bearer(region.key_admin))
    admin.post("Things", {"name": "where?", "description": "x"}, status=400)
    in_b = admin.post("Things?municipality=b-dorf", {"name": "in B", "description": "x"})
    key_a.post("Things?municipality=b-dorf", {"name": "not mine", "description": "x"}, status=403)
    key_a.patch(f"Things({in_b})", {"name": "not mine"}, status=403)
    key_a.delete(f"Things({in_b})", status=403)
    in_a = key_a.post("Things", {"name": "in A", "description": "x"})
    admin.patch(f"Things({in_a})", {"name": "admin may"})
    # A Datastream belongs to its Thing's municipality: key A cannot add one to B's Thing.
    sensor = key_a.post(
        "Sensors", {"name": "s", "description": "x", "encodingType": "t", "metadata": "m"}
    )
    prop = key_a.post("ObservedProperties", {"name": "p", "definition": "d", "description": "x"})
    stream = {
        "name": "ds",
        "description": "x",
        "observationType": "x",
        "unitOfMeasurement": {"name": "C", "symbol": "C", "definition": "C"},
        "Sensor": {"@iot.id": sensor},
        "ObservedProperty": {"@iot.id": prop},
    }
    key_a.post("Datastreams", {**stream, "Thing": {"@iot.id": in_b}}, status=403)
    key_a.post("Datastreams", {**stream, "Thing": {"@iot.id": in_a}})
    admin.post("Things?municipality=nowhere", {"name": "x", "description": "x"}, status=400)


def test_a_read_may_keep_to_one_municipality(client: TestClient, region: Region) -> None:
    admin = Sta(client, bearer(region.key_admin))
    anonymous = Sta(client, {})
    first = _network(admin, query="?municipality=a-stadt", name="A 1")
    second = _network(admin, query="?municipality=a-stadt", name="A 2")
    theirs = _network(admin, query="?municipality=b-dorf", name="B")
    assert anonymous.ids("Things?municipality=a-stadt") == [first["thing"], second["thing"]]
    assert anonymous.ids(f"Things?municipality={region.municipality_b}") == [theirs["thing"]]
    assert anonymous.count("Datastreams?municipality=b-dorf") == 1
    assert anonymous.ids("Datastreams?municipality=a-stadt&$filter=name eq 'B temperature'") == []
    page = anonymous.get("Things?municipality=a-stadt&$top=1")
    assert "municipality=a-stadt" in page["@iot.nextLink"]
    assert [t["@iot.id"] for t in anonymous.get(page["@iot.nextLink"])["value"]] == [
        second["thing"]
    ]
    anonymous.get(f"Things({theirs['thing']})?municipality=a-stadt", status=404)
    refused = anonymous.get("Observations?municipality=a-stadt", status=400)
    assert refused["message"].startswith("municipality: Observations belong to")
    assert "Datastreams?municipality=a-stadt" in refused["message"]
    unknown = anonymous.get("Things?municipality=nowhere", status=400)
    assert unknown["message"] == "municipality: no municipality 'nowhere'."
    anonymous.get("Things?municipality=123456789012345678901234567890", status=400)
    odd = anonymous.get("Things?municipality=A%20Stadt%3B", status=400)
    assert odd["message"] == "municipality: no municipality 'A Stadt;'."


def test_internal_entities_stay_in_their_municipality(client: TestClient, region: Region) -> None:
    key_a = Sta(client, bearer(region.key_sensorthings_a))
    admin = Sta(client, bearer(region.key_admin))
    anonymous = Sta(client, {})
    public = _network(key_a, name="public")
    hidden = _network(key_a, query="?public=false", name="hidden")
    assert anonymous.ids("Things") == [public["thing"]]
    anonymous.get(f"Things({hidden['thing']})", status=404)
    anonymous.get(f"Datastreams({hidden['datastream']})/Observations", status=404)
    assert anonymous.count("Observations") == 1
    assert anonymous.count("Datastreams") == 1
    assert (
        anonymous.get("Observations?$filter=Datastream/name eq 'hidden temperature'")["value"] == []
    )
    assert sorted(key_a.ids("Things")) == sorted([public["thing"], hidden["thing"]])
    assert key_a.count("Observations") == 2
    assert len(admin.ids("Things")) == 2
    # Staff of the other municipality see the public entities only.
    sign_in(client, region.staff_b_email)
    staff_b = Sta(client, {})
    assert staff_b.ids("Things") == [public["thing"]]
    client.cookies.clear()
    sign_in(client, region.staff_a_email)
    assert len(Sta(client, {}).ids("Things")) == 2
    client.cookies.clear()
    # A public Thing with an internal Datastream: expanding it shows nothing internal.
    key_a.patch(f"Datastreams({public['datastream']})?public=false", {})
    body = anonymous.get(f"Things({public['thing']})?$expand=Datastreams($expand=Observations)")
    assert body["Datastreams"] == []
    anonymous.get(f"Datastreams({public['datastream']})", status=404)
    anonymous.get(f"Observations?$filter=Datastream/id eq {public['datastream']}")
    assert anonymous.count("Observations") == 0


def test_create_observations_checks_each_datastream(client: TestClient, region: Region) -> None:
    admin = Sta(client, bearer(region.key_admin))
    key_a = Sta(client, bearer(region.key_sensorthings_a))
    mine = _network(key_a, name="mine")
    theirs = _network(admin, query="?municipality=b-dorf", name="theirs")
    response = client.post(
        "/v1.1/CreateObservations",
        json=[
            {
                "Datastream": {"@iot.id": stream},
                "components": ["phenomenonTime", "result"],
                "dataArray": [["2024-02-01T00:00:00Z", 5]],
            }
            for stream in (mine["datastream"], theirs["datastream"])
        ],
        headers=key_a.headers,
    )
    assert response.status_code == 201
    first, second = response.json()
    assert first.startswith("http") and second.startswith("error")
    assert key_a.count(f"Datastreams({theirs['datastream']})/Observations") == 1
