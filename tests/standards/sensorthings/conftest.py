"""Fixtures for the SensorThings tests: a client with the integrator key of municipality A,
and the entities of the OGC / FROST test suites."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from allmende.core.registry import Registry
from allmende.storage.database import Database
from tests.support import reports_module
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.seeds import app_client, seed
from tests.support.web import bearer

ROOT = "http://testserver/v1.1"
LONG_MAX = 9223372036854775807


@dataclass
class Sta:
    """A SensorThings client for tests: every call checks its status."""

    client: TestClient
    headers: dict[str, str]

    def get(self, path: str, status: int = 200, **kw: Any) -> Any:
        response = self.client.get(_url(path), headers=self.headers, **kw)
        assert response.status_code == status, (path, response.status_code, response.text)
        return (
            response.json()
            if response.content and "json" in response.headers.get("content-type", "")
            else response
        )

    def ids(self, path: str) -> list[int]:
        return [item["@iot.id"] for item in self.get(path)["value"]]

    def post(self, path: str, body: Any, status: int = 201) -> int:
        response = self.client.post(_url(path), json=body, headers=self.headers)
        assert response.status_code == status, (path, response.status_code, response.text)
        if status != 201:
            return 0
        location = response.headers["location"]
        return int(location[location.rindex("(") + 1 : location.rindex(")")])

    def patch(self, path: str, body: Any, status: int = 200, **headers: str) -> Any:
        response = self.client.patch(_url(path), json=body, headers={**self.headers, **headers})
        assert response.status_code == status, (path, response.status_code, response.text)
        return response

    def put(self, path: str, body: Any, status: int = 200) -> Any:
        response = self.client.put(_url(path), json=body, headers=self.headers)
        assert response.status_code == status, (path, response.status_code, response.text)
        return response

    def delete(self, path: str, status: int = 200) -> Any:
        response = self.client.delete(
            _url(path),
            headers={**self.headers, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == status, (path, response.status_code, response.text)
        return response

    def count(self, path: str) -> int:
        separator = "&" if "?" in path else "?"
        return int(self.get(f"{path}{separator}$count=true&$top=0")["@iot.count"])


def _url(path: str) -> str:
    if path.startswith(("http", "/v1.1")):
        return path
    return f"/v1.1/{path}"


@pytest.fixture
def sta(client: TestClient, region: Region) -> Sta:
    return Sta(client, bearer(region.key_sensorthings_a))


@pytest.fixture
def anonymous(client: TestClient) -> Sta:
    return Sta(client, {})


def location_id(location: str) -> int:
    match = re.search(r"\((\d+)\)$", location)
    assert match, location
    return int(match.group(1))


# --- the fixture of the OGC / FROST filtering tests (Capability3) ----------------------------

MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


def _datastream(name: str, unit: str, symbol: str, prop: Any, sensor: Any) -> dict[str, Any]:
    return {
        "unitOfMeasurement": {
            "name": unit,
            "symbol": symbol,
            "definition": "http://qudt.org/" + unit,
        },
        "name": name,
        "description": name,
        "observationType": MEASUREMENT,
        "ObservedProperty": prop,
        "Sensor": sensor,
    }


def _sensor(name: str, metadata: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": name,
        "encodingType": "application/pdf",
        "metadata": metadata,
    }


@dataclass
class FilterFixture:
    """Two Things with two Datastreams each, 12 Observations (results 1..12), 2 FoIs."""

    things: list[int]
    locations: list[int]
    datastreams: list[int]
    sensors: list[int]
    observed_properties: list[int]
    observations: list[int]
    features: list[int]
    histories: dict[int, list[int]]


def create_filter_fixture(sta: Sta) -> FilterFixture:
    thing1 = sta.post(
        "Things",
        {
            "name": "thing 1",
            "description": "thing 1",
            "properties": {"reference": "first"},
            "Locations": [
                {
                    "name": "location 1",
                    "description": "location 1",
                    "location": {"type": "Point", "coordinates": [-117.05, 51.05]},
                    "encodingType": "application/vnd.geo+json",
                }
            ],
            "Datastreams": [
                _datastream(
                    "datastream 1",
                    "Lumen",
                    "lm",
                    {
                        "name": "Luminous Flux",
                        "definition": "http://qudt.org/LuminousFlux",
                        "description": "observedProperty 1",
                    },
                    _sensor("sensor 1", "Light flux sensor"),
                ),
                _datastream(
                    "datastream 2",
                    "Centigrade",
                    "C",
                    {
                        "name": "Tempretaure",
                        "definition": "http://qudt.org/Tempreture",
                        "description": "observedProperty 2",
                    },
                    _sensor("sensor 2", "Tempreture sensor"),
                ),
            ],
        },
    )
    location1 = sta.ids(f"Things({thing1})/Locations")[0]
    streams1 = {d["name"]: d["@iot.id"] for d in sta.get(f"Things({thing1})/Datastreams")["value"]}
    ds1, ds2 = streams1["datastream 1"], streams1["datastream 2"]
    op1 = sta.get(f"Datastreams({ds1})/ObservedProperty")["@iot.id"]
    op2 = sta.get(f"Datastreams({ds2})/ObservedProperty")["@iot.id"]
    thing2 = sta.post(
        "Things",
        {
            "name": "thing 2",
            "description": "thing 2",
            "properties": {"reference": "second"},
            "Locations": [
                {
                    "name": "location 2",
                    "description": "location 2",
                    "location": {"type": "Point", "coordinates": [-100.05, 50.05]},
                    "encodingType": "application/vnd.geo+json",
                }
            ],
            "Datastreams": [
                _datastream(
                    "datastream 3",
                    "Lumen",
                    "lm",
                    {
                        "name": "Second Luminous Flux",
                        "definition": "http://qudt.org/LuminousFlux",
                        "description": "observedProperty 3",
                    },
                    _sensor("sensor 3", "Second Light flux sensor"),
                ),
                _datastream(
                    "datastream 2",
                    "Centigrade",
                    "C",
                    {"@iot.id": op2},
                    _sensor("sensor 4 ", "Second Tempreture sensor"),
                ),
            ],
        },
    )
    location2 = sta.ids(f"Things({thing2})/Locations")[0]
    streams2 = sta.get(f"Things({thing2})/Datastreams")["value"]
    ds3 = next(d["@iot.id"] for d in streams2 if d["name"] == "datastream 3")
    ds4 = next(d["@iot.id"] for d in streams2 if d["name"] == "datastream 2")
    op3 = sta.get(f"Datastreams({ds3})/ObservedProperty")["@iot.id"]
    sensors = [sta.get(f"Datastreams({d})/Sensor")["@iot.id"] for d in (ds1, ds2, ds3, ds4)]
    sta.patch(f"Things({thing1})", {"Locations": [{"@iot.id": location2}]})
    sta.patch(f"Things({thing2})", {"Locations": [{"@iot.id": location1}]})
    observations = []
    for index, stream in enumerate((ds1, ds2, ds3, ds4)):
        for step in range(3):
            value = index * 3 + step + 1
            observations.append(
                sta.post(
                    f"Datastreams({stream})/Observations",
                    {"phenomenonTime": f"2015-03-{value:02d}T00:00:00Z", "result": value},
                )
            )
    features = [
        sta.get(f"Observations({observations[0]})/FeatureOfInterest")["@iot.id"],
        sta.get(f"Observations({observations[6]})/FeatureOfInterest")["@iot.id"],
    ]
    return FilterFixture(
        things=[thing1, thing2],
        locations=[location1, location2],
        datastreams=[ds1, ds2, ds3, ds4],
        sensors=sensors,
        observed_properties=[op1, op2, op3],
        observations=observations,
        features=features,
        histories={
            thing1: sta.ids(f"Things({thing1})/HistoricalLocations"),
            thing2: sta.ids(f"Things({thing2})/HistoricalLocations"),
        },
    )


@seed
def filtering(database: Database, region: Region) -> FilterFixture:
    """The filtering tests' entities, posted once per backend and copied with the database."""
    reports_module.create_tables(database)  # as the standards tests' ``database`` does
    with app_client(database, Registry([reports_module.MODULE])) as client:
        return create_filter_fixture(Sta(client, bearer(region.key_sensorthings_a)))
