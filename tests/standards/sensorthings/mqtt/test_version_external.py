"""With an external broker (Mosquitto) MQTT 5 clients connect and publish: Allmende stores
their Observations and publishes its changes to them."""

from __future__ import annotations

import pytest

from allmende.core.settings import Settings
from tests.standards.sensorthings.conftest import Sta
from tests.standards.sensorthings.mqtt.conftest import WAIT, stream, wait_for
from tests.standards.sensorthings.mqtt.test_external import mosquitto
from tests.standards.sensorthings.mqtt.v5 import Client5

pytestmark = pytest.mark.mqtt

__all__ = ["mosquitto"]


@pytest.fixture
def settings(settings: Settings, mosquitto: int) -> Settings:
    return settings.model_copy(update={"mqtt_mode": "external"})


def test_an_mqtt5_client_publishes_and_receives_through_mosquitto(sta: Sta, mosquitto: int) -> None:
    thing, datastream = stream(sta)
    sensor = Client5(mosquitto)
    try:
        assert sensor.reason.value == 0
        sensor.paho.subscribe(f"v1.1/Things({thing})", qos=1)
        for minute in range(3):
            sensor.publish(
                f"v1.1/Datastreams({datastream})/Observations",
                {"phenomenonTime": f"2026-05-01T10:0{minute}:00Z", "result": minute},
            )
        assert wait_for(lambda: sta.count(f"Datastreams({datastream})/Observations") == 3)
        sta.patch(f"Things({thing})", {"name": "Umbenannt"})
        topic, body = sensor.received.get(timeout=WAIT)
        assert topic == f"v1.1/Things({thing})"
        assert body["name"] == "Umbenannt"
    finally:
        sensor.close()
