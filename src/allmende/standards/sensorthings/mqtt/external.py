"""An external broker (Mosquitto, EMQX…): Allmende is one of its clients.

It subscribes to the creating topics as a shared subscription (MQTT 5 ``$share/allmende/…``:
with several workers, each message reaches one of them) and acknowledges each message only
after its Observation is committed (paho's manual acknowledgement). What Allmende publishes
itself on those topics (rendered entities, with an ``@iot.selfLink``) comes back and is passed
over. Changes are published, rendered as for an anonymous reader, to the standard
topics of each public entity (:func:`standard_topics`). Who may publish and subscribe is the
broker's access control; Allmende stores what reaches it as an integrator of the whole region.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.subscribeoptions import SubscribeOptions

from allmende.identity.principal import Principal
from allmende.standards.sensorthings.mqtt.embedded import Intake
from allmende.standards.sensorthings.mqtt.topics import PREFIX, create_target
from allmende.standards.sensorthings.writer import SCOPE

log = logging.getLogger(__name__)

CREATING = (PREFIX + "Observations", PREFIX + "+/Observations")
SHARE = "$share/allmende/"
ECHO = b'"@iot.selfLink"'
#: Whom Observations arriving through an external broker are stored as: its ACL decided.
BRIDGE = Principal(kind="api_key", name="MQTT broker", scopes=frozenset({SCOPE}))


class Bridge:
    """A paho client in its own thread, handing messages to the app's event loop."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str | None,
        password: str | None,
        intake: Intake,
        client_id: str,
    ) -> None:
        self.host = host
        self.port = port
        self._intake = intake
        self._loop: asyncio.AbstractEventLoop | None = None
        self.connected = asyncio.Event()
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=True,
        )
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
        options = SubscribeOptions(qos=1)
        client.subscribe([(SHARE + topic, options) for topic in CREATING])
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.connected.set)

    def _on_message(self, client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        topic = message.topic
        if create_target(topic) is None or self._loop is None or ECHO in message.payload:
            client.ack(message.mid, message.qos)
            return
        future: Future[None] = asyncio.run_coroutine_threadsafe(
            self._intake(BRIDGE, topic, bytes(message.payload), f"broker {topic}"), self._loop
        )

        def acknowledge(done: Future[None]) -> None:
            if done.exception() is None:
                client.ack(message.mid, message.qos)

        future.add_done_callback(acknowledge)
