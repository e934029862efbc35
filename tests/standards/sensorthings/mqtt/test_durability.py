"""QoS 1: an acknowledged Observation survives ``kill -9`` of the server.

A real ``allmende serve`` with the embedded broker takes a stream of QoS 1 messages and is
killed in the middle of it. After a restart every acknowledged message is in the database
exactly once; the sender then resends what was not acknowledged, and the duplicates among
them (stored, but killed before the PUBACK went out) are recognised by their phenomenonTime.

Through Mosquitto the sender's PUBACK comes from the broker; Allmende acknowledges to the
broker after its commit, in a session that outlives the process: killed mid-stream, it gets
after its restart every message it had not acknowledged and every message sent meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.standards.sensorthings.mqtt.conftest import wait_for
from tests.standards.sensorthings.mqtt.test_external import mosquitto
from tests.support.region import Region
from tests.support.served_process import Sender, Server, new_datastream, stored

pytestmark = pytest.mark.mqtt

__all__ = ["mosquitto"]

MESSAGES = 1500
KILL_AFTER = 300


@pytest.fixture
def server(database_url: str, region: Region, tmp_path: Path) -> Iterator[Server]:
    running = Server(database_url, tmp_path)
    running.start()
    yield running
    running.stop()


def test_acknowledged_messages_survive_a_kill(server: Server, region: Region) -> None:
    key = region.key_sensorthings_a
    datastream = new_datastream(server, key)
    topic = f"v1.1/Datastreams({datastream})/Observations"

    sender = Sender(server.mqtt, key, "durability-1")
    for index in range(MESSAGES):
        sender.send(topic, index)
        if index == MESSAGES // 2:
            assert wait_for(lambda: len(sender.acked) >= KILL_AFTER, 60)
            server.kill()  # mid-stream: messages are in flight and queued
            break
    acked = sender.acked
    sender.close()
    assert KILL_AFTER <= len(acked) < MESSAGES

    server.start()
    after_restart = stored(server, key, datastream)
    assert len(after_restart) == len(set(after_restart)), "a message was stored twice"
    assert acked <= set(after_restart), f"lost: {sorted(acked - set(after_restart))[:10]}"

    resender = Sender(server.mqtt, key, "durability-2")
    missing = [i for i in range(MESSAGES) if i not in acked]
    for index in missing:
        resender.send(topic, index)
    assert wait_for(lambda: len(resender.acked) == len(missing), 120)
    resender.close()
    final = stored(server, key, datastream)
    assert sorted(final) == list(range(MESSAGES))


def test_messages_through_mosquitto_survive_a_kill(
    database_url: str, region: Region, tmp_path: Path, mosquitto: int
) -> None:
    key = region.key_sensorthings_a
    server = Server(database_url, tmp_path, mqtt_mode="external", mqtt_port=str(mosquitto))
    server.start()
    try:
        datastream = new_datastream(server, key)
        topic = f"v1.1/Datastreams({datastream})/Observations"
        sender = Sender(mosquitto, key, "durability-ext")
        for index in range(MESSAGES // 2):
            sender.send(topic, index)
        assert wait_for(lambda: len(stored(server, key, datastream)) >= KILL_AFTER, 60)
        server.kill()  # messages may be in flight to Allmende
        for index in range(MESSAGES // 2, MESSAGES):  # the broker keeps them for Allmende
            sender.send(topic, index)
        assert wait_for(lambda: len(sender.acked) == MESSAGES, 60)
        sender.close()
        server.start()
        assert wait_for(lambda: len(stored(server, key, datastream)) >= MESSAGES, 120)
        assert sorted(stored(server, key, datastream)) == list(range(MESSAGES))
    finally:
        server.stop()
