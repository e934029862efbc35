"""An app with the embedded broker on a free port, and a small paho client for the tests."""

from __future__ import annotations

import json
import queue
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from allmende.core.settings import Settings
from tests.standards.sensorthings.conftest import Sta

WAIT = 10.0
VERSION = "v1.1"
REFUSED = 0x80  # SUBACK return code


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def mqtt_port() -> int:
    return free_port()


@pytest.fixture
def settings(settings: Settings, mqtt_port: int) -> Settings:
    return settings.model_copy(
        update={
            "mqtt_mode": "embedded",
            "mqtt_port": mqtt_port,
            "mqtt_batch_ms": 5,
            "base_url": "http://testserver",  # links as the HTTP test client sees them
        }
    )


class Client:
    """A paho client that collects what it receives, with waits that fail loudly."""

    def __init__(
        self,
        port: int,
        *,
        password: str | None = None,
        username: str | None = None,
        client_id: str = "",
    ) -> None:
        self.received: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.granted: queue.Queue[list[int]] = queue.Queue()
        self.connected: queue.Queue[int] = queue.Queue()
        # No reconnecting: a refused client's network thread ends at once, where it would
        # sleep a second before the next try and hold up ``close``.
        self.paho = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, reconnect_on_failure=False
        )
        if username is not None or password is not None:
            self.paho.username_pw_set(username or "sensor", password)
        self.paho.on_message = lambda _c, _u, m: self.received.put(
            (m.topic, json.loads(m.payload) if m.payload else None)
        )
        self.paho.on_subscribe = lambda _c, _u, _m, codes, _p: self.granted.put(
            [c.value for c in codes]
        )
        self.paho.on_connect = lambda _c, _u, _f, reason, _p: self.connected.put(reason.value)
        self.paho.connect("127.0.0.1", port)
        self.paho.loop_start()
        self.code = self.connected.get(timeout=WAIT)

    def subscribe(self, *topics: str) -> list[int]:
        self.paho.subscribe([(t, 1) for t in topics])
        return self.granted.get(timeout=WAIT)

    def publish(self, topic: str, body: Any, qos: int = 1) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.paho.publish(topic, data, qos=qos).wait_for_publish(WAIT)

    def next(self, timeout: float = WAIT) -> tuple[str, Any]:
        return self.received.get(timeout=timeout)

    def nothing(self, sta: Sta) -> None:
        """Nothing has arrived, nor is on its way: a barrier, not a pause.

        A Sensor that only this client watches is changed; its change goes through the app's
        one notification queue after everything the test did before, so its message comes in
        the same batch as anything still pending, or a later one. Once it is here, a SUBSCRIBE
        is answered too: the broker writes to a connection in order, so the rest of that
        batch has arrived by then.
        """
        marker = sta.post(
            "Sensors",
            {"name": "Marke", "description": "-", "encodingType": "text/plain", "metadata": "-"},
        )
        topic = f"{VERSION}/Sensors({marker})"
        assert self.subscribe(topic) == [1]
        sta.patch(f"Sensors({marker})", {"description": "+"})
        assert self.next()[0] == topic, "a message arrived before the marker"
        assert self.subscribe("barrier") == [REFUSED]
        assert self.received.empty(), self.received.get_nowait()

    def close(self) -> None:
        self.paho.disconnect()
        self.paho.loop_stop()


@pytest.fixture
def connect(mqtt_port: int, sta: Sta) -> Iterator[Any]:
    """``connect(password=…)``: a client of the app's broker (started by ``sta``'s client)."""
    clients: list[Client] = []

    def make(**kw: Any) -> Client:
        client = Client(mqtt_port, **kw)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def stream(sta: Sta) -> tuple[int, int]:
    """A Thing with a Location and one Datastream; their ids."""
    thing = sta.post(
        "Things",
        {
            "name": "Wetterstation",
            "description": "Dach",
            "Locations": [
                {
                    "name": "Dach",
                    "description": "Dach",
                    "encodingType": "application/geo+json",
                    "location": {"type": "Point", "coordinates": [8.65, 49.45]},
                }
            ],
        },
    )
    return thing, datastream_of(sta, thing)


def datastream_of(sta: Sta, thing: int, path: str = "Datastreams") -> int:
    """A new Datastream of ``thing`` with a Sensor and ObservedProperty of its own, posted to
    ``path`` (``Datastreams?public=false`` for an internal one); its id."""
    return sta.post(
        path,
        {
            "name": "Lufttemperatur",
            "description": "2 m",
            "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            "unitOfMeasurement": {"name": "Grad Celsius", "symbol": "°C", "definition": "ucum:Cel"},
            "Thing": {"@iot.id": thing},
            "Sensor": {
                "name": "PT100",
                "description": "PT100",
                "encodingType": "text/plain",
                "metadata": "-",
            },
            "ObservedProperty": {"name": "T", "definition": "urn:t", "description": "T"},
        },
    )


def wait_for(check: Any, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


__all__ = ["Client", "Path", "free_port", "stream", "wait_for"]
