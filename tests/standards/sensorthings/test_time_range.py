"""Times outside the supported range (1583-01-01 to 2999-12-31, UTC) are refused at every door
that takes them, with a 400 that names the field; the one time parser reads ``z`` as ``Z``
everywhere."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from allmende.core.errors import BadRequest
from allmende.sdk import sensing
from allmende.standards.sensorthings.mqtt.create import MessageError, parse_observation
from allmende.standards.sensorthings.mqtt.topics import CreateTarget
from allmende.storage.database import Database
from tests.standards.sensorthings.conftest import Sta

pytestmark = pytest.mark.integration

FAR = "9999-12-31T00:00:00Z"
EARLY = "1500-06-01T00:00:00Z"
RANGE = "lies outside the supported years 1583 to 2999"


@pytest.fixture
def stream(sta: Sta) -> int:
    thing = sta.post(
        "Things",
        {
            "name": "station",
            "description": "d",
            "Locations": [
                {
                    "name": "here",
                    "description": "here",
                    "encodingType": "application/geo+json",
                    "location": {"type": "Point", "coordinates": [8.6, 49.4]},
                }
            ],
            "Datastreams": [
                {
                    "name": "temperature",
                    "description": "t",
                    "observationType": "OM_Measurement",
                    "unitOfMeasurement": {"name": "C", "symbol": "Cel", "definition": "ucum"},
                    "ObservedProperty": {"name": "T", "definition": "urn:t", "description": ""},
                    "Sensor": {
                        "name": "S",
                        "description": "s",
                        "encodingType": "text/plain",
                        "metadata": "m",
                    },
                }
            ],
        },
    )
    return sta.ids(f"Things({thing})/Datastreams")[0]


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["errors"][0]["field"] == field, body
    assert body["errors"][0]["reason"] == RANGE


@pytest.mark.parametrize("text", [FAR, EARLY, "2999-12-31T23:30:00-01:00"])
@pytest.mark.parametrize("field", ["phenomenonTime", "resultTime"])
def test_http_json_refuses_times_out_of_range(sta: Sta, stream: int, text: str, field: str) -> None:
    response = sta.client.post(
        f"/v1.1/Datastreams({stream})/Observations",
        json={"result": 1, field: text},
        headers=sta.headers,
    )
    _refused(response, f"body.{field}")
    assert sta.count(f"Datastreams({stream})/Observations") == 0


def test_intervals_and_historical_locations_refuse_times_out_of_range(
    sta: Sta, stream: int
) -> None:
    _refused(
        sta.client.post(
            f"/v1.1/Datastreams({stream})/Observations",
            json={"result": 1, "validTime": f"2020-01-01T00:00:00Z/{FAR}"},
            headers=sta.headers,
        ),
        "body.validTime",
    )
    thing = sta.get(f"Datastreams({stream})/Thing")["@iot.id"]
    _refused(
        sta.client.post(
            "/v1.1/HistoricalLocations",
            json={"time": FAR, "Thing": {"@iot.id": thing}},
            headers=sta.headers,
        ),
        "body.time",
    )


def test_patch_refuses_times_out_of_range(sta: Sta, stream: int) -> None:
    observation = sta.post(
        f"Datastreams({stream})/Observations",
        {"result": 1, "phenomenonTime": "2025-01-01t00:00:00z"},
    )
    assert sta.get(f"Observations({observation})")["phenomenonTime"] == "2025-01-01T00:00:00Z"
    response = sta.client.patch(
        f"/v1.1/Observations({observation})", json={"phenomenonTime": FAR}, headers=sta.headers
    )
    _refused(response, "body.phenomenonTime")
    assert sta.get(f"Observations({observation})")["phenomenonTime"] == "2025-01-01T00:00:00Z"


def test_data_arrays_refuse_the_row(sta: Sta, stream: int) -> None:
    for components, rows in (
        (["phenomenonTime", "result"], [[FAR, 1], ["2025-01-01T00:00:00z", 2]]),
        (["phenomenonTime", "result", "resultTime"], [[EARLY, 1, None], [None, 2, FAR]]),
    ):
        response = sta.client.post(
            "/v1.1/CreateObservations",
            json=[{"Datastream": {"@iot.id": stream}, "components": components, "dataArray": rows}],
            headers=sta.headers,
        )
        assert response.status_code == 201, response.text
        answers = response.json()
        assert answers[0].startswith("error: ") and RANGE in answers[0]
        assert answers[0] == f"error: phenomenonTime: {RANGE}"
    assert answers[1] == f"error: resultTime: {RANGE}"
    assert sta.count(f"Datastreams({stream})/Observations") == 1


def test_a_batch_refuses_the_part(sta: Sta, stream: int) -> None:
    response = sta.client.post(
        "/v1.1/$batch",
        json={
            "requests": [
                {
                    "id": "1",
                    "method": "post",
                    "url": f"Datastreams({stream})/Observations",
                    "body": {"result": 1, "phenomenonTime": FAR},
                }
            ]
        },
        headers=sta.headers,
    )
    assert response.status_code == 200, response.text
    [part] = response.json()["responses"]
    assert part["status"] == 400 and RANGE in str(part["body"])


def test_mqtt_refuses_the_message() -> None:
    with pytest.raises(MessageError, match=f"phenomenonTime: {RANGE}"):
        parse_observation(
            CreateTarget("Datastream", 1), b'{"result": 1, "phenomenonTime": "%s"}' % FAR.encode()
        )
    row = parse_observation(
        CreateTarget("Datastream", 1), b'{"result": 1, "phenomenonTime": "2025-01-01t00:00:00z"}'
    )
    assert row.phenomenon_time == 1735689600_000000


def test_the_sensing_facade_refuses_the_series(database: Database, sta: Sta, stream: int) -> None:
    def ingest(moment: datetime) -> int:
        return database.write(
            lambda session: sensing.ingest_series(
                session, datastream_id=stream, times=[moment], values=[1.0]
            )
        )

    with pytest.raises(BadRequest, match=f"phenomenonTime: {RANGE}"):
        ingest(datetime(9999, 12, 31, tzinfo=UTC))
    with pytest.raises(BadRequest, match=f"phenomenonTime: {RANGE}"):
        ingest(datetime(1, 1, 1, tzinfo=UTC))
    assert ingest(datetime(2025, 1, 1, tzinfo=UTC)) == 1


@pytest.mark.parametrize(
    "condition",
    [
        f"phenomenonTime gt {FAR}",
        "phenomenonTime gt 9999-12-31",
        f"during(phenomenonTime, 2020-01-01T00:00:00Z/{FAR})",
    ],
)
def test_query_literals_out_of_range_are_400(sta: Sta, stream: int, condition: str) -> None:
    response = sta.client.get(f"/v1.1/Observations?$filter={condition}")
    assert response.status_code == 400, response.text
    assert RANGE in response.json()["message"]


def test_lower_case_t_and_z_are_read_everywhere(sta: Sta, stream: int) -> None:
    sta.post(
        f"Datastreams({stream})/Observations",
        {"result": 1, "phenomenonTime": "2025-01-01t10:00:00z"},
    )
    found = sta.get("Observations?$filter=phenomenonTime eq 2025-01-01t10:00:00z")["value"]
    assert [o["phenomenonTime"] for o in found] == ["2025-01-01T10:00:00Z"]
