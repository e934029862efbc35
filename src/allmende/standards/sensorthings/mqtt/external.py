"""An external broker (Mosquitto, EMQX…): Allmende is one of its clients.

It subscribes to the creating topics as a shared subscription (``$share/allmende/…``: with
several workers, each message reaches one of them) and acknowledges each message only after
its Observation is committed: each message's handler waits for its batch, and gmqtt sends the
PUBACK when the handler returns. Messages join the ingestor's batches as they arrive, so
nothing waits for one message's commit before the next is read, and the broker may keep
thousands in flight.

The session survives the process: the client id is stable (``mqtt_client_id``, by default
``allmende-<host>``, and a slot: a lock file in the data folder that each worker claims, so a
restarted worker takes the place of the one that died) and the session is not clean, so what
the broker had handed to a worker that died before acknowledging it is sent again when the
worker is back, and what arrives meanwhile waits in the broker. A worker that stops in order
unsubscribes first, stores and acknowledges what it has, then disconnects.

The client is gmqtt, in the app's event loop: it reads the socket in large chunks and writes
each packet with one buffered transport write, where paho (in a thread of its own) reads a
packet a few bytes per system call and wakes its thread for each publish; the bridge costs
about a third of paho's CPU per message. The connection speaks MQTT 3.1.1 (no properties to
decode), and Mosquitto and EMQX honour ``$share`` for 3.1.1 clients too. Publishers may speak
either version. What Allmende publishes itself on those topics (rendered entities, with an
``@iot.selfLink``) comes back and is passed over. Changes are published, rendered as for an
anonymous reader, to the standard topics of each public entity (:func:`standard_topics`).
Who may publish and subscribe is the broker's access control; Allmende stores what reaches it
as an integrator of the whole region.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

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
#: Publishes written at once before other work gets a turn (about 0.7 ms at 5.5 µs each).
BURST = 128
#: Seconds between attempts to reach the broker.
RETRY = 2


class NotStored(Exception):
    """The database could not store a message: it stays unacknowledged (the broker sends it
    again after a reconnection)."""


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


@runtime_checkable
class SocketOptions(Protocol):
    """What the cork needs of a socket (asyncio's and uvloop's transports both hand one)."""

    def setsockopt(self, level: int, option: int, value: int, /) -> None: ...

    def getsockopt(self, level: int, option: int, /) -> int: ...


def socket_of(client: Any) -> SocketOptions | None:
    """The socket of a connected gmqtt client (through its private attributes), else None."""
    transport = getattr(getattr(client, "_connection", None), "_transport", None)
    found = transport.get_extra_info("socket") if transport is not None else None
    return found if isinstance(found, SocketOptions) else None


@contextmanager
def corked(client: Any) -> Iterator[None]:
    """Hold back the writes made meanwhile and send them together (Linux's ``TCP_CORK``).

    gmqtt writes each packet with a system call of its own, and on loopback each one also
    delivers it to the broker: 9.7 µs of CPU per QoS 1 publish and its PUBACK, 5.5 µs corked.
    gmqtt has no public handle on its socket; without one, nothing is held back."""
    sock = socket_of(client)
    if sock is None or not hasattr(socket, "TCP_CORK"):
        yield
        return
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    try:
        yield
    finally:
        with suppress(OSError):  # the connection closed meanwhile
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)


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
        self._handled = asyncio.Event()
        self._unsubscribed = asyncio.Event()
        self._connecting: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self.client = Client(
            client_id,
            clean_session=False,
            optimistic_acknowledgement=False,  # acknowledged when the handler returns
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
        await asyncio.sleep(0)  # gmqtt writes the last PUBACKs as the handlers' tasks end
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
            with corked(self.client):
                for topic, payload in chunk:
                    self.client.publish(topic, payload, qos=1)
            self._sent += len(chunk)
            start += len(chunk)
            await asyncio.sleep(0)  # requests and acknowledgements between bursts

    # --- gmqtt's callbacks -----------------------------------------------------------------

    def _on_connect(self, client: Any, _flags: Any, _reason: Any, _properties: Any) -> None:
        client.subscribe([Subscription(SHARE + topic, qos=1) for topic in CREATING])
        self.connected.set()

    def _on_disconnect(self, _client: Any, _packet: Any, _exc: Any = None) -> None:
        self.connected.clear()

    def _on_unsubscribe(self, *_: Any) -> None:
        self._unsubscribed.set()

    async def _on_message(
        self, _client: Any, topic: str, payload: bytes, _qos: int, _properties: Any
    ) -> int:
        """Returns (and so acknowledges) once the message is stored or refused for good."""
        if create_target(topic) is None or ECHO in payload:
            return 0
        outcome: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        self._handling += 1
        try:
            self._accept(BRIDGE, topic, payload, f"broker {topic}", outcome.set_result)
            failure = await outcome
        finally:
            self._handling -= 1
            if not self._handling:
                self._handled.set()
        if failure is not None:
            raise NotStored(f"{topic}: {failure}")
        return 0
