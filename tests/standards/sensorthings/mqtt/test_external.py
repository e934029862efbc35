"""An external broker: Mosquitto on a free port, Allmende as one of its clients."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from gmqtt import Message
from gmqtt.mqtt.constants import MQTTv311
from gmqtt.mqtt.package import PublishPacket

from allmende.core.settings import Settings
from allmende.standards.sensorthings.mqtt.external import (
    Bridge,
    claim_client_id,
    publish_packet,
)
from tests.standards.sensorthings.conftest import Sta
from tests.standards.sensorthings.mqtt.conftest import Client, stream, wait_for
from tests.support.aio import run_to_end
from tests.support.missing import missing
from tests.support.region import Region

pytestmark = pytest.mark.mqtt


@pytest.fixture
def mosquitto(mqtt_port: int, tmp_path: Path) -> Iterator[int]:
    binary = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if binary is None:
        missing("the external-broker tests need mosquitto (apt install mosquitto)")
    config = tmp_path / "mosquitto.conf"
    # The limits docs/mqtt.md asks of a production broker: Allmende's subscription may hold
    # a whole batch in flight, and a burst is queued rather than dropped.
    config.write_text(
        f"listener {mqtt_port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_inflight_messages 1000\nmax_queued_messages 100000\n"
    )
    process = subprocess.Popen(
        [str(binary), "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                Client(mqtt_port).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield mqtt_port
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def settings(settings: Settings, mosquitto: int) -> Settings:
    return settings.model_copy(update={"mqtt_mode": "external"})


def entities(client: Client, count: int) -> list[tuple[str, Any]]:
    """The next ``count`` rendered entities (raw published messages pass through Mosquitto
    too; they have no @iot.id)."""
    found: list[tuple[str, Any]] = []
    while len(found) < count:
        topic, body = client.next()
        if isinstance(body, dict) and "@iot.id" in body:
            found.append((topic, body))
    return found


def test_observations_published_at_the_broker_are_stored(
    sta: Sta, region: Region, mosquitto: int
) -> None:
    _, datastream = stream(sta)
    sensor = Client(mosquitto, client_id="sensor-ext")
    try:
        for minute in range(5):
            sensor.publish(
                f"v1.1/Datastreams({datastream})/Observations",
                {"phenomenonTime": f"2026-05-01T10:0{minute}:00Z", "result": minute},
            )
        sensor.publish("v1.1/Observations", {"result": 9, "Datastream": {"@iot.id": datastream}})
        sensor.publish(f"v1.1/Datastreams({datastream})/Observations", b"kein JSON")
    finally:
        sensor.close()
    assert wait_for(lambda: sta.count(f"Datastreams({datastream})/Observations") == 6)
    time.sleep(0.3)
    assert sta.count(f"Datastreams({datastream})/Observations") == 6  # no echo stored again
    assert "mqtt" in sta.get("")["serverSettings"]


def test_changes_are_published_to_the_standard_topics(sta: Sta, mosquitto: int) -> None:
    thing, datastream = stream(sta)
    watcher = Client(mosquitto)
    try:
        watcher.subscribe(f"v1.1/Things({thing})", f"v1.1/Datastreams({datastream})/Observations")
        sta.patch(f"Things({thing})", {"name": "Umbenannt"})
        ((topic, body),) = entities(watcher, 1)
        assert topic == f"v1.1/Things({thing})"
        assert body == sta.get(f"Things({thing})")
        created = sta.post(
            f"Datastreams({datastream})/Observations",
            {"phenomenonTime": "2026-05-01T10:00:00Z", "result": 3},
        )
        ((topic, body),) = entities(watcher, 1)
        assert body == sta.get(f"Observations({created})")
        # Internal entities never go to an external broker.
        watcher.subscribe("v1.1/Things")
        hidden = sta.post("Things?public=false", {"name": "Intern", "description": "-"})
        sta.patch(f"Things({thing})", {"name": "Wieder"})
        got = entities(watcher, 2)
        assert {topic for topic, _ in got} == {"v1.1/Things", f"v1.1/Things({thing})"}
        assert {body["@iot.id"] for _, body in got} == {thing} != {hidden}
    finally:
        watcher.close()


def test_each_worker_claims_its_own_client_id_and_a_restart_gets_it_back(tmp_path: Path) -> None:
    first, first_lock = claim_client_id(tmp_path, "allmende-web1")
    second, second_lock = claim_client_id(tmp_path, "allmende-web1")
    assert (first, second) == ("allmende-web1-0", "allmende-web1-1")
    first_lock.close()  # the worker of slot 0 dies
    again, again_lock = claim_client_id(tmp_path, "allmende-web1")
    assert again == "allmende-web1-0"
    default, default_lock = claim_client_id(tmp_path / "other", None)
    assert default == f"allmende-{socket.gethostname()}-0"
    for lock in (second_lock, again_lock, default_lock):
        lock.close()


@pytest.mark.parametrize("size", [0, 123, 124, 16_379, 16_380, 2_097_000])
def test_a_publish_packet_has_the_bytes_gmqtt_builds(size: int) -> None:
    """Sizes on both sides of the remaining length's one-, two- and three-byte forms."""
    topic, payload = "v1.1/Datastreams(7)/Observations", b"x" * size

    class Protocol:  # what gmqtt's builder asks of its protocol
        proto_ver = MQTTv311
        id_generator = SimpleNamespace(next_id=lambda: 513)

    _, built = PublishPacket.build_package(Message(topic, payload, qos=1), Protocol)
    assert publish_packet(513, topic, payload) == bytes(built)


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_a_burst_of_publishes_reaches_subscribers_and_is_acknowledged(
    mosquitto: int, loop: str
) -> None:
    """The bridge builds its packets and writes a burst at once, through gmqtt's private
    attributes (packet ids, outbox, connection): a gmqtt release that renames them shows here.
    uvicorn serves on uvloop."""
    listener = Client(mosquitto)
    listener.subscribe("v1.1/#")
    sent = [(f"v1.1/Things({i})", f'{{"@iot.id": {i}}}'.encode()) for i in range(1, 301)]

    async def run() -> tuple[bool, str]:
        bridge = Bridge(
            host="127.0.0.1",
            port=mosquitto,
            username=None,
            password=None,
            accept=lambda *_: None,
            client_id="allmende-burst-test",
        )
        await bridge.start()
        try:
            await bridge.publish(sent)
            await asyncio.wait_for(bridge._outbox.wait_empty(), 10)  # every PUBACK came
            kind = type(asyncio.get_running_loop()).__module__.split(".")[0]
            return bridge._outbox.is_empty, kind
        finally:
            await bridge.stop()

    import uvloop

    factory = uvloop.new_event_loop if loop == "uvloop" else asyncio.new_event_loop
    try:
        assert run_to_end(run(), factory) == (True, loop)
        received = [listener.next() for _ in sent]
    finally:
        listener.close()
    assert received == [(topic, {"@iot.id": i}) for i, (topic, _) in enumerate(sent, 1)]
