"""The embedded broker speaks MQTT 3.1.1: an MQTT 5 client gets a CONNACK that refuses its
protocol version (and sees why), and an MQTT 3.1.1 client beside it is not disturbed."""

from __future__ import annotations

import pytest

from tests.standards.sensorthings.conftest import Sta
from tests.standards.sensorthings.mqtt.conftest import Client, stream, wait_for
from tests.standards.sensorthings.mqtt.v5 import Client5
from tests.support.region import Region

pytestmark = pytest.mark.mqtt

UNSUPPORTED_PROTOCOL_VERSION = 0x84


def test_an_mqtt5_client_is_refused_visibly(sta: Sta, region: Region, mqtt_port: int) -> None:
    v5 = Client5(mqtt_port, password=region.key_sensorthings_a)
    try:
        assert v5.reason.is_failure
        assert v5.reason.value == UNSUPPORTED_PROTOCOL_VERSION
        assert str(v5.reason) == "Unsupported protocol version"
        assert not v5.paho.is_connected()
    finally:
        v5.close()
    _, datastream = stream(sta)
    v311 = Client(mqtt_port, password=region.key_sensorthings_a)
    try:
        assert v311.code == 0
        v311.publish(f"v1.1/Datastreams({datastream})/Observations", {"result": 1})
    finally:
        v311.close()
    assert wait_for(lambda: sta.count(f"Datastreams({datastream})/Observations") == 1)
