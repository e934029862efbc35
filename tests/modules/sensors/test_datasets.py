"""The module's datasets in the open-data catalogue: one per municipality and kind of station,
their SensorThings endpoint and the Datastreams their downloads hold."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from allmende.modules.sensors.datasets import SensorDatasets
from allmende.sdk import sensing
from allmende.storage.database import Database
from tests.modules.sensors.conftest import CELSIUS, Network
from tests.support.client import TestClient
from tests.support.region import Region

pytestmark = pytest.mark.integration


def _others(database: Database, region: Region) -> list[int]:
    """Public Things of A whose kind has no dataset of its own: one of an unknown kind, one
    without any, and two whose kind is no text (a number, an object)."""

    def build(session: Session) -> list[int]:
        a = region.municipality_a
        sensor = sensing.create_sensor(session, municipality_id=a, name="Eigenbau")
        prop = sensing.create_observed_property(
            session, municipality_id=a, name="Stocktemperatur", definition="urn:hive"
        )
        streams = []
        for name, properties in (
            ("Bienenstock", {"kind": "bee-hive"}),
            ("Ohne Art", None),
            ("Art als Zahl", {"kind": 5}),
            ("Art als Objekt", {"kind": {"weather-station": True}}),
        ):
            thing = sensing.create_thing(
                session, municipality_id=a, name=name, lon=8.7, lat=49.5, properties=properties
            )
            streams.append(
                sensing.create_datastream(
                    session,
                    thing_id=thing,
                    sensor_id=sensor,
                    observed_property_id=prop,
                    name=name,
                    unit=CELSIUS,
                )
            )
        return streams

    return database.write(build)


def _read_all(client: TestClient, path: str) -> list[int]:
    found: list[int] = []
    url: str | None = path
    while url is not None:
        response = client.get(url)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        found += [item["@iot.id"] for item in body["value"]]
        url = body.get("@iot.nextLink")
    return sorted(found)


def test_each_dataset_names_its_streams_and_a_short_endpoint_for_them(
    client: TestClient, database: Database, network: Network, region: Region
) -> None:
    others = _others(database, region)
    source = SensorDatasets()
    with database.session() as session:
        found = {d.id: d for d in source.datasets(session)}
        streams = {key: source.datastreams(session, key) for key in found}
        assert source.datastreams(session, "sensors-a-stadt-bee-hive") is None
        assert source.datastreams(session, "sensors-nowhere-other") is None
        assert source.datastreams(session, "assets-a-stadt-reports") is None
    # The meter of A is internal: no dataset of energy meters.
    assert streams == {
        "sensors-a-stadt-weather-station": [network.temperature, network.precipitation],
        "sensors-a-stadt-other": sorted(others),
        "sensors-b-dorf-soil-moisture": [network.soil],
    }
    weather = found["sensors-a-stadt-weather-station"]
    assert weather.bbox == (8.65, 49.45, 8.65, 49.45)
    assert weather.temporal is not None and weather.modified == weather.temporal[1]
    assert found["sensors-b-dorf-soil-moisture"].temporal is None  # no values yet
    for key, dataset in found.items():
        [endpoint] = dataset.endpoints
        assert endpoint.path.startswith("/v1.1/Datastreams?municipality=")
        assert len(endpoint.path) < 400  # however many streams the dataset holds
        assert _read_all(client, endpoint.path) == sorted(streams[key] or ()), key
