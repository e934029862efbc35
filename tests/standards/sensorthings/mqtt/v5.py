"""A paho client speaking MQTT 5, for the version tests against both broker modes."""

from __future__ import annotations

import json
import queue
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from tests.standards.sensorthings.mqtt.conftest import WAIT


class Client5:
    """Connects with ``protocol=MQTTv5`` and records the CONNACK's reason code."""

    def __init__(self, port: int, *, password: str | None = None) -> None:
        self.connack: queue.Queue[ReasonCode] = queue.Queue()
        self.received: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.paho = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        if password is not None:
            self.paho.username_pw_set("sensor", password)
        self.paho.on_connect = lambda _c, _u, _f, reason, _p: self.connack.put(reason)
        self.paho.on_message = lambda _c, _u, m: self.received.put(
            (m.topic, json.loads(m.payload) if m.payload else None)
        )
        self.paho.connect("127.0.0.1", port, clean_start=True)
        self.paho.loop_start()
        self.reason = self.connack.get(timeout=WAIT)

    def publish(self, topic: str, body: Any) -> None:
        properties = Properties(paho.PacketTypes.PUBLISH)
        properties.ContentType = "application/json"
        sent = self.paho.publish(topic, json.dumps(body).encode(), qos=1, properties=properties)
        sent.wait_for_publish(WAIT)

    def close(self) -> None:
        self.paho.disconnect()
        self.paho.loop_stop()
