"""The floors under MQTT ingest: what the publishers and the brokers manage with no storage.

``bench/clients.py`` measures QoS 1 publishes (4 paho clients, 256 in flight each) into the
database through the embedded broker and through Mosquitto. This script runs the same
publishers against

* **embedded, no storage**: Allmende's embedded broker (amqtt with its PUBLISH override) in a
  process of its own, acknowledging every message at once: amqtt's own cost per message;
* **Mosquitto, no subscriber**: what the publishers and Mosquitto manage alone (the cost of
  the paho clients on this machine);
* **Mosquitto, acknowledging subscriber**: plus one paho subscriber (MQTT 3.1.1, a shared
  subscription, manual acknowledgements, as Allmende's bridge) that acknowledges at once.

    PYTHONPATH=src python bench/mqtt_floor.py [--messages 20000] [--rounds 3]

Prints messages/s per round and the median; figures on a shared machine are provisional.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from common import Mosquitto, free_port, machine_info, mqtt_start, mqtt_stop, publish_windowed

CLIENTS = 4
INFLIGHT = 256
TOPIC = "v1.1/Datastreams({})/Observations"
PAYLOAD = b'{"phenomenonTime":"2026-06-01T00:00:00Z","result":1.23}'


def publish(port: int, messages: int) -> float:
    """Messages/s of QoS 1 publishes from CLIENTS clients until every PUBACK is back."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    clients = []
    for n in range(CLIENTS):
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"floor-{secrets.token_hex(4)}")
        client.username_pw_set("bench", "x")
        mqtt_start(client, "127.0.0.1", port)
        clients.append((n, client))
    per_client = messages // CLIENTS

    def send(item: tuple[int, Any]) -> None:
        n, client = item
        mine = ((TOPIC.format(n * 10 + i % 10), PAYLOAD) for i in range(per_client))
        if not publish_windowed(client, mine, INFLIGHT):
            raise RuntimeError("a message was not acknowledged within 300 s")

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(send, clients))
    elapsed = time.perf_counter() - started
    for _, client in clients:
        mqtt_stop(client)
    return per_client * CLIENTS / elapsed


def _embedded_broker(port: int, ready: Any) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from allmende.identity.principal import ANONYMOUS
    from allmende.standards.sensorthings.mqtt.embedded import EmbeddedBroker

    def accept(*args: Any) -> None:
        args[-1](None)  # stored at once

    async def authenticate(*_: Any) -> Any:
        return ANONYMOUS

    async def main() -> None:
        broker = EmbeddedBroker(
            host="127.0.0.1", port=port, accept=accept, authenticate=authenticate
        )
        await broker.start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def embedded(messages: int) -> float:
    port = free_port()
    ready = multiprocessing.Event()
    process = multiprocessing.Process(target=_embedded_broker, args=(port, ready), daemon=True)
    process.start()
    try:
        ready.wait(60)
        return publish(port, messages)
    finally:
        process.terminate()
        process.join(10)


class Acknowledger:
    """A subscriber as Allmende's bridge: MQTT 3.1.1, shared, manual acknowledgements."""

    def __init__(self, port: int) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

        self.received = 0
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"ack-{secrets.token_hex(4)}",
            protocol=MQTTProtocolVersion.MQTTv311,
            manual_ack=True,
        )
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.client.subscribe("$share/allmende/v1.1/+/Observations", qos=1)
        subscribed.wait(10)

    def _on_message(self, client: Any, _userdata: Any, message: Any) -> None:
        self.received += 1
        client.ack(message.mid, message.qos)

    def close(self) -> None:
        mqtt_stop(self.client)


def mosquitto(messages: int, *, subscriber: bool) -> float:
    folder = Path(tempfile.mkdtemp(prefix="mqtt-floor-"))
    broker = Mosquitto(folder)
    acknowledger = None
    try:
        port = broker.start()
        acknowledger = Acknowledger(port) if subscriber else None
        rate = publish(port, messages)
        if acknowledger is not None:
            deadline = time.monotonic() + 60
            while acknowledger.received < messages and time.monotonic() < deadline:
                time.sleep(0.05)
        return rate
    finally:
        if acknowledger is not None:
            acknowledger.close()
        broker.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    info = machine_info(None)
    print(f"MQTT floors (bench/mqtt_floor.py): {CLIENTS} clients × {INFLIGHT} in flight, QoS 1")
    print(f"CPU: {info.get('cpu')} | cores: {info.get('cores')}")
    runs: dict[str, list[float]] = {
        "embedded, no storage": [],
        "Mosquitto, no subscriber": [],
        "Mosquitto, acknowledging subscriber": [],
    }
    for number in range(args.rounds):  # interleaved rounds: the load of the machine is shared
        runs["embedded, no storage"].append(embedded(args.messages))
        runs["Mosquitto, no subscriber"].append(mosquitto(args.messages, subscriber=False))
        runs["Mosquitto, acknowledging subscriber"].append(
            mosquitto(args.messages, subscriber=True)
        )
        print(
            f"  round {number + 1}: "
            + ", ".join(f"{name} {rates[-1]:,.0f}/s" for name, rates in runs.items()),
            flush=True,
        )
    for name, rates in runs.items():
        print(
            f"{name:38} {statistics.median(rates):>8,.0f}/s ({min(rates):,.0f}–{max(rates):,.0f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
