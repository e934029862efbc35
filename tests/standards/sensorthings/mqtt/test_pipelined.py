"""QoS 1 publishers with many messages in flight, through the embedded broker and Mosquitto:
every message is stored once, a bad one among them is dropped without holding up the rest."""

from __future__ import annotations

from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from allmende.core.settings import Settings
from tests.standards.sensorthings.conftest import Sta
from tests.standards.sensorthings.mqtt.conftest import WAIT, stream, wait_for
from tests.standards.sensorthings.mqtt.test_external import mosquitto
from tests.support.region import Region
from tests.support.served_process import moment

pytestmark = pytest.mark.mqtt

__all__ = ["mosquitto"]

CLIENTS = 3
PER_CLIENT = 200
IN_FLIGHT = 100


@pytest.fixture(params=["embedded", "mosquitto"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    if request.param == "embedded":
        return settings
    request.getfixturevalue("mosquitto")
    return settings.model_copy(update={"mqtt_mode": "external"})


def publishers(port: int, key: str) -> list[paho.Client]:
    clients = []
    for number in range(CLIENTS):
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"pipelined-{number}")
        client.username_pw_set("sensor", key)
        client.max_inflight_messages_set(IN_FLIGHT)
        client.connect("127.0.0.1", port)
        client.loop_start()
        clients.append(client)
    return clients


def publish_all(clients: list[paho.Client], messages: list[list[tuple[str, bytes]]]) -> None:
    """Publish every client's messages at once (the windows fill), then wait for every PUBACK."""
    try:
        infos = [
            client.publish(topic, body, qos=1)
            for client, mine in zip(clients, messages, strict=True)
            for topic, body in mine
        ]
        for info in infos:
            info.wait_for_publish(WAIT * 3)
            assert info.is_published()
    finally:
        for client in clients:
            client.disconnect()
            client.loop_stop()


def observation(index: int) -> bytes:
    return f'{{"phenomenonTime": "{moment(index)}", "result": {index}}}'.encode()


def results(sta: Sta, datastream: int) -> list[Any]:
    found: list[Any] = []
    path: str | None = f"Datastreams({datastream})/Observations?$select=result&$top=10000"
    while path:
        page = sta.get(path)
        found.extend(item["result"] for item in page["value"])
        link = page.get("@iot.nextLink")
        path = link[link.index("/v1.1/") + len("/v1.1/") :] if link else None
    return found


def test_every_message_of_pipelined_publishers_is_stored_once(
    sta: Sta, region: Region, mqtt_port: int
) -> None:
    _, datastream = stream(sta)
    topic = f"v1.1/Datastreams({datastream})/Observations"
    messages = [
        [(topic, observation(n * PER_CLIENT + i)) for i in range(PER_CLIENT)]
        for n in range(CLIENTS)
    ]
    publish_all(publishers(mqtt_port, region.key_sensorthings_a), messages)
    total = CLIENTS * PER_CLIENT
    assert wait_for(lambda: sta.count(f"Datastreams({datastream})/Observations") >= total)
    assert sorted(results(sta, datastream)) == list(range(total))


def test_bad_messages_among_good_ones_hold_nothing_up(
    sta: Sta, region: Region, mqtt_port: int
) -> None:
    _, datastream = stream(sta)
    topic = f"v1.1/Datastreams({datastream})/Observations"
    bad = [
        (topic, b"kein JSON"),
        (topic, b'{"phenomenonTime": "2026-05-01T10:00:00Z"}'),  # no result
        (topic, b'{"result": 1, "phenomenonTime": "gestern"}'),
        ("v1.1/Datastreams(999999)/Observations", b'{"result": 1}'),
        (topic, b'{"result": "a\\u0000b"}'),  # refused by the database: the batch is retried
    ]
    messages: list[list[tuple[str, bytes]]] = []
    good: list[int] = []
    for n in range(CLIENTS):
        mine = []
        for i in range(PER_CLIENT):
            index = n * PER_CLIENT + i
            if i % 40 == 7:
                mine.append(bad[(i // 40 + n) % len(bad)])
            else:
                mine.append((topic, observation(index)))
                good.append(index)
        messages.append(mine)
    publish_all(publishers(mqtt_port, region.key_sensorthings_a), messages)
    assert wait_for(lambda: sta.count(f"Datastreams({datastream})/Observations") >= len(good))
    assert sorted(results(sta, datastream)) == good
