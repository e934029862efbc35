"""The MQTT figures at /metrics: messages received, refused and sent; Observations per batch."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY

from tests.standards.sensorthings.conftest import Sta
from tests.standards.sensorthings.mqtt.conftest import stream, wait_for
from tests.support.region import Region

pytestmark = pytest.mark.mqtt


def count(kind: str) -> float:
    return REGISTRY.get_sample_value("allmende_mqtt_messages_total", {"kind": kind}) or 0.0


def batched() -> float:
    return REGISTRY.get_sample_value("allmende_mqtt_batch_size_sum") or 0.0


def test_messages_are_counted(sta: Sta, region: Region, connect: Any) -> None:
    _, datastream = stream(sta)
    topic = f"v1.1/Datastreams({datastream})/Observations"
    watcher = connect(password=region.key_sensorthings_a)
    watcher.subscribe(topic)
    received, refused, sent = count("received"), count("refused"), count("sent")
    stored = batched()
    sensor = connect(password=region.key_sensorthings_a)
    sensor.publish(topic, {"phenomenonTime": "2026-05-01T10:00:00Z", "result": 1})
    sensor.publish(topic, b"not JSON")
    watcher.next()  # the stored Observation, sent to the subscriber
    assert wait_for(lambda: count("sent") >= sent + 1 and count("refused") >= refused + 1)
    assert (count("received"), count("refused")) == (received + 2, refused + 1)
    assert batched() == stored + 1  # what cannot be parsed never reaches a batch
