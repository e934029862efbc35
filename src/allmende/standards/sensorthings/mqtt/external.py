"""An external broker (Mosquitto, EMQX…): Allmende is one of its clients.

It subscribes to the creating topics as a shared subscription (``$share/allmende/…``: with
several workers, each message reaches one of them) and acknowledges each message only after
its Observation is committed (paho's manual acknowledgement). Messages cross from paho's
thread to the event loop in bunches (one wake-up for all that arrived meanwhile) and join the
ingestor's batches; each is acknowledged when its batch commits, so nothing waits for one
message's commit before the next is read, and the broker may keep thousands in flight.

The session survives the process: the client id is stable (``mqtt_client_id``, by default
``allmende-<host>``, and a slot: a lock file in the data folder that each worker claims, so a
restarted worker takes the place of the one that died) and the session is not clean, so what
the broker had handed to a worker that died before acknowledging it is sent again when the
worker is back, and what arrives meanwhile waits in the broker. A worker that stops in order
unsubscribes first, stores and acknowledges what it has, then disconnects.

The connection speaks MQTT 3.1.1: paho decodes a 3.1.1 PUBLISH several times faster than an
MQTT 5 one (no properties), and Mosquitto and EMQX honour ``$share`` for 3.1.1 clients too.
Publishers may speak either version. What Allmende publishes itself on those topics (rendered
entities, with an ``@iot.selfLink``) comes back and is passed over. Changes are published,
rendered as for an anonymous reader, to the standard topics of each public entity
(:func:`standard_topics`). Who may publish and subscribe is the broker's access control;
Allmende stores what reaches it as an integrator of the whole region.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

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


class Bridge:
    """A paho client in its own thread, handing messages to the app's event loop."""

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
        self._loop: asyncio.AbstractEventLoop | None = None
        # Messages paho's thread received that the event loop has not taken yet.
        self._inbox: list[paho.MQTTMessage] = []
        self._inbox_lock = threading.Lock()
        self._drain_scheduled = False
        self.connected = asyncio.Event()
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv311,
            clean_session=False,
            manual_ack=True,
        )
        # Changes are published with QoS 1, several topics per entity: paho's default window of
        # 20 unacknowledged messages would hold them back, and with any window paho walks all
        # the messages it holds at each PUBACK (61 against 28 µs of CPU per publish with a
        # window of 1 000). So none: the broker's acknowledgements pace what is in flight.
        self.client.max_inflight_messages_set(0)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.client.connect_async(self.host, self.port)
        self.client.loop_start()
        try:
            await asyncio.wait_for(self.connected.wait(), 10)
        except TimeoutError:
            log.warning("MQTT: no connection to %s:%s yet; retrying", self.host, self.port)

    async def pause(self) -> None:
        """Take no new messages (unsubscribe; the session keeps what is in flight)."""
        if not self.client.is_connected():
            return
        unsubscribed = asyncio.Event()
        loop = asyncio.get_running_loop()

        def confirmed(*_: Any) -> None:
            loop.call_soon_threadsafe(unsubscribed.set)

        self.client.on_unsubscribe = confirmed
        self.client.unsubscribe([SHARE + topic for topic in CREATING])
        try:
            await asyncio.wait_for(unsubscribed.wait(), 5)
        except TimeoutError:
            log.warning("MQTT: the broker did not confirm the unsubscription")
        await asyncio.sleep(0)  # the messages paho read meanwhile reach the ingestor
        self._drain()

    async def stop(self) -> None:
        self.client.disconnect()
        await asyncio.to_thread(self.client.loop_stop)

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1)

    # --- paho's thread ----------------------------------------------------------------------

    def _on_connect(
        self, client: paho.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            log.error("MQTT: the broker refused the connection: %s", reason)
            return
        client.subscribe([(SHARE + topic, 1) for topic in CREATING])
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.connected.set)

    def _on_message(self, client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        loop = self._loop
        if create_target(message.topic) is None or loop is None or ECHO in message.payload:
            client.ack(message.mid, message.qos)
            return
        with self._inbox_lock:
            self._inbox.append(message)
            if self._drain_scheduled:
                return
            self._drain_scheduled = True
        loop.call_soon_threadsafe(self._drain)

    # --- the event loop ---------------------------------------------------------------------

    def _drain(self) -> None:
        with self._inbox_lock:
            messages, self._inbox = self._inbox, []
            self._drain_scheduled = False
        for message in messages:
            topic = message.topic
            self._accept(
                BRIDGE,
                topic,
                bytes(message.payload),
                f"broker {topic}",
                self._acknowledger(message),
            )

    def _acknowledger(self, message: paho.MQTTMessage) -> Done:
        def acknowledge(failure: BaseException | None) -> None:
            # Not stored (the database failed): no acknowledgement; the broker sends it again
            # after a reconnection.
            if failure is None:
                self.client.ack(message.mid, message.qos)

        return acknowledge
