"""An external broker (Mosquitto, EMQX…): Allmende is one of its clients.

It subscribes to the creating topics as a shared subscription (``$share/allmende/…``: with
several workers, each message reaches one of them) and acknowledges each message only after
its Observation is committed: the ingestor's callback, after the batch's commit, queues the
message's PUBACK. Messages join the ingestor's batches as they arrive, so nothing waits for
one message's commit before the next is read, and the broker may keep thousands in flight.

The session survives the process: the client id is stable (``mqtt_client_id``, by default
``allmende-<host>``, and a slot: a lock file in the data folder that each worker claims, so a
restarted worker takes the place of the one that died) and the session is not clean, so what
the broker had handed to a worker that died before acknowledging it is sent again when the
worker is back, and what arrives meanwhile waits in the broker. A worker that stops in order
unsubscribes first, stores and acknowledges what it has, then disconnects.

The client is gmqtt, in the app's event loop: it reads the socket in large chunks and writes
each packet with one buffered transport write, where paho (in a thread of its own) reads a
packet a few bytes per system call and wakes its thread for each publish; the bridge costs
about a third of paho's CPU per message. Each QoS 1 message goes to the ingestor as gmqtt
parses it, with a callback rather than a task of its own (gmqtt's way), and the PUBACKs of one
turn of the event loop leave in one write, where gmqtt writes each alone. The connection speaks
MQTT 3.1.1 (no properties to decode), and Mosquitto and EMQX honour ``$share`` for 3.1.1
clients too. Publishers may speak either version. What Allmende publishes itself on those
topics (rendered entities, with an ``@iot.selfLink``) comes back and is passed over. Changes
are published, rendered as for an anonymous reader, to the standard topics of each public
entity (:func:`standard_topics`). Who may publish and subscribe is the broker's access control;
Allmende stores what reaches it as an integrator of the whole region.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import struct
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import IO, Any

from gmqtt import Client, Subscription
from gmqtt.mqtt.constants import MQTTv311
from gmqtt.mqtt.handler import MQTTConnectError
from gmqtt.storage import PersistentStorage

from allmende.identity.principal import Principal
from allmende.standards.sensorthings.mqtt.create import Done
from allmende.standards.sensorthings.mqtt.topics import PREFIX, create_target
from allmende.standards.sensorthings.writer import SCOPE

log = logging.getLogger(__name__)

CREATING = (PREFIX + "Observations", PREFIX + "+/Observations")
SHARE = "$share/allmende/"
ECHO = b'"@iot.selfLink"'
#: Takes a message (principal, topic, payload, label) and calls ``done`` once it is stored.
Accept = Callable[[Principal, str, bytes, str, Done], None]
#: Whom Observations arriving through an external broker are stored as: its ACL decided.
BRIDGE = Principal(kind="api_key", name="MQTT broker", scopes=frozenset({SCOPE}))
#: Publishes sent since the broker last had all acknowledged, at most: packet ids are 16 bits.
WINDOW = 10_000
#: Publishes written at once before other work gets a turn.
BURST = 128
#: Seconds between attempts to reach the broker.
RETRY = 2
#: A PUBACK with reason code 0: its type, a remaining length of 2 and the packet id (the same
#: four bytes in MQTT 3.1.1 and 5).
PUBACK = struct.Struct("!BBH")
PUBACK_TYPE = 0x40
PUBLISH_QOS_1 = b"\x32"  # the type (3), QoS 1, neither DUP nor RETAIN
U16 = struct.Struct("!H")


def claim_client_id(folder: Path, prefix: str | None) -> tuple[str, IO[str]]:
    """A client id no other worker on this host holds, the same after a restart: ``prefix``
    (``allmende-<host name>`` if None) and the lowest slot whose lock file in ``folder`` is
    free. The lock lasts as long as the returned file is open (the process, if it dies)."""
    import fcntl  # POSIX: only the external broker needs it

    folder.mkdir(parents=True, exist_ok=True)
    for slot in itertools.count():
        handle = (folder / f"mqtt-client-{slot}.lock").open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        return f"{prefix or 'allmende-' + socket.gethostname()}-{slot}", handle
    raise AssertionError("unreachable")


def publish_packet(mid: int, topic: str, payload: bytes) -> bytes:
    """A QoS 1 PUBLISH of MQTT 3.1.1 with packet id ``mid``: the bytes gmqtt's builder makes."""
    name = topic.encode()
    remaining = len(name) + len(payload) + 4  # the topic's length and the packet id: 2 each
    length = bytearray()
    while True:  # the remaining length: 7 bits a byte, the high bit says "more follows"
        remaining, digit = divmod(remaining, 128)
        length.append(digit | 0x80 if remaining else digit)
        if not remaining:
            break
    return b"".join((PUBLISH_QOS_1, length, U16.pack(len(name)), name, U16.pack(mid), payload))


class Bridge:
    """A gmqtt client in the app's event loop."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str | None,
        password: str | None,
        accept: Accept,
        client_id: str,
    ) -> None:
        self.host = host
        self.port = port
        self._accept = accept
        self._outbox = PersistentStorage()  # the publishes the broker has not acknowledged
        self._sent = 0  # publishes since the outbox was last seen empty
        self._handling = 0  # received messages not yet stored
        self._acks: list[int] = []  # packet ids to acknowledge at the end of this turn
        self._handled = asyncio.Event()
        self._unsubscribed = asyncio.Event()
        self._connecting: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self.client = Client(
            client_id,
            clean_session=False,
            persistent_storage=self._outbox,
            logger=log,
        )
        self.client.set_config({"reconnect_delay": RETRY})
        if username is not None:
            self.client.set_auth_credentials(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_unsubscribe = self._on_unsubscribe
        # gmqtt would run a task per QoS 1 message and write each PUBACK on its own when the
        # task ends; this takes the message as it is parsed (gmqtt's handler has no public
        # hook for it, hence gmqtt < 0.9 in pyproject.toml).
        self.client._package_handler._handle_qos_1_publish_packet = self._take_qos_1

    async def start(self) -> None:
        self._connecting = asyncio.create_task(self._connect(), name="allmende-mqtt-connect")
        try:
            await asyncio.wait_for(asyncio.shield(self.connected.wait()), 10)
        except TimeoutError:
            log.warning("MQTT: no connection to %s:%s yet; retrying", self.host, self.port)

    async def _connect(self) -> None:
        """Until the first connection; gmqtt reconnects by itself after that."""
        while True:
            try:
                await self.client.connect(self.host, self.port, version=MQTTv311)
                return
            except MQTTConnectError as exc:
                log.error("MQTT: the broker refused the connection: %s", exc)
                return
            except OSError as exc:
                log.info("MQTT: %s:%s not reachable (%s)", self.host, self.port, exc)
                await asyncio.sleep(RETRY)

    async def pause(self) -> None:
        """Take no new messages (unsubscribe; the session keeps what is in flight)."""
        if not self.connected.is_set():
            return
        self._unsubscribed.clear()
        self.client.unsubscribe([SHARE + topic for topic in CREATING])
        try:
            await asyncio.wait_for(self._unsubscribed.wait(), 5)
        except TimeoutError:
            log.warning("MQTT: the broker did not confirm the unsubscription")

    async def stop(self) -> None:
        """Acknowledge what is stored (the handlers of messages still being stored get a few
        seconds), then disconnect."""
        if self._connecting is not None:
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
        if self._handling:
            self._handled.clear()
            try:
                await asyncio.wait_for(self._handled.wait(), 5)
            except TimeoutError:
                log.warning("MQTT: %s messages not acknowledged", self._handling)
        await asyncio.sleep(0)  # the last PUBACKs leave
        await self.client.disconnect()

    async def publish(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Publish with QoS 1, keeping at most ``WINDOW`` unacknowledged; while the broker
        is away, wait for it (gmqtt sends again what it had not acknowledged)."""
        start = 0
        while start < len(messages):
            if self._outbox.is_empty:
                self._sent = 0
            elif self._sent >= WINDOW:
                await self._outbox.wait_empty()
                self._sent = 0
            if not self.connected.is_set():
                await self.connected.wait()
                continue
            chunk = messages[start : start + min(BURST, WINDOW - self._sent)]
            self._write_publishes(chunk)
            self._sent += len(chunk)
            start += len(chunk)
            await asyncio.sleep(0)  # requests and acknowledgements between bursts

    def _write_publishes(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """The messages' packets in one write. gmqtt builds and writes each publish alone
        (one system call each, which on loopback also delivers it to the broker); its packet
        ids and outbox are used as its own publishes use them, so it frees each id at the
        PUBACK and sends what is unacknowledged again after a reconnection."""
        ids = self.client._package_handler.id_generator
        packets = []
        for topic, payload in messages:
            mid = ids.next_id()
            packet = publish_packet(mid, topic, payload)
            self._outbox.push_message(mid, packet)
            packets.append(packet)
        self._send(b"".join(packets))

    # --- gmqtt's callbacks -----------------------------------------------------------------

    def _on_connect(self, client: Any, _flags: Any, _reason: Any, _properties: Any) -> None:
        client.subscribe([Subscription(SHARE + topic, qos=1) for topic in CREATING])
        self.connected.set()

    def _on_disconnect(self, _client: Any, _packet: Any, _exc: Any = None) -> None:
        self.connected.clear()

    def _on_unsubscribe(self, *_: Any) -> None:
        self._unsubscribed.set()

    def _on_message(
        self, _client: Any, topic: str, payload: bytes, _qos: int, _properties: Any
    ) -> int:
        """A QoS 0 message. Those of QoS 1 come to :meth:`_take_qos_1`, as gmqtt parses
        them; none of QoS 2 is sent to us (the subscription asks for QoS 1)."""
        self._take(None, topic, payload)
        return 0

    # --- receiving --------------------------------------------------------------------------

    def _take_qos_1(self, mid: int, payload: bytes, topic: str | bytes, _properties: Any) -> None:
        self._take(mid, topic, payload)

    def _take(self, mid: int | None, topic: str | bytes, payload: bytes) -> None:
        """Store a message; acknowledge it (``mid``: QoS 1) once it is stored or refused."""
        # Echoes first: our own notifications are most of what arrives.
        if ECHO in payload or not isinstance(topic, str) or create_target(topic) is None:
            self._acknowledge(mid)  # our own notification back, or no Observation's topic
            return
        self._handling += 1
        self._accept(BRIDGE, topic, payload, f"broker {topic}", partial(self._stored, mid, topic))

    def _stored(self, mid: int | None, topic: str, failure: BaseException | None) -> None:
        if failure is None:
            self._acknowledge(mid)
        else:  # the database failed: unacknowledged, the broker sends it again
            log.error("MQTT: a message on %s was not stored: %s", topic, failure)
        self._handling -= 1
        if not self._handling:
            self._handled.set()

    def _acknowledge(self, mid: int | None) -> None:
        if mid is None:
            return
        if not self._acks:
            asyncio.get_running_loop().call_soon(self._send_acknowledgements)
        self._acks.append(mid)

    def _send_acknowledgements(self) -> None:
        """One write for the PUBACKs of a turn (a batch's messages are stored together)."""
        acks, self._acks = self._acks, []
        self._send(b"".join([PUBACK.pack(PUBACK_TYPE, 2, mid) for mid in acks]))

    def _send(self, data: bytes) -> None:
        """Packets in one write on gmqtt's connection; while none is open, nothing: the
        publishes wait in the outbox, and the broker sends the unacknowledged messages again
        after the reconnection."""
        connection = self.client._connection
        if connection is not None and not connection.is_closing():
            connection.send_package(data)
