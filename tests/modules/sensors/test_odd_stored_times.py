"""A time stored before the doors refused it (written straight into the table here) must not
break a page: the list, the map, a station's page, the JSON list and the SensorThings reads of
that stream all still answer 200."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from allmende.sensing.models import Datastream, Observation
from allmende.storage.database import Database
from tests.modules.sensors.conftest import Network
from tests.support.client import TestClient

pytestmark = pytest.mark.integration

#: 9999-12-31T23:59:59Z (the last second Python's datetime holds), and far beyond both ends.
ODD_TIMES = [253402300799_000000, 2**62, -(2**62)]


def store_odd_latest(database: Database, datastream_id: int, micros: int) -> None:
    """Move the stream's newest Observation to ``micros``, as an old ingest would have."""

    def move(session: Session) -> None:
        newest = session.scalar(
            select(Observation.id)
            .where(Observation.datastream_id == datastream_id)
            .order_by(Observation.phenomenon_time.desc())
            .limit(1)
        )
        session.execute(
            update(Observation)
            .where(Observation.id == newest)
            .values(phenomenon_time=micros, phenomenon_time_end=micros, result_time=micros)
        )
        session.execute(
            update(Datastream)
            .where(Datastream.id == datastream_id)
            .values(
                latest_observation_id=newest,
                latest_phenomenon_time=micros,
                phenomenon_time_start=min(micros, 0),
                phenomenon_time_end=micros,
                result_time_start=micros,
                result_time_end=micros,
            )
        )

    database.write(move)


@pytest.mark.parametrize("micros", ODD_TIMES)
def test_pages_survive_an_odd_stored_time(
    client: TestClient, database: Database, network: Network, micros: int
) -> None:
    store_odd_latest(database, network.temperature, micros)
    for path in (
        "/sensors",
        "/sensors/map.geojson",
        f"/sensors/{network.station}",
        f"/sensors/{network.station}?period=30d",
        "/api/sensors/things",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])


@pytest.mark.parametrize("micros", ODD_TIMES)
def test_sensorthings_reads_survive_an_odd_stored_time(
    client: TestClient, database: Database, network: Network, micros: int
) -> None:
    store_odd_latest(database, network.temperature, micros)
    stream = f"/v1.1/Datastreams({network.temperature})"
    for path in (
        stream,
        f"{stream}/Observations?$orderby=phenomenonTime desc&$top=3",
        f"{stream}/Observations?$resultFormat=dataArray&$top=3",
        f"{stream}/Observations?$resultFormat=CSV&$top=3",
        f"{stream}/Observations?$filter=year(phenomenonTime) gt 2000",
        f"{stream}/Observations?$aggregate=P1Y",
        f"{stream}/Observations?$aggregate=P1M",
        f"{stream}/Observations?$aggregate=P1W",
        f"{stream}/Observations?$aggregate=PT1H&$orderby=phenomenonTime",
        f"/v1.1/Things({network.station})?$expand=Datastreams($expand=Observations($top=2))",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
