"""The Fraunhofer Python client (``frost-sta-client``, unchanged) against a live server:
create with deep insert, query with paging, update (PUT and JSON Patch), data arrays, delete.

The client authenticates as its users do: its own ``AuthHandler`` with a user name and the API
key as the password (HTTP Basic, the only scheme it can send)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import uvicorn

from allmende.app import KERNEL_MIGRATIONS, create_app
from allmende.core.registry import Registry
from allmende.core.settings import Mode, Settings
from allmende.storage.database import Database
from allmende.storage.migrate import upgrade
from tests.conftest import SECRET
from tests.support.missing import missing
from tests.support.region import Region, build_region

pytestmark = pytest.mark.integration

try:
    import frost_sta_client as fsc
    from frost_sta_client.model.ext.data_array_value import DataArrayValue
except ImportError:  # pragma: no cover - the test extra installs it
    fsc = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Region]]:
    if fsc is None:
        missing("the FROST client test needs frost-sta-client (pip install -e '.[test]')")
    path: Path = tmp_path_factory.mktemp("frost") / "frost.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url, list(KERNEL_MIGRATIONS))
    database = Database(url)
    region = database.write(build_region)
    settings = Settings(
        mode=Mode.DEV, database_url=url, secret_key=SECRET, map_tile_url="", mqtt_mode="off"
    )
    app = create_app(settings, database=database, registry=Registry())
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/v1.1", region
    server.should_exit = True
    thread.join(timeout=10)
    database.close()


@pytest.fixture
def service(server: tuple[str, Region]) -> Any:
    url, region = server
    auth = fsc.AuthHandler(username="wetterstation", password=region.key_sensorthings_a)
    return fsc.SensorThingsService(url, auth_handler=auth)


def test_a_wrong_key_is_refused_with_a_basic_challenge(server: tuple[str, Region]) -> None:
    url, _ = server
    wrong = fsc.SensorThingsService(url, auth_handler=fsc.AuthHandler(username="x", password="y"))
    with pytest.raises(requests.exceptions.HTTPError) as refused:
        wrong.create(fsc.Thing(name="Station", description="refused"))
    assert refused.value.response.status_code == 401
    assert refused.value.response.headers["WWW-Authenticate"].startswith("Basic ")


def test_the_fraunhofer_client_works_unchanged(service: Any) -> None:
    point = {"type": "Point", "coordinates": [8.68, 49.41]}
    thing = fsc.Thing(
        name="Weather station",
        description="On the town hall roof",
        properties={"operator": "Stadtwerke"},
        locations=[
            fsc.Location(
                name="Town hall",
                description="Roof",
                encoding_type="application/geo+json",
                location=point,
            )
        ],
    )
    service.create(thing)
    assert isinstance(thing.id, int)
    datastream = fsc.Datastream(
        name="Air temperature",
        description="2 m above the roof",
        observation_type="http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
        unit_of_measurement=fsc.UnitOfMeasurement(
            name="degree Celsius",
            symbol="°C",
            definition="http://unitsofmeasure.org/ucum.html#para-30",
        ),
        thing=thing,
        sensor=fsc.Sensor(
            name="PT100",
            description="Resistance thermometer",
            encoding_type="application/pdf",
            metadata="https://example.org/pt100.pdf",
        ),
        observed_property=fsc.ObservedProperty(
            name="Air temperature",
            definition="http://dbpedia.org/page/Temperature",
            description="Temperature of the air",
        ),
    )
    service.create(datastream)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    for hour in range(25):
        service.create(
            fsc.Observation(
                result=10 + hour / 10,
                phenomenon_time=start + timedelta(hours=hour),
                datastream=datastream,
            )
        )

    # Query with paging: the client follows @iot.nextLink on its own.
    query = service.observations().query().filter(f"Datastream/id eq {datastream.id}")
    page = query.top(10).orderby("phenomenonTime", "ASC").list()
    results = [o.result for o in page]
    assert results == [10 + h / 10 for h in range(25)]
    counted = service.datastreams().query().count().list()
    assert counted.count == 1
    found = service.things().find(thing.id)
    assert found.name == "Weather station"
    assert found.properties == {"operator": "Stadtwerke"}
    assert len(found.get_locations().query().list().entities) == 1

    # Update: PUT the whole entity, then a JSON Patch.
    found.name = "Weather station 2"
    service.update(found)
    assert service.things().find(thing.id).name == "Weather station 2"
    service.patch(found, [{"op": "replace", "path": "/description", "value": "Moved"}])
    assert service.things().find(thing.id).description == "Moved"

    # Data arrays: many Observations in one request.
    value = DataArrayValue()
    value.datastream = datastream
    value.components = {DataArrayValue.Property.PHENOMENON_TIME, DataArrayValue.Property.RESULT}
    for minute in range(5):
        value.add_observation(
            fsc.Observation(
                phenomenon_time=start + timedelta(days=2, minutes=minute),
                result=minute,
                datastream=datastream,
            )
        )
    document = fsc.DataArrayDocument()
    document.add_data_array_value(value)
    created = service.observations().create(document)
    assert len(created) == 5
    assert all("/Observations(" in o.self_link for o in created), [o.self_link for o in created]
    total = service.observations().query().count().top(1).list()
    assert total.count == 30

    # Delete: the Thing takes its Datastream and Observations with it.
    service.delete(service.things().find(thing.id))
    with pytest.raises(requests.exceptions.HTTPError):
        service.things().find(thing.id)
    assert service.observations().query().count().list().count == 0
