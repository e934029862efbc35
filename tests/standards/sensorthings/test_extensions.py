"""The v1.1 extensions and Allmende's own: data arrays, CreateObservations, batch requests,
GeoJSON and CSV, result types, MultiDatastreams, Tasking, latest Observation, aggregation."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.standards.sensorthings.conftest import ROOT, FilterFixture, Sta

pytestmark = pytest.mark.integration


def test_data_array_results(anonymous: Sta, filtering: FilterFixture) -> None:
    body = anonymous.get("Observations?$count=true&$top=3&$resultFormat=dataArray")
    assert body["@iot.count"] == 12 and "@iot.nextLink" in body
    for item in body["value"]:
        assert item["Datastream@iot.navigationLink"].startswith(f"{ROOT}/Datastreams(")
        components = item["components"]
        assert len(set(components)) == len(components)
        assert item["dataArray@iot.count"] == len(item["dataArray"])
        assert all(len(row) == len(components) for row in item["dataArray"])
    selected = anonymous.get(
        f"Datastreams({filtering.datastreams[0]})/Observations"
        "?$resultFormat=dataArray&$select=result,phenomenonTime&$orderby=result"
    )
    [group] = selected["value"]
    assert group["components"] == ["result", "phenomenonTime"]
    assert group["dataArray"] == [
        [1, "2015-03-01T00:00:00Z"],
        [2, "2015-03-02T00:00:00Z"],
        [3, "2015-03-03T00:00:00Z"],
    ]
    anonymous.get("Things?$resultFormat=dataArray", status=400)
    anonymous.get("Observations?$resultFormat=dataArray&$select=name", status=400)


def test_create_observations_answers_per_row(sta: Sta, filtering: FilterFixture) -> None:
    stream = filtering.datastreams[0]
    feature = filtering.features[0]
    response = sta.client.post(
        "/v1.1/CreateObservations",
        json=[
            {
                "Datastream": {"@iot.id": stream},
                "components": ["phenomenonTime", "result", "FeatureOfInterest/id"],
                "dataArray@iot.count": 4,
                "dataArray": [
                    ["2010-12-23T10:20:00-0700", 20, feature],
                    ["2010-12-23T10:21:00-0700", 30, 9223372036854775807],
                    ["2010-12-23T10:22:00-0700", 40, feature],
                    ["2010-12-23T10:23:00-0700", 50, None],
                ],
            }
        ],
        headers=sta.headers,
    )
    assert response.status_code == 201, response.text
    answers = response.json()
    assert len(answers) == 4
    assert answers[1].startswith("error")
    for answer in (answers[0], answers[2], answers[3]):
        assert answer.startswith(f"{ROOT}/Observations(")
        assert sta.get(answer)["phenomenonTime"] in (
            "2010-12-23T17:20:00Z",
            "2010-12-23T17:22:00Z",
            "2010-12-23T17:23:00Z",
        )
    assert sta.count(f"Datastreams({stream})/Observations") == 6
    again = sta.client.post(
        "/v1.1/CreateObservations",
        json=[
            {
                "Datastream": {"@iot.id": stream},
                "components": ["phenomenonTime", "result"],
                "dataArray": [["2010-12-23T10:20:00-0700", 21], ["not a time", 1], [1]],
            },
            {
                "Datastream": {"@iot.id": 9223372036854775807},
                "components": ["phenomenonTime", "result"],
                "dataArray": [["2010-12-24T10:20:00Z", 1]],
            },
        ],
        headers=sta.headers,
    ).json()
    assert [a.split(":")[0] for a in again] == ["error"] * 4
    assert "Duplicate" in again[0]
    bad = sta.client.post("/v1.1/CreateObservations", json={"x": 1}, headers=sta.headers)
    assert bad.status_code == 400
    anonymous = sta.client.post("/v1.1/CreateObservations", json=[])
    assert anonymous.status_code == 401


def test_result_types_and_quality(sta: Sta, filtering: FilterFixture) -> None:
    stream = filtering.datastreams[0]
    results: list[Any] = [
        True,
        "a string",
        3.25,
        4,
        {"a": [1, 2]},
        [1, "x"],
        None,
        12345678901234567890,
    ]
    for index, value in enumerate(results):
        observation = sta.post(
            f"Datastreams({stream})/Observations",
            {
                "phenomenonTime": f"2020-01-01T00:00:0{index}Z",
                "result": value,
                "resultQuality": {"q": index} if index % 2 else [index],
            },
        )
        body = sta.get(f"Observations({observation})")
        assert body["result"] == value
        assert type(body["result"]) is type(value)
        assert body["resultQuality"] == ({"q": index} if index % 2 else [index])
    found = sta.get(f"Datastreams({stream})/Observations?$filter=result eq true")["value"]
    assert [o["result"] for o in found] == [True]
    found = sta.get(f"Datastreams({stream})/Observations?$filter=result eq 'a string'")["value"]
    assert [o["result"] for o in found] == ["a string"]
    found = sta.get(f"Datastreams({stream})/Observations?$filter=result eq null")["value"]
    assert [o["result"] for o in found] == [None]
    found = sta.get(f"Datastreams({stream})/Observations?$filter=result/a[1] eq 2")["value"]
    assert [o["result"] for o in found] == [{"a": [1, 2]}]


def test_nul_characters_are_refused_not_an_error(sta: Sta, filtering: FilterFixture) -> None:
    path = f"Datastreams({filtering.datastreams[0]})/Observations"
    sta.post(path, {"result": "a\u0000b"}, status=400)
    sta.post(path, {"result": 1, "parameters": {"k": "\u0000"}}, status=400)
    sta.post("Things", {"name": "a\u0000b", "description": "x"}, status=400)
    answers = sta.client.post(
        "/v1.1/CreateObservations",
        json=[
            {
                "Datastream": {"@iot.id": filtering.datastreams[0]},
                "components": ["phenomenonTime", "result"],
                "dataArray": [["2030-01-01T00:00:00Z", "x\u0000"], ["2030-01-02T00:00:00Z", 1]],
            }
        ],
        headers=sta.headers,
    ).json()
    assert answers[0].startswith("error") and answers[1].startswith("http")


def test_duplicates_are_refused_by_default(sta: Sta, filtering: FilterFixture) -> None:
    path = f"Datastreams({filtering.datastreams[0]})/Observations"
    response = sta.client.post(
        f"/v1.1/{path}",
        json={"phenomenonTime": "2015-03-01T00:00:00Z", "result": 99},
        headers=sta.headers,
    )
    assert response.status_code == 409
    assert "Duplicate" in response.json()["message"]
    # An interval that starts at the same time is another phenomenonTime.
    sta.post(path, {"phenomenonTime": "2015-03-01T00:00:00Z/2015-03-01T01:00:00Z", "result": 1})
    observation = filtering.observations[1]
    sta.patch(
        f"Observations({observation})", {"phenomenonTime": "2015-03-01T00:00:00Z"}, status=409
    )


def _multipart(boundary: str, parts: list[str]) -> str:
    return "".join(f"--{boundary}\r\n{part}\r\n" for part in parts) + f"--{boundary}--\r\n"


def test_multipart_batch_with_a_change_set(sta: Sta, filtering: FilterFixture) -> None:
    thing = filtering.things[0]
    changeset = _multipart(
        "changeset_1",
        [
            "Content-Type: application/http\r\nContent-ID: sensor1\r\n\r\n"
            "POST /v1.1/Sensors HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
            '{"name":"DS18B20","description":"air","encodingType":"application/pdf",'
            '"metadata":"http://example.org/DS18B20.pdf"}',
            "Content-Type: application/http\r\nContent-ID: any\r\n\r\n"
            f"POST /v1.1/Things({thing})/Datastreams HTTP/1.1\r\n"
            "Content-Type: application/json\r\n\r\n"
            '{"name":"Batch stream","description":"made in a batch",'
            '"unitOfMeasurement":{"name":"C","symbol":"C","definition":"C"},'
            '"observationType":"x","ObservedProperty":{"@iot.id":'
            f'{filtering.observed_properties[0]}}},"Sensor":{{"@iot.id":"$sensor1"}}}}',
            "Content-Type: application/http\r\nContent-ID: 3\r\n\r\n"
            f"PATCH /v1.1/Things({thing}) HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
            '{"name":"Patched"}',
        ],
    )
    body = _multipart(
        "batch_1",
        [
            f"Content-Type: application/http\r\n\r\nGET Things({thing})?$select=name HTTP/1.1\r\n",
            "Content-Type: multipart/mixed;boundary=changeset_1\r\n\r\n" + changeset,
            "Content-Type: application/http\r\n\r\n"
            "GET http://testserver/v1.1/Things?$filter=properties/reference%20eq%20'second'"
            "&$select=name HTTP/1.1\r\n",
            "Content-Type: application/http\r\n\r\nGET Things(9223372036854775807) HTTP/1.1\r\n",
        ],
    )
    response = sta.client.post(
        "/v1.1/$batch",
        content=body,
        headers={**sta.headers, "Content-Type": "multipart/mixed;boundary=batch_1"},
    )
    assert response.status_code == 200, response.text
    text = response.text
    assert response.headers["content-type"].startswith("multipart/mixed; boundary=")
    assert text.count("HTTP/1.1 200 OK") == 3
    assert text.count("HTTP/1.1 201 Created") == 2
    assert "HTTP/1.1 404 Not Found" in text
    assert '{"name":"thing 1"}' in text and '"name":"thing 2"' in text
    stream = sta.get("Datastreams?$filter=name eq 'Batch stream'")["value"][0]["@iot.id"]
    assert sta.get(f"Datastreams({stream})/Sensor")["name"] == "DS18B20"
    assert sta.get(f"Things({thing})")["name"] == "Patched"


def test_a_failing_change_set_keeps_nothing(sta: Sta, filtering: FilterFixture) -> None:
    sensors = sta.count("Sensors")
    changeset = _multipart(
        "cs",
        [
            "Content-Type: application/http\r\nContent-ID: 1\r\n\r\n"
            "POST Sensors HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
            '{"name":"kept?","description":"no","encodingType":"text","metadata":"m"}',
            "Content-Type: application/http\r\nContent-ID: 2\r\n\r\n"
            "POST Datastreams HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
            '{"name":"incomplete","Sensor":{"@iot.id":"$1"}}',
        ],
    )
    body = _multipart("b", ["Content-Type: multipart/mixed; boundary=cs\r\n\r\n" + changeset])
    response = sta.client.post(
        "/v1.1/$batch",
        content=body,
        headers={**sta.headers, "Content-Type": "multipart/mixed; boundary=b"},
    )
    assert response.status_code == 200
    assert "HTTP/1.1 400 Bad Request" in response.text
    assert sta.count("Sensors") == sensors


def test_json_batch_with_atomicity_groups_and_references(
    sta: Sta, filtering: FilterFixture
) -> None:
    requests = [
        {
            "id": "1",
            "atomicityGroup": "g1",
            "method": "post",
            "url": "Things",
            "body": {"name": "batch thing", "description": "json"},
        },
        {
            "id": "2",
            "atomicityGroup": "g1",
            "method": "post",
            "url": "$1/Locations",
            "body": {
                "name": "batch place",
                "description": "x",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [8, 49]},
            },
        },
        {
            "id": "3",
            "method": "get",
            "url": "Things?$filter=name eq 'batch thing'&$expand=Locations",
        },
        {
            "id": "4",
            "atomicityGroup": "g2",
            "method": "post",
            "url": "Things",
            "body": {"name": "never", "description": "rolled back"},
        },
        {
            "id": "5",
            "atomicityGroup": "g2",
            "method": "patch",
            "url": "Things(9223372036854775807)",
            "body": {"name": "x"},
        },
        {"id": "6", "method": "delete", "url": f"Observations({filtering.observations[0]})"},
        {
            "id": "7",
            "atomicityGroup": "g3",
            "method": "post",
            "url": "CreateObservations",
            "body": [
                {
                    "Datastream": {"@iot.id": filtering.datastreams[1]},
                    "components": ["phenomenonTime", "result"],
                    "dataArray": [["2031-01-01T00:00:00Z", 1], ["2031-01-02T00:00:00Z", 2]],
                }
            ],
        },
    ]
    response = sta.client.post("/v1.1/$batch", json={"requests": requests}, headers=sta.headers)
    assert response.status_code == 200, response.text
    answers = {a["id"]: a for a in response.json()["responses"]}
    assert answers["1"]["status"] == 201 and answers["2"]["status"] == 201
    assert answers["1"]["headers"]["location"].startswith(f"{ROOT}/Things(")
    [found] = answers["3"]["body"]["value"]
    assert [loc["name"] for loc in found["Locations"]] == ["batch place"]
    assert answers["4"]["status"] == 404 and answers["5"]["status"] == 404
    assert answers["6"]["status"] == 200
    assert answers["7"]["status"] == 201 and len(answers["7"]["body"]) == 2
    assert sta.get("Things?$filter=name eq 'never'")["value"] == []
    bad = sta.client.post("/v1.1/$batch", json={"nope": []}, headers=sta.headers)
    assert bad.status_code == 400
    odd = sta.client.post(
        "/v1.1/$batch", content=b"x", headers={**sta.headers, "Content-Type": "text/plain"}
    )
    assert odd.status_code == 415


def test_geojson_and_csv(anonymous: Sta, filtering: FilterFixture) -> None:
    response = anonymous.client.get("/v1.1/Things?$expand=Locations&$resultFormat=GeoJSON")
    assert response.status_code == 200
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    assert [f["geometry"]["type"] for f in collection["features"]] == ["Point", "Point"]
    assert collection["features"][0]["properties"]["name"] == "thing 1"
    response = anonymous.client.get("/v1.1/Observations?$resultFormat=CSV&$orderby=result&$top=3")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["result"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["phenomenonTime"] == "2015-03-01T00:00:00Z"


def test_latest_observation_of_every_datastream(anonymous: Sta, filtering: FilterFixture) -> None:
    body = anonymous.get(
        "Things?$expand=Datastreams($orderby=id;$expand=LatestObservation($select=result))"
    )
    latest = [d["LatestObservation"]["result"] for t in body["value"] for d in t["Datastreams"]]
    assert latest == [3, 6, 9, 12]
    filtered = anonymous.get("Datastreams?$filter=LatestObservation/result gt 8")
    assert sorted(d["name"] for d in filtered["value"]) == ["datastream 2", "datastream 3"]
    assert "LatestObservation@iot.navigationLink" not in anonymous.get("Datastreams")["value"][0]


def test_aggregation_per_interval(sta: Sta, filtering: FilterFixture) -> None:
    stream = filtering.datastreams[0]
    path = f"Datastreams({stream})/Observations"
    for hour in range(6):
        sta.post(path, {"phenomenonTime": f"2015-04-01T{hour:02d}:30:00Z", "result": hour})
    hourly = sta.get(
        f"{path}?$aggregate=PT2H&$filter=phenomenonTime ge 2015-04-01T00:00:00Z&$count=true"
    )
    assert hourly["@iot.count"] == 3
    assert [(b["count"], b["min"], b["max"], b["avg"], b["sum"]) for b in hourly["value"]] == [
        (2, 0.0, 1.0, 0.5, 1.0),
        (2, 2.0, 3.0, 2.5, 5.0),
        (2, 4.0, 5.0, 4.5, 9.0),
    ]
    assert hourly["value"][0]["phenomenonTime"] == "2015-04-01T00:00:00Z/2015-04-01T02:00:00Z"
    monthly = sta.get(f"{path}?$aggregate=P1M")["value"]
    assert [(b["phenomenonTime"], b["count"]) for b in monthly] == [
        ("2015-03-01T00:00:00Z/2015-04-01T00:00:00Z", 3),
        ("2015-04-01T00:00:00Z/2015-05-01T00:00:00Z", 6),
    ]
    weekly = sta.get(f"{path}?$aggregate=P1W")["value"]
    assert weekly[0]["phenomenonTime"].startswith("2015-02-23T00:00:00Z")  # a Monday
    paged = sta.get(f"{path}?$aggregate=PT1H&$top=2")
    assert len(paged["value"]) == 2 and "$aggregate=PT1H" in paged["@iot.nextLink"]
    everything = sta.get("Observations?$aggregate=P1D&$top=100")["value"]
    assert sum(b["count"] for b in everything) == 18
    for bad in ("P1X", "PT0S", "nonsense", "P2M"):
        sta.get(f"{path}?$aggregate={bad}", status=400)
    sta.get("Things?$aggregate=P1D", status=400)


def test_multi_datastreams(sta: Sta, filtering: FilterFixture) -> None:
    thing, sensor = filtering.things[0], filtering.sensors[0]
    stream = sta.post(
        "MultiDatastreams",
        {
            "name": "wind",
            "description": "speed and direction",
            "unitOfMeasurements": [
                {"name": "m/s", "symbol": "m/s", "definition": "x"},
                {"name": "degree", "symbol": "deg", "definition": "y"},
            ],
            "multiObservationDataTypes": [
                "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
                "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            ],
            "Thing": {"@iot.id": thing},
            "Sensor": {"@iot.id": sensor},
            "ObservedProperties": [
                {"@iot.id": filtering.observed_properties[0]},
                {"name": "Wind direction", "definition": "x", "description": "y"},
            ],
        },
    )
    assert len(sta.ids(f"MultiDatastreams({stream})/ObservedProperties")) == 2
    observation = sta.post(
        f"MultiDatastreams({stream})/Observations",
        {"phenomenonTime": "2015-03-01T00:00:00Z", "result": [3.5, 270]},
    )
    assert sta.get(f"Observations({observation})/MultiDatastream")["@iot.id"] == stream
    sta.post(
        f"MultiDatastreams({stream})/Observations",
        {"phenomenonTime": "2015-03-02T00:00:00Z", "result": [3.5]},
        status=400,
    )
    assert sta.get(f"Things({thing})/MultiDatastreams")["value"][0]["observationType"].endswith(
        "OM_ComplexObservation"
    )
    sta.delete(f"ObservedProperties({filtering.observed_properties[0]})")
    sta.get(f"MultiDatastreams({stream})", status=404)


def test_tasking(sta: Sta, filtering: FilterFixture) -> None:
    actuator = sta.post(
        "Actuators",
        {
            "name": "valve",
            "description": "irrigation valve",
            "encodingType": "text",
            "metadata": "none",
        },
    )
    capability = sta.post(
        f"Things({filtering.things[0]})/TaskingCapabilities",
        {
            "name": "open",
            "description": "open the valve",
            "taskingParameters": {"type": "DataRecord", "field": []},
            "Actuator": {"@iot.id": actuator},
        },
    )
    task = sta.post(
        f"TaskingCapabilities({capability})/Tasks", {"taskingParameters": {"minutes": 10}}
    )
    created = sta.get(f"Tasks({task})")
    assert created["taskingParameters"] == {"minutes": 10} and created["creationTime"]
    assert sta.get(f"Tasks({task})/TaskingCapability/Actuator")["name"] == "valve"
    sta.delete(f"Actuators({actuator})")
    sta.get(f"Tasks({task})", status=404)


def test_the_other_filter_extensions_are_listed(anonymous: Sta) -> None:
    conformance = anonymous.get("")["serverSettings"]["conformance"]
    for extension in ("latest-observation", "aggregation"):
        assert any(c.endswith(f"/extensions/sensorthings/{extension}") for c in conformance)
