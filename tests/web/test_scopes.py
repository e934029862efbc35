"""An API key reads internal records only through the scopes it was given: every scope against
every read path of internal data (SensorThings, the sensor list, participation, assets)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from shapely.geometry import box, mapping

from allmende.identity import service
from allmende.sensing import read as sensing
from allmende.storage.database import Database
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer

pytestmark = pytest.mark.integration

SCOPES = ("sensorthings", "open311", "participation", "assets", "admin")
SECRET_THING = "Messstelle intern"
SECRET_PROCESS = "Entwurf Marktplatz"
SECRET_OBJECT = "Baum intern"


def _things(client: TestClient, headers: dict[str, str], ids: dict[str, int]) -> bool:
    body = client.get("/v1.1/Things", headers=headers).json()
    return any(t["name"] == SECRET_THING for t in body["value"])


def _thing(client: TestClient, headers: dict[str, str], ids: dict[str, int]) -> bool:
    status = client.get(f"/v1.1/Things({ids['thing']})", headers=headers).status_code
    return {200: True, 404: False}[status]


def _observations(client: TestClient, headers: dict[str, str], ids: dict[str, int]) -> bool:
    path = f"/v1.1/Datastreams({ids['stream']})/Observations"
    return {200: True, 404: False}[client.get(path, headers=headers).status_code]


def _sensor_list(client: TestClient, headers: dict[str, str], ids: dict[str, int]) -> bool:
    found = client.get("/api/sensors/things", headers=headers).json()
    return any(t["name"] == SECRET_THING for t in found)


def _processes(client: TestClient, headers: dict[str, str], ids: dict[str, int]) -> bool:
    found = client.get("/api/participation/processes", headers=headers).json()
    return any(p["title"] == SECRET_PROCESS for p in found)


def _process(client: TestClient, headers: dict[str, str], ids: dict[str, int]) -> bool:
    path = f"/api/participation/processes/{ids['process']}"
    return {200: True, 404: False}[client.get(path, headers=headers).status_code]


def _objects(client: TestClient, headers: dict[str, str], ids: dict[str, int]) -> bool:
    found = client.get("/api/assets/objects", headers=headers).json()["items"]
    return any(o["name"] == SECRET_OBJECT for o in found)


def _object(client: TestClient, headers: dict[str, str], ids: dict[str, int]) -> bool:
    path = f"/api/assets/objects/{ids['object']}"
    return {200: True, 404: False}[client.get(path, headers=headers).status_code]


#: Each read path of internal records, with the scope that opens it.
READ_PATHS: dict[str, tuple[str, Callable[[TestClient, dict[str, str], dict[str, int]], bool]]] = {
    "sta-collection": ("sensorthings", _things),
    "sta-entity": ("sensorthings", _thing),
    "sta-navigation": ("sensorthings", _observations),
    "sensor-list": ("sensorthings", _sensor_list),
    "participation-list": ("participation", _processes),
    "participation-process": ("participation", _process),
    "assets-list": ("assets", _objects),
    "assets-object": ("assets", _object),
}


@pytest.fixture
def internal(client: TestClient, database: Database, region: Region) -> dict[str, Any]:
    """Internal records of A-Stadt on every read path, and one unbound key per scope."""
    admin = bearer(region.key_admin)

    def seed(session: Any) -> dict[str, Any]:
        thing = sensing.create_thing(
            session,
            municipality_id=region.municipality_a,
            name=SECRET_THING,
            lon=8.65,
            lat=49.45,
            public=False,
        )
        a = region.municipality_a
        sensor = sensing.create_sensor(session, municipality_id=a, name="S", public=False)
        prop = sensing.create_observed_property(
            session, municipality_id=a, name="T", definition="https://example.org/t", public=False
        )
        stream = sensing.create_datastream(
            session,
            thing_id=thing,
            sensor_id=sensor,
            observed_property_id=prop,
            name="T",
            unit={"name": "degree Celsius", "symbol": "Cel", "definition": "ucum:Cel"},
        )
        keys = {
            scope: service.create_api_key(
                session, name=scope, scopes=[scope], known_scopes=frozenset(SCOPES)
            ).key
            for scope in SCOPES
        }
        return {"thing": thing, "stream": stream, "keys": keys}

    seeded = database.write(seed)
    process = client.post(
        "/api/participation/processes",
        json={
            "municipality": "a-stadt",
            "title": SECRET_PROCESS,
            "area": mapping(box(8.62, 49.42, 8.68, 49.48)),
            "public": False,
        },
        headers=admin,
    )
    assert process.status_code == 201, process.text
    tree = client.post(
        "/api/assets/objects",
        json={
            "municipality": "a-stadt",
            "type": "tree",
            "name": SECRET_OBJECT,
            "geometry": {"type": "Point", "coordinates": [8.65, 49.45]},
            "attributes": {"species_de": "Winter-Linde", "planting_year": 1990},
            "public": False,
        },
        headers=admin,
    )
    assert tree.status_code == 201, tree.text
    return {**seeded, "process": process.json()["id"], "object": tree.json()["id"]}


@pytest.mark.parametrize("scope", SCOPES)
def test_a_key_reads_internal_records_only_through_its_scopes(
    client: TestClient, internal: dict[str, Any], scope: str
) -> None:
    key = bearer(internal["keys"][scope])
    seen = {path: check(client, key, internal) for path, (_, check) in READ_PATHS.items()}
    expected = {path: scope in (opens, "admin") for path, (opens, _) in READ_PATHS.items()}
    assert seen == expected


def test_the_public_reads_none_of_them(client: TestClient, internal: dict[str, Any]) -> None:
    seen = {path: check(client, {}, internal) for path, (_, check) in READ_PATHS.items()}
    assert seen == dict.fromkeys(READ_PATHS, False)
