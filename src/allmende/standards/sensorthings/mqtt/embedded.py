"""The embedded broker: amqtt in the app's event loop, with SensorThings behaviour.

* CONNECT: the password (or else the user name) is an API key with the scope
  ``sensorthings``; without one the client is anonymous and sees public entities only.
* PUBLISH to a creating topic: the Observation is stored first, then acknowledged (QoS 1
  PUBACK, QoS 2 PUBREC) — an acknowledged message has been committed. The PUBACK is written
  when the message's batch commits; amqtt reads on meanwhile, so a client's whole in-flight
  window shares the batches. It is not passed on
  to other clients as it was sent: subscribers get the stored entity, as rendered by the API.
* SUBSCRIBE: only SensorThings topics (``v1.1/…``, no wildcards); anything else is refused
  (return code 0x80). Each subscriber gets what its credentials may read.
* CONNECT with MQTT 5: amqtt speaks MQTT 3.1.1 only and would misread the MQTT 5 packet (and
  often close without a word), so the protocol level is read first and an MQTT 5 client gets
  the MQTT 5 CONNACK "Unsupported Protocol Version" (0x84) before the connection is closed.

Who may connect and what may be subscribed or passed on go through amqtt's public plugin API
(:class:`_Policy`, an authentication and topic plugin). Two things have no public hook and stay
overrides, the smallest there are (docs/architecture.md says why and what hook would end them):
the acknowledgement of a PUBLISH only after the Observation is stored (amqtt acknowledges in
its protocol handler before any plugin hears of the message), and the refusal of MQTT 5
before amqtt reads the CONNECT; both are installed in ``_initialize_client_session``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from amqtt.adapters import ReaderAdapter, WriterAdapter
from amqtt.broker import Broker
from amqtt.contexts import Action, BaseContext
from amqtt.errors import MQTTError, NoDataError
from amqtt.mqtt.constants import QOS_0, QOS_1
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.mqtt.publish import PublishPacket
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session as MqttSession

from allmende.identity.principal import ANONYMOUS, Principal
from allmende.standards.sensorthings.mqtt.create import Done
from allmende.standards.sensorthings.mqtt.topics import TopicError, create_target, parse_watch

log = logging.getLogger(__name__)

#: Queues the Observation of a message on a creating topic (principal, topic, payload, label);
#: the callback hears None once it is committed (or refused for good), else the exception
#: (then nothing is acknowledged).
Accept = Callable[[Principal, str, bytes, str, Done], None]
#: Resolves the credentials of a CONNECT to a principal; None refuses the connection.
Authenticator = Callable[[str | None, str | None], Awaitable[Principal | None]]

CONNECT = 1
PUBACK = bytes([0x40, 0x02])  # the fixed header of a PUBACK; the packet id follows
#: Connections being closed after a failed write (kept so that the tasks are not collected).
_CLOSING: set[asyncio.Future[None]] = set()
MQTT_5 = 5
#: CONNACK (MQTT 5): remaining length 3, no session present, reason 0x84, no properties.
UNSUPPORTED_VERSION_CONNACK = bytes([0x20, 0x03, 0x00, 0x84, 0x00])
LONGEST_PROTOCOL_NAME = 6  # "MQIsdp" of MQTT 3.1


class _Replay(ReaderAdapter):  # type: ignore[misc]
    """A reader that gives back the bytes already read before it reads on."""

    def __init__(self, reader: ReaderAdapter, head: bytes) -> None:
        self._reader = reader
        self._head = head

    async def read(self, n: int = -1) -> bytes:
        if not self._head:
            return bytes(await self._reader.read(n))
        if n == -1:
            data, self._head = self._head + bytes(await self._reader.read(-1)), b""
            return data
        data, self._head = self._head[:n], self._head[n:]
        if len(data) < n:
            data += bytes(await self._reader.read(n - len(data)))
        return data

    def feed_eof(self) -> None:
        self._reader.feed_eof()


async def _protocol_level(reader: ReaderAdapter) -> tuple[int | None, bytes]:
    """The protocol level of a CONNECT (None for another packet) and the bytes read for it."""
    head = bytearray()

    async def take(n: int) -> bytes:
        try:
            data = bytes(await reader.read(n))
        except asyncio.IncompleteReadError as exc:
            raise NoDataError("the connection closed before a CONNECT") from exc
        head.extend(data)
        return data

    if (await take(1))[0] >> 4 != CONNECT:
        return None, bytes(head)
    for _ in range(4):  # the remaining length: up to four bytes of seven bits
        if not (await take(1))[0] & 0x80:
            break
    length = int.from_bytes(await take(2), "big")
    if length > LONGEST_PROTOCOL_NAME:
        return None, bytes(head)
    await take(length)
    return (await take(1))[0], bytes(head)


#: The running brokers by name: amqtt builds its plugins from configuration, so a plugin finds
#: its broker through the name in its own configuration.
_BROKERS: dict[str, EmbeddedBroker] = {}
_NAMES = itertools.count(1)


class _Policy(BaseAuthPlugin, BaseTopicPlugin):  # type: ignore[misc]
    """Who may connect (an API key, or anonymous), what may be subscribed (SensorThings
    topics only) and what is passed on (never a message to a creating topic: subscribers get
    the stored Observation instead)."""

    @dataclass
    class Config:
        broker: str = ""

    def __init__(self, context: BaseContext) -> None:
        super().__init__(context)
        self.broker = _BROKERS[self.config.broker]

    async def authenticate(self, *, session: MqttSession) -> bool | None:
        return await self.broker.admit(session)

    async def topic_filtering(
        self,
        *,
        session: MqttSession | None = None,
        topic: str | None = None,
        action: Action | None = None,
    ) -> bool | None:
        if topic is None:
            return False
        if action == Action.SUBSCRIBE:
            try:
                parse_watch(topic)
            except TopicError as exc:
                log.info("MQTT subscription refused: %s", exc, extra={"mqtt": topic})
                return False
            return True
        if action == Action.PUBLISH:
            return create_target(topic) is None
        return True


class _Handler(BrokerProtocolHandler):  # type: ignore[misc]
    """Stores Observations of creating topics before the acknowledgement goes out."""

    accept: Accept
    principal_of: Callable[[MqttSession], Principal]

    async def handle_publish(self, publish_packet: PublishPacket) -> None:
        topic = publish_packet.topic_name
        if topic is None or create_target(topic) is None or self.session is None:
            await super().handle_publish(publish_packet)
            return
        data = bytes(publish_packet.data or b"")
        label = f"{self.session.client_id} {topic}"
        principal = self.principal_of(self.session)
        qos, packet_id = publish_packet.qos, publish_packet.packet_id
        if qos == QOS_0 or (qos == QOS_1 and packet_id is not None):
            # Nothing to deliver: QoS 0 is done once queued, QoS 1 needs only its PUBACK,
            # written when the batch has committed (no coroutine waits per message).
            self.accept(principal, topic, data, label, self._answer(qos, packet_id, label))
            return
        # QoS 2: stored first, then amqtt's handshake (the broker drops the message, as above).
        stored: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.accept(principal, topic, data, label, partial(_settle, stored))
        try:
            await stored
        except Exception:
            self._refuse(label)
            return
        await super().handle_publish(publish_packet)

    def _answer(self, qos: int, packet_id: int | None, label: str) -> Done:
        def answer(failure: BaseException | None) -> None:
            if failure is not None:
                self._refuse(label)
            elif qos == QOS_1 and packet_id is not None and self.writer is not None:
                self.writer.write(PUBACK + packet_id.to_bytes(2, "big"))

        return answer

    def _refuse(self, label: str) -> None:
        """Not stored (the database failed): no acknowledgement. Closing the connection makes
        the client reconnect and send its unacknowledged messages again."""
        log.warning("MQTT message not acknowledged", extra={"mqtt": label})
        task = asyncio.ensure_future(self._drop_connection())
        _CLOSING.add(task)
        task.add_done_callback(_CLOSING.discard)

    async def _drop_connection(self) -> None:
        try:
            if self.writer is not None:
                await self.writer.close()
        except Exception:  # already closed
            log.debug("closing an MQTT connection failed", exc_info=True)


def _settle(future: asyncio.Future[None], failure: BaseException | None) -> None:
    if future.done():
        return
    if failure is None:
        future.set_result(None)
    else:
        future.set_exception(failure)


class EmbeddedBroker(Broker):  # type: ignore[misc]
    """amqtt's broker, listening on ``host:port``, with the behaviour described above."""

    def __init__(
        self, *, host: str, port: int, accept: Accept, authenticate: Authenticator
    ) -> None:
        # amqtt and its state machine log every transition at INFO: noise for operators.
        for name in ("transitions", "amqtt"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self.name = f"embedded-{next(_NAMES)}"
        self._accept = accept
        self._authenticator = authenticate
        self._principals: dict[str, Principal] = {}
        _BROKERS[self.name] = self
        super().__init__(
            {
                "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
                "plugins": {f"{__name__}._Policy": {"broker": self.name}},
                "timeout_disconnect_delay": 2,
            }
        )

    async def shutdown(self) -> None:
        try:
            await super().shutdown()
        finally:
            _BROKERS.pop(self.name, None)

    # --- who is connected -------------------------------------------------------------------

    def principal_of(self, session: MqttSession) -> Principal:
        return self._principals.get(session.client_id or "", ANONYMOUS)

    async def admit(self, session: MqttSession) -> bool:
        """Whether the CONNECT's credentials admit the client, remembering as whom."""
        principal = await self._authenticator(session.username, session.password)
        if principal is None:
            return False
        self._principals[session.client_id or ""] = principal
        return True

    # The one override of a private method: amqtt has no hook before it reads the CONNECT and
    # none that runs before a PUBLISH is acknowledged (see the module's text).
    async def _initialize_client_session(
        self, reader: ReaderAdapter, writer: WriterAdapter, *args: Any, **kwargs: Any
    ) -> Any:
        level, head = await _protocol_level(reader)
        if level == MQTT_5:
            writer.write(UNSUPPORTED_VERSION_CONNACK)
            await writer.drain()
            await writer.close()
            raise MQTTError(
                "an MQTT 5 client was refused: the embedded broker speaks MQTT 3.1.1 "
                "(connect with MQTT 3.1.1, or run an external broker: docs/mqtt.md)"
            )
        handler, session = await super()._initialize_client_session(
            _Replay(reader, head), writer, *args, **kwargs
        )
        handler.__class__ = _Handler
        handler.accept = self._accept
        handler.principal_of = self.principal_of
        return handler, session

    # --- what is watched --------------------------------------------------------------------

    def watching(self) -> bool:
        """Whether anyone subscribed (cheap; safe to ask from another thread)."""
        return bool(self.subscriptions)

    def watched(self) -> dict[str, list[tuple[MqttSession, int]]]:
        """Subscribed topics with their sessions and QoS (a snapshot)."""
        return {topic: list(subs) for topic, subs in self.subscriptions.items() if subs}

    # --- what is sent -----------------------------------------------------------------------

    def send(
        self, session: MqttSession, topic: str, data: bytes, qos: int
    ) -> asyncio.Future[Any] | None:
        """Publish ``data`` to one connected session."""
        if session.transitions.state != "connected":
            return None
        _, handler = self.sessions.get(session.client_id or "", (None, None))
        if handler is None:
            return None
        sent: asyncio.Future[Any] = asyncio.ensure_future(
            handler.mqtt_publish(topic, data, qos, retain=False)
        )
        return sent
