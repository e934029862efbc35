"""The embedded broker: creating Observations by publishing, subscriptions, credentials."""

from __future__ import annotations

from typing import Any

import pytest

from tests.standards.sensorthings.conftest import Sta
from tests.standards.sensorthings.mqtt.conftest import datastream_of, stream
from tests.support.region import Region

pytestmark = pytest.mark.mqtt


def observations(sta: Sta, datastream: int) -> list[dict[str, Any]]:
    return sta.get(f"Datastreams({datastream})/Observations?$orderby=id")["value"]


def test_root_document_names_the_mqtt_classes_and_endpoint(sta: Sta, mqtt_port: int) -> None:
    settings = sta.get("")["serverSettings"]
    assert (
        "http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-mqtt/"
        "observations-creation" in settings["conformance"]
    )
    assert (
        "http://www.opengis.net/spec/iot_sensing/1.1/req/receive-updates-via-mqtt/receive-updates"
        in settings["conformance"]
    )
    assert settings["mqtt"] == {"endpoints": [f"mqtt://127.0.0.1:{mqtt_port}"]}


def test_publishing_creates_observations_on_every_topic(
    sta: Sta, region: Region, connect: Any
) -> None:
    _thing, datastream = stream(sta)
    feature = sta.post(
        "FeaturesOfInterest",
        {
            "name": "Dach",
            "description": "Dach",
            "encodingType": "application/geo+json",
            "feature": {"type": "Point", "coordinates": [8.65, 49.45]},
        },
    )
    sensor = connect(password=region.key_sensorthings_a, client_id="sensor-1")
    assert sensor.code == 0
    sensor.publish(
        f"v1.1/Datastreams({datastream})/Observations",
        {"phenomenonTime": "2026-05-01T10:00:00Z", "result": 21.5},
    )
    sensor.publish(
        "v1.1/Observations",
        {
            "phenomenonTime": "2026-05-01T10:01:00Z",
            "result": 21.6,
            "Datastream": {"@iot.id": datastream},
        },
    )
    sensor.publish(
        f"v1.1/FeaturesOfInterest({feature})/Observations",
        {
            "phenomenonTime": "2026-05-01T10:02:00Z",
            "result": 21.7,
            "Datastream": {"@iot.id": datastream},
        },
    )
    # QoS 1 is acknowledged after the commit: everything is there at once.
    found = observations(sta, datastream)
    assert [o["result"] for o in found] == [21.5, 21.6, 21.7]
    assert found[0]["phenomenonTime"] == "2026-05-01T10:00:00Z"
    third = sta.get(f"Observations({found[2]['@iot.id']})/FeatureOfInterest")
    assert third["@iot.id"] == feature
    assert sta.get(f"Datastreams({datastream})")["phenomenonTime"] == (
        "2026-05-01T10:00:00Z/2026-05-01T10:02:00Z"
    )


def test_publishing_to_a_multidatastream(sta: Sta, region: Region, connect: Any) -> None:
    thing, datastream = stream(sta)
    sensor_id = sta.get(f"Datastreams({datastream})/Sensor")["@iot.id"]
    prop = sta.get(f"Datastreams({datastream})/ObservedProperty")["@iot.id"]
    multi = sta.post(
        "MultiDatastreams",
        {
            "name": "Wind",
            "description": "Wind",
            "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_ComplexObservation",
            "multiObservationDataTypes": [
                "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
            ],
            "unitOfMeasurements": [{"name": "m/s", "symbol": "m/s", "definition": "ucum:m/s"}],
            "Thing": {"@iot.id": thing},
            "Sensor": {"@iot.id": sensor_id},
            "ObservedProperties": [{"@iot.id": prop}],
        },
    )
    sensor = connect(password=region.key_sensorthings_a)
    sensor.publish(
        f"v1.1/MultiDatastreams({multi})/Observations",
        {"phenomenonTime": "2026-05-01T10:00:00Z", "result": [3.5]},
    )
    values = sta.get(f"MultiDatastreams({multi})/Observations")["value"]
    assert [o["result"] for o in values] == [[3.5]]


def test_many_messages_share_transactions(sta: Sta, region: Region, connect: Any) -> None:
    _, datastream = stream(sta)
    sensor = connect(password=region.key_sensorthings_a)
    infos = [
        sensor.paho.publish(
            f"v1.1/Datastreams({datastream})/Observations",
            f'{{"phenomenonTime": "2026-05-01T10:{minute:02d}:00Z", "result": {minute}}}',
            qos=1,
        )
        for minute in range(60)
    ]
    for info in infos:
        info.wait_for_publish(10)
    assert sta.count(f"Datastreams({datastream})/Observations") == 60


@pytest.mark.parametrize(
    ("topic", "body"),
    [
        ("v1.1/Datastreams({d})/Observations", b"not json"),
        ("v1.1/Datastreams({d})/Observations", b"[1, 2]"),
        ("v1.1/Datastreams({d})/Observations", {"phenomenonTime": "2026-05-01T10:00:00Z"}),
        ("v1.1/Datastreams({d})/Observations", {"result": 1, "phenomenonTime": "gestern"}),
        ("v1.1/Datastreams({d})/Observations", {"result": 1, "colour": "blau"}),
        ("v1.1/Datastreams({d})/Observations", {"result": "a\u0000b"}),
        ("v1.1/Datastreams({d})/Observations", {"result": 1, "validTime": "2026-05-01T10:00:00Z"}),
        ("v1.1/Datastreams(999999)/Observations", {"result": 1}),
        ("v1.1/Observations", {"result": 1}),
        (
            "v1.1/FeaturesOfInterest(999999)/Observations",
            {"result": 1, "Datastream": {"@iot.id": 1}},
        ),
        ("v1.1/Datastreams({d})/Observations", {"result": 1, "Datastream": {"@iot.id": 1}}),
    ],
)
def test_bad_messages_are_dropped_and_the_broker_goes_on(
    sta: Sta, region: Region, connect: Any, topic: str, body: Any
) -> None:
    _, datastream = stream(sta)
    sensor = connect(password=region.key_sensorthings_a)
    sensor.publish(topic.format(d=datastream), body)
    sensor.publish(
        f"v1.1/Datastreams({datastream})/Observations",
        {"phenomenonTime": "2026-05-01T11:00:00Z", "result": 7},
    )
    assert [o["result"] for o in observations(sta, datastream)] == [7]


def test_publishing_needs_a_key_with_write_rights(
    sta: Sta, region: Region, connect: Any, client: Any
) -> None:
    _, datastream = stream(sta)
    topic = f"v1.1/Datastreams({datastream})/Observations"
    anonymous = connect()
    assert anonymous.code == 0
    anonymous.publish(topic, {"result": 1, "phenomenonTime": "2026-05-01T10:00:00Z"})
    # A key of another standard is refused at CONNECT; a wrong key too.
    assert connect(password=region.key_open311).code != 0
    assert connect(password="amk_wrong.wrong").code != 0
    # The key as user name works as well as the key as password.
    sensor = connect(username=region.key_sensorthings_a)
    sensor.publish(topic, {"result": 2, "phenomenonTime": "2026-05-01T10:01:00Z"})
    assert [o["result"] for o in observations(sta, datastream)] == [2]


def test_a_key_of_another_municipality_cannot_publish(
    sta: Sta, region: Region, connect: Any, client: Any
) -> None:
    from tests.support.web import bearer

    # A Datastream of B, created by the admin key.
    admin = Sta(client, bearer(region.key_admin))
    datastream = admin.post(
        "Datastreams?municipality=b-dorf",
        {
            "name": "B",
            "description": "B",
            "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            "unitOfMeasurement": {"name": "x", "symbol": "x", "definition": "x"},
            "Thing": {
                "name": "B-Station",
                "description": "B",
                "Locations": [
                    {
                        "name": "B",
                        "description": "B",
                        "encodingType": "application/geo+json",
                        "location": {"type": "Point", "coordinates": [8.75, 49.45]},
                    }
                ],
            },
            "Sensor": {
                "name": "s",
                "description": "s",
                "encodingType": "text/plain",
                "metadata": "-",
            },
            "ObservedProperty": {"name": "p", "definition": "urn:p", "description": "p"},
        },
    )
    sensor = connect(password=region.key_sensorthings_a)
    sensor.publish(f"v1.1/Datastreams({datastream})/Observations", {"result": 1})
    assert admin.count(f"Datastreams({datastream})/Observations") == 0
    admin_client = connect(password=region.key_admin)
    admin_client.publish(f"v1.1/Datastreams({datastream})/Observations", {"result": 2})
    assert admin.count(f"Datastreams({datastream})/Observations") == 1


def test_subscribers_receive_what_http_and_mqtt_create(
    sta: Sta, region: Region, connect: Any
) -> None:
    _thing, datastream = stream(sta)
    watcher = connect()
    topics = [
        f"v1.1/Datastreams({datastream})/Observations",
        "v1.1/Observations",
        "v1.1/Observations?$select=result,phenomenonTime",
    ]
    assert watcher.subscribe(*topics) == [1, 1, 1]
    created = sta.post(
        f"Datastreams({datastream})/Observations",
        {"phenomenonTime": "2026-05-01T10:00:00Z", "result": 20},
    )
    expected = sta.get(f"Observations({created})")
    selected = sta.get(f"Observations({created})?$select=result,phenomenonTime")
    got = sorted((watcher.next() for _ in topics), key=lambda m: m[0])
    assert dict(got) == {topics[0]: expected, topics[1]: expected, topics[2]: selected}
    assert expected["@iot.selfLink"] == f"http://testserver/v1.1/Observations({created})"

    sensor = connect(password=region.key_sensorthings_a)
    sensor.publish(topics[0], {"phenomenonTime": "2026-05-01T10:05:00Z", "result": 25})
    got = dict(watcher.next() for _ in topics)
    assert got[topics[0]]["result"] == 25
    assert got[topics[2]] == {"result": 25, "phenomenonTime": "2026-05-01T10:05:00Z"}
    watcher.nothing(sta)  # the raw message itself is not passed on


def test_subscriptions_to_things_entities_navigation_and_properties(sta: Sta, connect: Any) -> None:
    thing, datastream = stream(sta)
    watcher = connect()
    topics = [
        "v1.1/Things",
        f"v1.1/Things({thing})",
        f"v1.1/Things({thing})/Datastreams",
        f"v1.1/Things({thing})/name",
        f"v1.1/Things({thing})?$select=name",
        "v1.1/Datastreams?$select=id,name",
    ]
    assert watcher.subscribe(*topics) == [1] * len(topics)
    sta.patch(f"Things({thing})", {"name": "Neuer Name"})
    got = dict(watcher.next() for _ in range(4))
    thing_now = sta.get(f"Things({thing})")
    assert got["v1.1/Things"] == thing_now
    assert got[f"v1.1/Things({thing})"] == thing_now
    assert got[f"v1.1/Things({thing})/name"] == {"name": "Neuer Name"}
    assert got[f"v1.1/Things({thing})?$select=name"] == {"name": "Neuer Name"}
    watcher.nothing(sta)

    new = sta.post(
        f"Things({thing})/Datastreams",
        {
            "name": "Feuchte",
            "description": "2 m",
            "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            "unitOfMeasurement": {"name": "%", "symbol": "%", "definition": "ucum:%"},
            "Sensor": {
                "name": "s",
                "description": "s",
                "encodingType": "text/plain",
                "metadata": "-",
            },
            "ObservedProperty": {"name": "h", "definition": "urn:h", "description": "h"},
        },
    )
    got = dict(watcher.next() for _ in range(2))
    assert got[f"v1.1/Things({thing})/Datastreams"] == sta.get(f"Datastreams({new})")
    assert got["v1.1/Datastreams?$select=id,name"] == sta.get(f"Datastreams({new})?$select=id,name")
    # Sensors and ObservedProperties created with it go to topics nobody watches.
    watcher.nothing(sta)
    assert datastream


def test_internal_entities_reach_only_subscribers_who_may_read_them(
    sta: Sta, region: Region, connect: Any
) -> None:
    thing, _ = stream(sta)
    anonymous = connect()
    insider = connect(password=region.key_sensorthings_a)
    for watcher in (anonymous, insider):
        assert watcher.subscribe("v1.1/Things") == [1]
    hidden = sta.post(
        "Things?public=false", {"name": "Intern", "description": "nur für die Verwaltung"}
    )
    _topic, body = insider.next()
    assert body["@iot.id"] == hidden
    anonymous.nothing(sta)
    sta.patch(f"Things({thing})", {"description": "öffentlich"})
    assert anonymous.next()[1]["@iot.id"] == thing
    assert insider.next()[1]["@iot.id"] == thing


def test_new_observations_of_an_internal_stream_reach_only_who_may_read_them(
    sta: Sta, region: Region, connect: Any
) -> None:
    thing, public = stream(sta)
    internal = datastream_of(sta, thing, "Datastreams?public=false")
    anonymous = connect()
    insider = connect(password=region.key_sensorthings_a)  # reads municipality A's
    admin = connect(password=region.key_admin)  # reads every municipality's
    for watcher in (anonymous, insider, admin):
        assert watcher.subscribe("v1.1/Observations") == [1]
    hidden = sta.post(f"Datastreams({internal})/Observations", {"result": 1})
    shown = sta.post(f"Datastreams({public})/Observations", {"result": 2})
    expected = {
        hidden: sta.get(f"Observations({hidden})"),
        shown: sta.get(f"Observations({shown})"),
    }
    for watcher in (insider, admin):
        got = {body["@iot.id"]: body for _, body in (watcher.next(), watcher.next())}
        assert got == expected
    assert anonymous.next()[1] == expected[shown]
    anonymous.nothing(sta)


def test_topics_that_are_no_resource_paths_are_refused(sta: Sta, connect: Any) -> None:
    watcher = connect()
    refused = 0x80
    assert watcher.subscribe(
        "v1.1/Gadgets",
        "v1.1/#",
        "v1.1/Things?$top=3",
        "weather/today",
        "v1.1/Things(1)/$ref",
        "v1.1/Things",
    ) == [refused, refused, refused, refused, refused, 1]


def test_a_taken_port_stops_the_start_with_a_clear_message(
    settings: Any, database: Any, registry: Any, region: Region
) -> None:
    import socket

    from fastapi.testclient import TestClient

    from allmende.app import create_app
    from allmende.core.errors import ConfigurationError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", settings.mqtt_port))
        taken.listen()
        app = create_app(settings, database=database, registry=registry)
        with pytest.raises(ConfigurationError, match="ALLMENDE_MQTT_PORT"), TestClient(app):
            pass


def test_mqtt_off_starts_nothing_and_announces_nothing(
    settings: Any, database: Any, registry: Any, region: Region
) -> None:
    from fastapi.testclient import TestClient

    from allmende.app import create_app

    off = settings.model_copy(update={"mqtt_mode": "off"})
    with TestClient(create_app(off, database=database, registry=registry)) as client:
        root = client.get("/v1.1").json()["serverSettings"]
    assert "mqtt" not in root
    assert not any("mqtt" in c for c in root["conformance"])


@pytest.mark.parametrize("qos", [0, 2])
def test_qos_0_and_2_create_observations_too(
    sta: Sta, region: Region, connect: Any, qos: int
) -> None:
    _, datastream = stream(sta)
    topic = f"v1.1/Datastreams({datastream})/Observations"
    watcher = connect()
    assert watcher.subscribe(topic) == [1]
    sensor = connect(password=region.key_sensorthings_a)
    sensor.publish(topic, {"phenomenonTime": "2026-05-01T10:00:00Z", "result": qos}, qos=qos)
    _, body = watcher.next()
    assert body["result"] == qos
    assert body["@iot.id"]  # the stored entity, not the message as sent
    watcher.nothing(sta)
    assert [o["result"] for o in observations(sta, datastream)] == [qos]


def test_a_topic_that_expands_beyond_the_limits_gets_no_messages(sta: Sta, connect: Any) -> None:
    thing, _ = stream(sta)
    deep = "Datastreams($expand=Thing($expand=Datastreams($expand=Thing($expand=Datastreams("
    deep += "$expand=Thing)))))"
    greedy, modest = connect(), connect()
    assert greedy.subscribe(f"v1.1/Things?$expand={deep}") == [1]
    assert modest.subscribe("v1.1/Things?$expand=Datastreams") == [1]
    sta.patch(f"Things({thing})", {"name": "Neuer Name"})
    assert modest.next()[1]["name"] == "Neuer Name"
    greedy.nothing(sta)
