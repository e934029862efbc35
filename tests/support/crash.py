"""One crash round: writers on every way in, ``kill -9`` of the server mid-stream, a restart, and
the count of acknowledged Observations that did not survive (which must be none).

Three writers run at once against one new Datastream: single ``POST .../Observations``,
``CreateObservations`` with 50 rows a request, and MQTT QoS 1 publishes. Each Observation's
result is its phenomenonTime's minute, and each writer has its own range of minutes, so after
the restart the stored results say exactly which acknowledged writes are there. Used by
``tests/storage/test_crash_safety.py`` (a few rounds) and ``bench/crash.py`` (100 rounds).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from tests.support.served_process import Sender, Server, moment, new_datastream, stored

#: Each writer's minutes start here (room for 100 000 Observations each).
RANGES = {"single POST": 0, "CreateObservations": 100_000, "MQTT QoS 1": 200_000}
BATCH = 50
#: Acknowledged writes each channel must have before the kill may come.
WARM = {"single POST": 10, "CreateObservations": 2 * BATCH, "MQTT QoS 1": 50}
IN_FLIGHT = 200


@dataclass
class Channel:
    """What one writer sent and which of its Observations (minutes) were acknowledged."""

    name: str
    sent: int = 0
    acknowledged: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self, minutes: list[int]) -> None:
        with self.lock:
            self.acknowledged.update(minutes)

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


@dataclass(frozen=True)
class Tally:
    acknowledged: int
    lost: int
    duplicated: int


@dataclass(frozen=True)
class Round:
    channels: dict[str, Tally]
    stored: int

    @property
    def lost(self) -> int:
        return sum(t.lost for t in self.channels.values())


def _single(
    server: Server, key: str, datastream: int, channel: Channel, stop: threading.Event
) -> None:
    base = RANGES[channel.name]
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}) as http:
        for index in range(100_000):
            if stop.is_set():
                return
            minute = base + index
            channel.sent += 1
            try:
                answer = http.post(
                    f"/v1.1/Datastreams({datastream})/Observations",
                    json={"phenomenonTime": moment(minute), "result": minute},
                    timeout=30,
                )
            except httpx.HTTPError:
                return  # the server is gone: this one was not acknowledged
            if answer.status_code == 201:
                channel.ack([minute])


def _batches(
    server: Server, key: str, datastream: int, channel: Channel, stop: threading.Event
) -> None:
    base = RANGES[channel.name]
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}) as http:
        for start in range(0, 100_000, BATCH):
            if stop.is_set():
                return
            minutes = [base + start + i for i in range(BATCH)]
            channel.sent += BATCH
            body = [
                {
                    "Datastream": {"@iot.id": datastream},
                    "components": ["phenomenonTime", "result"],
                    "dataArray": [[moment(m), m] for m in minutes],
                }
            ]
            try:
                answer = http.post("/v1.1/CreateObservations", json=body, timeout=30)
            except httpx.HTTPError:
                return
            if answer.status_code == 201:
                rows = answer.json()
                channel.ack([m for m, row in zip(minutes, rows, strict=True) if "error" not in row])


def _mqtt(
    server: Server, key: str, datastream: int, channel: Channel, stop: threading.Event
) -> None:
    base = RANGES[channel.name]
    topic = f"v1.1/Datastreams({datastream})/Observations"
    sender = Sender(server.mqtt, key, f"crash-{datastream}")
    try:
        for index in range(100_000):
            if stop.is_set():
                return
            while index - len(sender.acked_mids) > IN_FLIGHT and not stop.is_set():
                time.sleep(0.001)
            sender.send(topic, base + index)
            channel.sent += 1
            channel.ack(sorted(sender.acked - channel.acknowledged))
    finally:
        channel.ack(sorted(sender.acked))
        sender.close()


WRITERS: dict[str, Callable[[Server, str, int, Channel, threading.Event], None]] = {
    "single POST": _single,
    "CreateObservations": _batches,
    "MQTT QoS 1": _mqtt,
}


def crash_round(server: Server, key: str, rng: random.Random) -> Round:
    """Write on every way in, kill the server at a random moment, restart it, count."""
    datastream = new_datastream(server, key)
    channels = {name: Channel(name) for name in WRITERS}
    stop = threading.Event()
    threads = [
        threading.Thread(target=write, args=(server, key, datastream, channels[name], stop))
        for name, write in WRITERS.items()
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while any(c.count() < WARM[n] for n, c in channels.items()):
        assert time.monotonic() < deadline, {n: c.count() for n, c in channels.items()}
        assert all(t.is_alive() for t in threads), "a writer stopped before the kill"
        time.sleep(0.01)
    time.sleep(rng.uniform(0, 0.5))
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(60)
    server.start()
    results = stored(server, key, datastream)
    present = set(results)
    copies = Counter(results)
    tallies = {}
    for name, channel in channels.items():
        low = RANGES[name]
        mine = range(low, low + 100_000)
        tallies[name] = Tally(
            acknowledged=len(channel.acknowledged),
            lost=len(channel.acknowledged - present),
            duplicated=sum(n - 1 for m, n in copies.items() if n > 1 and m in mine),
        )
    return Round(tallies, len(results))
