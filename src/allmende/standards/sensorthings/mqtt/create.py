"""Observations published over MQTT: parsed per message, stored in batches.

Every message becomes a :class:`Pending` with a callback. One task collects what arrives (up to
``mqtt_batch_max`` messages, waiting at most ``mqtt_batch_ms`` for more) and stores the batch
in one transaction through :func:`ingest_observations`, the path HTTP uses. The callback runs
only after the commit, so the broker acknowledges a QoS 1 message only once it is stored. The
callback (rather than a task awaiting a future per message) keeps the per-message cost in the
event loop small: the external broker's bridge hands over thousands of messages a second.

A message that is refused (bad JSON, unknown Datastream, no permission, a value the database
refuses) is logged and resolves normally: MQTT has no error reply, and resending it would not
help. When the transaction itself fails, the batch is retried message by message, so one
poisonous message cannot take the others down; a message whose own transaction fails for
another reason (the database is gone) resolves with the exception and is not acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from allmende.core.errors import AllmendeError, BadRequest
from allmende.core.metrics import MQTT_BATCH, MQTT_MESSAGES
from allmende.http.jsonbody import load_json
from allmende.identity.permissions import Action, can, readable_municipalities
from allmende.identity.principal import Principal
from allmende.sensing.ingest import (
    DuplicatePolicy,
    IngestError,
    NewObservation,
    ingest_observations,
)
from allmende.sensing.models import Datastream, MultiDatastream
from allmende.sensing.times import parse_instant, parse_interval, parse_time
from allmende.standards.sensorthings.mqtt.topics import CreateTarget
from allmende.standards.sensorthings.writer import SCOPE
from allmende.storage.database import Database

log = logging.getLogger(__name__)

ALLOWED = frozenset(
    {
        "phenomenonTime",
        "resultTime",
        "result",
        "resultQuality",
        "validTime",
        "parameters",
        "Datastream",
        "MultiDatastream",
        "FeatureOfInterest",
    }
)
MAX_ID = 2**63 - 1


class MessageError(ValueError):
    """Why a published message cannot become an Observation."""


def parse_observation(target: CreateTarget, payload: bytes) -> NewObservation:
    """The Observation a message describes; :class:`MessageError` names the field at fault."""
    try:
        data = load_json(payload, field="message")
    except BadRequest as exc:
        raise MessageError(str(exc)) from None
    if not isinstance(data, dict):
        raise MessageError("the message must be an Observation object")
    unknown = sorted(set(data) - ALLOWED)
    if unknown:
        raise MessageError(f"unknown or read-only members: {', '.join(unknown)[:120]}")
    if "result" not in data:
        raise MessageError("result is required")
    datastream_id = _link(data, "Datastream")
    multi_id = _link(data, "MultiDatastream")
    feature_id = _link(data, "FeatureOfInterest")
    if target.parent == "Datastream":
        datastream_id = _once(datastream_id, multi_id, target.parent_id)
    elif target.parent == "MultiDatastream":
        multi_id = _once(multi_id, datastream_id, target.parent_id)
    elif target.parent == "FeatureOfInterest":
        if feature_id is not None:
            raise MessageError("FeatureOfInterest is given by the topic already")
        feature_id = target.parent_id
    if (datastream_id is None) == (multi_id is None):
        raise MessageError('name the Datastream: {"Datastream": {"@iot.id": <id>}}')
    parameters = data.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise MessageError("parameters must be an object")
    try:
        start, end = _phenomenon(data.get("phenomenonTime"))
        result_time = _instant(data.get("resultTime"))
        valid = _valid(data.get("validTime"))
    except AllmendeError as exc:
        raise MessageError(str(exc)) from None
    return NewObservation(
        datastream_id,
        multi_id,
        feature_id,
        start,
        end,
        result_time,
        valid[0],
        valid[1],
        data["result"],
        data.get("resultQuality"),
        parameters,
    )


def _link(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, dict) and set(value) == {"@iot.id"}:
        value = value["@iot.id"]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise MessageError(f'{name} must be a link {{"@iot.id": <id>}}')
    return value


def _once(named: int | None, other: int | None, by_topic: int | None) -> int | None:
    if named is not None or other is not None:
        raise MessageError("the Datastream is given by the topic already")
    return by_topic


def _phenomenon(value: Any) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    start, end = parse_time(value, field="phenomenonTime")
    return start, None if end == start else end


def _instant(value: Any) -> int | None:
    if value is None:
        return None
    return parse_instant(value, field="resultTime")


def _valid(value: Any) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    return parse_interval(value, field="validTime")


#: Called in the event loop once a message is stored or refused for good (None), or could not
#: be stored (the exception; the message must not be acknowledged).
Done = Callable[[BaseException | None], None]


@dataclass
class Pending:
    """One message waiting for its transaction."""

    row: NewObservation
    principal: Principal
    label: str  # client and topic, for the log
    done: Done


@dataclass
class Ingestor:
    """Collects published Observations and stores them in batches."""

    database: Database
    duplicates: DuplicatePolicy
    batch_max: int = 1000
    batch_ms: int = 10
    stored: int = 0  #: Observations stored since the start (read by tests and the log)
    refused: int = 0
    _queue: asyncio.Queue[Pending] | None = None
    _task: asyncio.Task[None] | None = None
    _full: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._full = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="allmende-mqtt-ingest")

    async def stop(self) -> None:
        """Store what is queued (for a few seconds at most), then stop."""
        if self._queue is not None and self._task is not None and not self._task.done():
            try:
                await asyncio.wait_for(self._queue.join(), 10)
            except TimeoutError:
                log.warning("MQTT: %s queued Observations not stored", self._queue.qsize())
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def enqueue(self, row: NewObservation, principal: Principal, label: str, done: Done) -> None:
        """Queue an Observation; ``done`` hears the outcome (in the event loop's thread)."""
        assert self._queue is not None, "the ingestor is not running"
        self._queue.put_nowait(Pending(row, principal, label, done))
        if self._queue.qsize() + 1 >= self.batch_max:  # with the one the batch holds already
            self._full.set()

    async def _run(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            batch = [await queue.get()]
            if queue.qsize() + 1 < self.batch_max:
                # Wait for company once per batch (not per message): until the batch is full
                # or ``batch_ms`` has passed.
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self.batch_ms / 1000)
            while len(batch) < self.batch_max and not queue.empty():
                batch.append(queue.get_nowait())
            MQTT_BATCH.observe(len(batch))
            outcomes = await asyncio.to_thread(self._store, batch)
            for pending, outcome in zip(batch, outcomes, strict=True):
                queue.task_done()
                try:
                    pending.done(outcome)
                except Exception:
                    log.exception("MQTT: answering a message failed", extra={"mqtt": pending.label})

    def _store(self, batch: list[Pending]) -> list[BaseException | None]:
        try:
            self.database.write(lambda session: self._ingest(session, batch))
            return [None] * len(batch)
        except (IntegrityError, DataError, AllmendeError) as exc:
            if len(batch) == 1:
                # The message itself is at fault: sending it again would fail again.
                self._refuse(batch[0], f"the database refused it ({type(exc).__name__})")
                return [None]
        except Exception as exc:
            if len(batch) == 1:
                log.exception("storing an MQTT Observation failed", extra={"mqtt": batch[0].label})
                return [exc]
        # One message may poison the transaction: store each on its own.
        return [self._store([item])[0] for item in batch]

    def _ingest(self, session: Session, batch: list[Pending]) -> None:
        reasons = _refusals(session, batch)
        rows: list[NewObservation] = []
        kept: list[Pending] = []
        for pending, reason in zip(batch, reasons, strict=True):
            if reason is None:
                rows.append(pending.row)
                kept.append(pending)
            else:
                self._refuse(pending, reason)
        outcome = ingest_observations(session, rows=rows, duplicates=self.duplicates)
        for pending, result in zip(kept, outcome, strict=True):
            if isinstance(result, IngestError):
                self._refuse(pending, result.message)
            else:
                self.stored += 1

    def _refuse(self, pending: Pending, reason: str) -> None:
        self.refused += 1
        MQTT_MESSAGES.labels("refused").inc()
        log.warning("MQTT message dropped: %s", reason, extra={"mqtt": pending.label})


def _refusals(session: Session, batch: list[Pending]) -> list[str | None]:
    """Per message, why its sender may not add to its (Multi)Datastream, or None."""
    wanted: dict[str, set[int]] = {"Datastream": set(), "MultiDatastream": set()}
    for pending in batch:
        name, stream_id = _stream_of(pending.row)
        wanted[name].add(stream_id)
    owners: dict[tuple[str, int], tuple[int, bool]] = {}
    for name, model in (("Datastream", Datastream), ("MultiDatastream", MultiDatastream)):
        ids = sorted(wanted[name])
        for start in range(0, len(ids), 500):
            query = select(model.id, model.municipality_id, model.public).where(
                model.id.in_(ids[start : start + 500])
            )
            for stream_id, municipality_id, public in session.execute(query):
                owners[(name, stream_id)] = (municipality_id, public)
    reasons: list[str | None] = []
    for pending in batch:
        key = _stream_of(pending.row)
        owner = owners.get(key)
        principal = pending.principal
        if owner is not None and not owner[1] and not _may_read(principal, owner[0]):
            owner = None  # as HTTP: an internal stream the sender cannot see is not there
        if owner is None:
            reasons.append(f"No {key[0]} with id {key[1]}.")
        elif not principal.is_authenticated:
            reasons.append("Publishing Observations needs an API key (the MQTT password).")
        elif not can(principal, Action.EDIT, municipality_id=owner[0], scope=SCOPE):
            reasons.append(f"This key may not add Observations to {key[0]} {key[1]}.")
        else:
            reasons.append(None)
    return reasons


def _stream_of(row: NewObservation) -> tuple[str, int]:
    if row.datastream_id is not None:
        return ("Datastream", row.datastream_id)
    assert row.multi_datastream_id is not None
    return ("MultiDatastream", row.multi_datastream_id)


def _may_read(principal: Principal, municipality_id: int) -> bool:
    readable = readable_municipalities(principal, scope=SCOPE)
    return readable is None or municipality_id in readable
