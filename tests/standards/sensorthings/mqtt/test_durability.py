"""QoS 1: an acknowledged Observation survives ``kill -9`` of the server.

A real ``allmende serve`` with the embedded broker takes a stream of QoS 1 messages and is
killed in the middle of it. After a restart every acknowledged message is in the database
exactly once; the sender then resends what was not acknowledged, and the duplicates among
them (stored, but killed before the PUBACK went out) are recognised by their phenomenonTime.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.conftest import SECRET
from tests.standards.sensorthings.mqtt.conftest import free_port, wait_for
from tests.support.region import Region

pytestmark = pytest.mark.mqtt

MESSAGES = 1500
KILL_AFTER = 300
SRC = Path(__file__).resolve().parents[4] / "src"


class Server:
    def __init__(self, database_url: str, tmp: Path) -> None:
        self.http = free_port()
        self.mqtt = free_port()
        self.env = {
            **os.environ,
            "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
            "ALLMENDE_MODE": "dev",
            "ALLMENDE_SECRET_KEY": SECRET,
            "ALLMENDE_DATABASE_URL": database_url,
            "ALLMENDE_MQTT_MODE": "embedded",
            "ALLMENDE_MQTT_HOST": "127.0.0.1",
            "ALLMENDE_MQTT_PORT": str(self.mqtt),
            "ALLMENDE_OBSERVATION_DUPLICATES": "ignore",
            "ALLMENDE_RUN_JOBS": "false",
            "ALLMENDE_DATA_DIR": str(tmp / "data"),
            "ALLMENDE_LOG_LEVEL": "WARNING",
        }
        self.log = tmp / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                # The test database is migrated already (with the test-only example module).
                [
                    sys.executable,
                    "-m",
                    "allmende",
                    "serve",
                    "--no-migrate",
                    "--port",
                    str(self.http),
                ],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.url}/v1.1", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the server did not start:\n{self.log.read_text()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http}"

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def server(database_url: str, region: Region, tmp_path: Path) -> Iterator[Server]:
    running = Server(database_url, tmp_path)
    running.start()
    yield running
    running.stop()


class Sender:
    """Publishes message ``i`` (phenomenonTime = minute i) and notes which were acknowledged."""

    def __init__(self, port: int, key: str, client_id: str) -> None:
        self.acked_mids: set[int] = set()
        self.by_mid: dict[int, int] = {}
        self.lock = threading.Lock()
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False
        )
        self.client.username_pw_set("sensor", key)
        self.client.max_inflight_messages_set(100)
        self.client.on_publish = self._on_publish
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_publish(self, _c: Any, _u: Any, mid: int, _reason: Any, _props: Any) -> None:
        # paho calls this holding its own lock: never publish while holding ours.
        with self.lock:
            self.acked_mids.add(mid)

    @property
    def acked(self) -> set[int]:
        """Indexes of the acknowledged messages (a mid is not reused below 65535 messages)."""
        with self.lock:
            return {self.by_mid[m] for m in self.acked_mids if m in self.by_mid}

    def send(self, topic: str, index: int) -> None:
        body = f'{{"phenomenonTime": "{moment(index)}", "result": {index}}}'
        info = self.client.publish(topic, body, qos=1)
        with self.lock:
            self.by_mid[info.mid] = index

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def moment(index: int) -> str:
    return f"2026-01-{1 + index // 1440:02d}T{index // 60 % 24:02d}:{index % 60:02d}:00Z"


def stored(server: Server, key: str, datastream: int) -> list[int]:
    results: list[int] = []
    url: str | None = (
        f"{server.url}/v1.1/Datastreams({datastream})/Observations"
        "?$select=result&$orderby=id&$top=10000"
    )
    while url:
        page = httpx.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=30).json()
        results.extend(item["result"] for item in page["value"])
        url = page.get("@iot.nextLink")
    return results


def test_acknowledged_messages_survive_a_kill(server: Server, region: Region) -> None:
    key = region.key_sensorthings_a
    headers = {"Authorization": f"Bearer {key}"}
    created = httpx.post(
        f"{server.url}/v1.1/Datastreams",
        headers=headers,
        json={
            "name": "Zähler",
            "description": "d",
            "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            "unitOfMeasurement": {"name": "n", "symbol": "n", "definition": "n"},
            "Thing": {
                "name": "T",
                "description": "T",
                "Locations": [
                    {
                        "name": "L",
                        "description": "L",
                        "encodingType": "application/geo+json",
                        "location": {"type": "Point", "coordinates": [8.65, 49.45]},
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
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    datastream = int(location[location.rindex("(") + 1 : -1])
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
