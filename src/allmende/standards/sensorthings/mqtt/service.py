"""The MQTT extension of one installation: intake, broker or bridge, and notifications."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from typing import IO, Any
from urllib.parse import urlsplit

from amqtt.errors import BrokerError

from allmende.core.errors import AllmendeError, ConfigurationError
from allmende.core.events import Event
from allmende.core.metrics import MQTT_MESSAGES
from allmende.core.settings import Settings
from allmende.identity import service as identity
from allmende.identity.credentials import split_api_key
from allmende.identity.permissions import ADMIN_SCOPE
from allmende.identity.principal import ANONYMOUS, Principal
from allmende.sensing.ingest import DuplicatePolicy, NewObservation
from allmende.sensing.service import CREATED, OBSERVATIONS_CREATED, UPDATED
from allmende.standards.sensorthings.handlers import Api
from allmende.standards.sensorthings.mqtt.create import (
    Done,
    Ingestor,
    MessageError,
    parse_observation,
)
from allmende.standards.sensorthings.mqtt.embedded import EmbeddedBroker
from allmende.standards.sensorthings.mqtt.external import Bridge, claim_client_id
from allmende.standards.sensorthings.mqtt.notify import (
    Audience,
    Change,
    audience_of,
    changes_of,
    merge,
    messages_for,
    read_context,
    render,
    standard_topics,
)
from allmende.standards.sensorthings.mqtt.topics import Watch, create_target, parse_watch
from allmende.standards.sensorthings.writer import SCOPE

log = logging.getLogger(__name__)

CREATE_CLASS = (
    "http://www.opengis.net/spec/iot_sensing/1.1/req/create-observations-via-mqtt/"
    "observations-creation"
)
RECEIVE_CLASS = (
    "http://www.opengis.net/spec/iot_sensing/1.1/req/receive-updates-via-mqtt/receive-updates"
)
DEFAULT_ROOT = "http://localhost:8000"
RECEIVED = MQTT_MESSAGES.labels("received")  # looked up once: counted per message
SENT = MQTT_MESSAGES.labels("sent")
DROPPED = MQTT_MESSAGES.labels("dropped")
#: Seconds between two warnings that notifications are being dropped.
WARN_EVERY = 60.0


def endpoint(settings: Settings) -> str:
    """The broker's address as clients should use it."""
    host = settings.mqtt_host
    if settings.mqtt_mode == "embedded" and host in ("0.0.0.0", "::", ""):  # noqa: S104
        host = (
            urlsplit(settings.base_url).hostname or "localhost"
            if settings.base_url
            else "localhost"
        )
    return f"mqtt://{host}:{settings.mqtt_port}"


class MqttService:
    """Started and stopped with the app (the adapter's ``start``/``stop``)."""

    def __init__(self, api: Api, settings: Settings) -> None:
        self.api = api
        self.settings = settings
        self.root = (settings.base_url or DEFAULT_ROOT) + "/v1.1"
        self.ingestor = Ingestor(
            api.database,
            DuplicatePolicy(settings.observation_duplicates),
            batch_max=settings.mqtt_batch_max,
            batch_ms=settings.mqtt_batch_ms,
        )
        self.broker: EmbeddedBroker | None = None
        self.bridge: Bridge | None = None
        self._slot: IO[str] | None = None  # the lock that holds the bridge's client id
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changes: asyncio.Queue[Change] | None = None
        self._waiting = 0  # entities of the queued changes
        self.dropped = 0  #: entities whose notifications were dropped since the start
        self._warned = -WARN_EVERY
        self._tasks: set[asyncio.Future[Any]] = set()
        self._notifier: asyncio.Task[None] | None = None
        for name in (CREATED, UPDATED, OBSERVATIONS_CREATED):
            api.database.bus.subscribe(name, self._on_event)

    def describe(self) -> None:
        """Add the MQTT conformance classes and endpoint to the root document."""
        address = {"endpoints": [endpoint(self.settings)]}
        self.api.conformance.extend([CREATE_CLASS, RECEIVE_CLASS])
        self.api.server_settings["mqtt"] = address
        self.api.server_settings[CREATE_CLASS] = address

    # --- lifespan ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._changes = asyncio.Queue()
        await self.ingestor.start()
        settings = self.settings
        if settings.mqtt_mode == "embedded":
            self.broker = EmbeddedBroker(
                host=settings.mqtt_host,
                port=settings.mqtt_port,
                accept=self.accept,
                authenticate=self.authenticate,
            )
            try:
                await self.broker.start()
            except BrokerError as exc:
                self.broker = None
                await self.ingestor.stop()
                raise ConfigurationError(
                    f"MQTT: the embedded broker cannot listen on {settings.mqtt_host}:"
                    f"{settings.mqtt_port} ({exc}). Set ALLMENDE_MQTT_PORT to a free port, or "
                    "ALLMENDE_MQTT_MODE=off."
                ) from None
        else:
            secret = settings.mqtt_password
            name = settings.mqtt_username
            client_id, self._slot = claim_client_id(
                settings.data_dir / "mqtt", settings.mqtt_client_id
            )
            self.bridge = Bridge(
                host=settings.mqtt_host,
                port=settings.mqtt_port,
                username=name.get_secret_value() if name else None,
                password=secret.get_secret_value() if secret else None,
                accept=self.accept,
                client_id=client_id,
            )
            await self.bridge.start()
        self._notifier = asyncio.create_task(self._notify(), name="allmende-mqtt-notify")
        log.info("MQTT %s at %s", settings.mqtt_mode, endpoint(settings))

    async def stop(self) -> None:
        if self._notifier is not None:
            self._notifier.cancel()
            await asyncio.gather(self._notifier, return_exceptions=True)
        if self.broker is not None:
            await self.broker.shutdown()
            self.broker = None
        if self.bridge is not None:
            # No new messages; what arrived is stored and acknowledged before disconnecting.
            await self.bridge.pause()
            await self.ingestor.stop()
            await self.bridge.stop()
            self.bridge = None
        # The broker is closed first: no new messages, and what was queued is still stored.
        await self.ingestor.stop()
        if self._slot is not None:
            self._slot.close()
            self._slot = None
        self._loop = None

    # --- creating ---------------------------------------------------------------------------

    async def authenticate(self, username: str | None, password: str | None) -> Principal | None:
        """The principal of a CONNECT: an API key as password (or user name), else anonymous."""
        key = password or username
        if not key:
            return ANONYMOUS
        try:
            principal = await asyncio.to_thread(self._resolve, key)
        except AllmendeError as exc:
            if not password and split_api_key(key) is None:
                return ANONYMOUS  # a user name alone that is no key: just a name
            log.info("MQTT connection refused: %s", exc)
            return None
        scopes = principal.scopes or frozenset()
        if SCOPE not in scopes and ADMIN_SCOPE not in scopes:
            log.info("MQTT connection refused: the key lacks the scope %s", SCOPE)
            return None
        return principal

    def _resolve(self, key: str) -> Principal:
        with self.api.database.session() as session:
            return identity.resolve_api_key(session, key=key)

    def accept(self, principal: Principal, topic: str, data: bytes, label: str, done: Done) -> None:
        """Queue the message; ``done`` hears when it is stored or refused (None) or could
        not be stored (the exception). In the event loop's thread."""
        row = self._parse(topic, data, label)
        if row is None:
            done(None)
        else:
            self.ingestor.enqueue(row, principal, label, done)

    def _parse(self, topic: str, data: bytes, label: str) -> NewObservation | None:
        target = create_target(topic)
        assert target is not None
        RECEIVED.inc()
        try:
            return parse_observation(target, data)
        except MessageError as exc:
            self.ingestor.refused += 1
            MQTT_MESSAGES.labels("refused").inc()
            log.warning("MQTT message dropped: %s", exc, extra={"mqtt": label})
            return None

    # --- notifying --------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        """In the committing thread: hand the change to the event loop, if anyone listens."""
        loop, queue = self._loop, self._changes
        if loop is None or queue is None:
            return
        if self.broker is not None and not self.broker.watching():
            return
        change = changes_of(event)
        if change is None:
            return
        try:
            loop.call_soon_threadsafe(self._enqueue, queue, change)
        except RuntimeError:  # the loop closed meanwhile
            return

    def _enqueue(self, queue: asyncio.Queue[Change], change: Change) -> None:
        """In the event loop: queue the change, unless ``mqtt_notify_backlog`` entities wait
        already. Notifications go out more slowly than a bulk import stores (four messages
        per Observation to an external broker), and an unbounded queue would hold every row
        of the import in memory; a change is always taken while nothing waits."""
        count = len(change.ids)
        limit = self.settings.mqtt_notify_backlog
        if self._waiting and self._waiting + count > limit:
            self.dropped += count
            DROPPED.inc(count)
            now = time.monotonic()
            if now - self._warned >= WARN_EVERY:
                self._warned = now
                log.warning(
                    "MQTT: the notifications of %s changed entities were dropped since the "
                    "start: changes came faster than they could be sent (mqtt_notify_backlog "
                    "%s)",
                    self.dropped,
                    limit,
                )
            return
        self._waiting += count
        queue.put_nowait(change)

    async def _notify(self) -> None:
        assert self._changes is not None
        queue = self._changes
        while True:
            changes = [await queue.get()]
            while not queue.empty():
                changes.append(queue.get_nowait())
            self._waiting -= sum(len(change.ids) for change in changes)
            try:
                if self.broker is not None:
                    await self._notify_subscribers(self.broker, merge(changes))
                elif self.bridge is not None:
                    messages = await asyncio.to_thread(self._external_messages, merge(changes))
                    await self.bridge.publish(messages)
                    SENT.inc(len(messages))
            except Exception:
                log.exception("MQTT notification failed")

    async def _notify_subscribers(self, broker: EmbeddedBroker, changes: list[Change]) -> None:
        watches: dict[str, tuple[Watch, dict[Audience, Principal]]] = {}
        sessions: dict[tuple[str, Audience], list[tuple[Any, int]]] = defaultdict(list)
        for topic, subscribers in broker.watched().items():
            try:
                watch = parse_watch(topic)
            except ValueError:
                continue
            audiences: dict[Audience, Principal] = {}
            for session, qos in subscribers:
                principal = broker.principal_of(session)
                audience = audience_of(principal)
                audiences.setdefault(audience, principal)
                sessions[(topic, audience)].append((session, qos))
            watches[topic] = (watch, audiences)
        if not watches:
            return
        rendered = await asyncio.to_thread(render, self.api, self.root, changes, watches)
        for topic, audience, messages in rendered:
            for session, qos in sessions[(topic, audience)]:
                for _, payload in messages:
                    sent = broker.send(session, topic, payload, qos)
                    SENT.inc()
                    if sent is not None:
                        self._tasks.add(sent)
                        sent.add_done_callback(self._sent)

    def _sent(self, future: asyncio.Future[Any]) -> None:
        self._tasks.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.info("MQTT delivery failed: %s", future.exception())

    def _external_messages(self, changes: list[Change]) -> list[tuple[str, bytes]]:
        """(topic, payload) for each standard topic of each changed public entity."""
        context = read_context(self.api, self.root, ANONYMOUS)
        messages: list[tuple[str, bytes]] = []
        with self.api.database.session() as session:
            for change in changes:
                watch = parse_watch(f"v1.1/{change.etype.plural}")
                for entity_id, payload in messages_for(self.api, session, context, watch, change):
                    topics = standard_topics(change, entity_id)
                    messages.extend((topic, payload) for topic in topics)
        return messages
