"""A real ``allmende serve`` process (to be killed with SIGKILL) and a QoS 1 MQTT sender that
notes which messages were acknowledged; shared by the durability tests and ``bench/crash.py``.

The servers fork from one interpreter that has imported the app already (a multiprocessing
fork server): each start then costs what ``serve`` itself does, not the two seconds of CPU that
importing every module costs again, and the tests start and restart a server a dozen times.
The forked process runs ``python -m allmende serve`` as it is, with its own environment and
log, and dies of ``kill -9`` like any other.
"""

from __future__ import annotations

import multiprocessing
import os
import runpy
import socket
import sys
import threading
import time
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

SRC = Path(__file__).resolve().parents[2] / "src"
SECRET = "test-secret-key-that-is-long-enough-0123456789"  # as tests.conftest
#: What ``serve`` imports (the CLI imports every module); the rest of a start is milliseconds.
PRELOAD = ["__main__", "allmende.cli", "allmende.app", "uvicorn.main"]
_FORKS = multiprocessing.get_context("forkserver")
_FORKS.set_forkserver_preload(PRELOAD)


@cache
def _http() -> httpx.Client:
    """One client for the waits and reads of the test thread: ``httpx.get`` builds an SSL
    context each time (~25 ms of CPU), and the waits poll. It keeps no connection alive, as
    the server it talks to is killed now and then."""
    return httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0))


def _run_allmende(argv: list[str], env: dict[str, str], log: str) -> None:
    """``python -m allmende <argv>`` with ``env``, its output into ``log`` (in the fork)."""
    out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["allmende", *argv]
    runpy.run_module("allmende", run_name="__main__", alter_sys=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def listening_sockets(port: int) -> int:
    """How many IPv4 sockets listen on ``port`` (Linux's ``/proc/net/tcp``; state 0A)."""
    rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(1 for row in rows if row[1].endswith(f":{port:04X}") and row[3] == "0A")


class Server:
    """``allmende serve`` on free ports, with the embedded broker, on an existing database."""

    def __init__(self, database_url: str, tmp: Path, **settings: str) -> None:
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
            **{f"ALLMENDE_{k.upper()}": v for k, v in settings.items()},
        }
        self.log = tmp / "server.log"
        self.process: multiprocessing.process.BaseProcess | None = None

    def start(self) -> None:
        # The database is migrated already (in tests with the test-only example module).
        argv = ["serve", "--no-migrate", "--port", str(self.http)]
        self.process = _FORKS.Process(target=_run_allmende, args=(argv, self.env, str(self.log)))
        self.process.start()
        deadline = time.monotonic() + 180  # generous: a loaded machine starts slowly
        while time.monotonic() < deadline:
            assert self.process.exitcode is None, self.log.read_text()
            try:
                if _http().get(f"{self.url}/v1.1", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"the server did not start:\n{self.log.read_text()}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http}"

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL
        self.process.join(10)

    def stop(self) -> None:
        if self.process is not None and self.process.exitcode is None:
            self.process.terminate()
            self.process.join(20)
            if self.process.exitcode is None:
                self.process.kill()
                self.process.join(10)


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

    def send(self, topic: str, index: int, result: int | None = None) -> None:
        value = index if result is None else result
        body = f'{{"phenomenonTime": "{moment(index)}", "result": {value}}}'
        info = self.client.publish(topic, body, qos=1)
        with self.lock:
            self.by_mid[info.mid] = index

    def close(self) -> None:
        # Disconnect first: the network thread then ends at once, where ``loop_stop`` alone
        # waits for its next wake-up (up to a second).
        self.client.disconnect()
        self.client.loop_stop()


def moment(index: int) -> str:
    """Minute ``index`` of January 2026 onwards, as an ISO instant."""
    day, minute = divmod(index, 1440)
    return f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}T{minute // 60:02d}:{minute % 60:02d}:00Z"


def stored(server: Server, key: str, datastream: int) -> list[int]:
    """Every result of the stream, in id order."""
    results: list[int] = []
    url: str | None = (
        f"{server.url}/v1.1/Datastreams({datastream})/Observations"
        "?$select=result&$orderby=id&$top=10000"
    )
    while url:
        page = _http().get(url, headers={"Authorization": f"Bearer {key}"}).json()
        results.extend(item["result"] for item in page["value"])
        url = page.get("@iot.nextLink")
    return results


def new_datastream(server: Server, key: str) -> int:
    """A Datastream (of a Thing with a Location) to write to; its id."""
    created = _http().post(
        f"{server.url}/v1.1/Datastreams",
        headers={"Authorization": f"Bearer {key}"},
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
    return int(location[location.rindex("(") + 1 : -1])
