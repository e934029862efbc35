"""Actuation: SensorThings Tasking with delivery tracking (``allmende.sdk.actuation``).

A module that controls a device (a valve, a misting system, a heating setpoint) makes a
TaskingCapability once with :func:`ensure_actuator` and sends Tasks with :func:`send_task`.
A Task is an ordinary SensorThings Task: devices read it at
``/v1.1/TaskingCapabilities(id)/Tasks`` or receive it on the MQTT topic of the same name.

The platform also records a delivery per Task. STA Tasking 1.0 says nothing about how a device
reports that it carried a Task out, so Allmende uses the sensing half of the same standard:
every capability has a **feedback Datastream** on its Thing (named after the capability, its
id in the capability's ``properties.feedbackDatastream``), and the device acknowledges by
creating an Observation there (HTTP POST or MQTT publish) with ``"parameters": {"task": id}``
and ``"result": "done"`` (or ``"failed"``, with ``"error"`` in the parameters). Any STA client
can do that; docs/tasking.md is the contract.

The kernel job :data:`JOB` (woken by every batch of Observations, and every few seconds)
marks acknowledged deliveries ``done``, resends unacknowledged Tasks as new Tasks after a
timeout with exponential backoff, and after the last attempt marks them ``failed``, publishes
the durable event ``sensing.task.failed`` and notifies the municipality's staff. All pending
deliveries are handled in one pass without waiting on any device, so one that never answers
delays no other.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.core.errors import N_, ValidationFailed
from allmende.core.events import Event
from allmende.core.messages import Message, message_from_json, message_to_json
from allmende.core.registry import JobSpec
from allmende.core.timeutil import utcnow
from allmende.delivery.events import publish
from allmende.delivery.notifications import notify_staff
from allmende.sensing import service, vocabulary
from allmende.sensing.models import (
    Observation,
    Task,
    TaskAttempt,
    TaskDelivery,
    TaskingCapability,
    Thing,
)
from allmende.sensing.read import ensure_datastream
from allmende.sensing.results import decode_result
from allmende.sensing.service import OBSERVATIONS_CREATED
from allmende.sensing.times import now_micros, to_micros
from allmende.storage.events import emit
from allmende.storage.id_sets import in_set

__all__ = [
    "DONE",
    "FAILED",
    "JOB",
    "PENDING",
    "TASK_DONE",
    "TASK_FAILED",
    "TaskState",
    "ensure_actuator",
    "process_deliveries",
    "send_task",
    "task_states",
]

PENDING, DONE, FAILED = "pending", "done", "failed"
#: Durable event after a Task failed for good (the device refused it, or never answered).
TASK_FAILED = "sensing.task.failed"
#: In-process event after a device acknowledged a Task (not stored: it is frequent).
TASK_DONE = "sensing.task.done"
ACTUATOR_METADATA = "https://allmende.example/docs/tasking.html"
OBSERVATION = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Observation"
#: Results that acknowledge a Task as carried out, or as refused.
DONE_RESULTS = ("done", "ok", True)
FAILED_RESULTS = ("failed", "refused", False)
#: Why a Task failed when the device gave no words of its own; stored as these source strings
#: and translated where shown (the attempts are counted beside them).
REFUSED = N_("the device refused the Task")
UNANSWERED = N_("no acknowledgement from the device")
#: Acknowledgements stamped this long before the Task (a device clock running late) count.
CLOCK_SKEW = timedelta(hours=1)
#: The longest wait between two attempts, however many there were.
MAX_BACKOFF = timedelta(hours=1)
#: Deliveries looked at per pass (the oldest attempts first); the rest wait for the next one.
BATCH = 2000


@dataclass(frozen=True)
class TaskState:
    """A Task the platform sent, as staff see it."""

    task_id: int
    capability_id: int
    capability_name: str
    thing_id: int
    thing_name: str
    municipality_id: int
    parameters: dict[str, Any]
    reason: str
    origin: str
    state: str
    attempts: int
    last_task_id: int
    created: datetime
    last_attempt: datetime
    acknowledged: datetime | None
    error: str | None


# --- capabilities ----------------------------------------------------------------------------


def _fields(parameters: Any) -> list[str]:
    """The field names of a SWE Common ``DataRecord`` (STA Tasking's ``taskingParameters``)."""
    if not isinstance(parameters, dict) or parameters.get("type") != "DataRecord":
        raise ValidationFailed.one("parameters", 'must be a SWE Common {"type": "DataRecord"}')
    fields = parameters.get("field", parameters.get("fields"))
    if not isinstance(fields, list) or not fields:
        raise ValidationFailed.one("parameters.field", "must be a non-empty list of fields")
    names: list[str] = []
    for index, item in enumerate(fields):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name:
            raise ValidationFailed.one(f"parameters.field[{index}].name", "is missing")
        names.append(name)
    return names


def ensure_actuator(
    session: Session,
    *,
    thing_id: int,
    name: str,
    description: str,
    parameters: dict[str, Any],
    public: bool = False,
    properties: dict[str, Any] | None = None,
) -> int:
    """The TaskingCapability ``name`` of a Thing, made with its Actuator and feedback
    Datastream if missing; returns its id. ``parameters`` is the SWE Common JSON
    ``taskingParameters`` (a ``DataRecord`` with a ``field`` list). An existing capability
    takes the given description, parameters and visibility."""
    _fields(parameters)
    thing = service.get(session, Thing, thing_id)
    found = session.scalar(
        select(TaskingCapability)
        .where(TaskingCapability.thing_id == thing_id, TaskingCapability.name == name)
        .order_by(TaskingCapability.id)
        .limit(1)
    )
    feedback = ensure_datastream(
        session,
        thing_id=thing_id,
        name=f"{name} – feedback",
        definition=vocabulary.TASK_FEEDBACK,
        observed_property_name="Task feedback",
        unit_name="",
        unit_symbol="",
        unit_definition="",
        description=f"Acknowledgements of the Tasks of '{name}' (see {ACTUATOR_METADATA}).",
        public=public,
        observation_type=OBSERVATION,
    )
    extra = {**(properties or {}), "feedbackDatastream": {"@iot.id": feedback}}
    if found is not None:
        changes = {
            key: value
            for key, value in (
                ("description", description),
                ("tasking_parameters", parameters),
                ("public", public),
                ("properties", {**(found.properties or {}), **extra}),
            )
            if getattr(found, key) != value
        }
        if changes:
            service.update_entity(
                session, kind="TaskingCapability", entity_id=found.id, values=changes
            )
        return int(found.id)
    owner = {"municipality_id": thing.municipality_id, "public": public}
    actuator = service.create_entity(
        session,
        kind="Actuator",
        values={
            **owner,
            "name": name,
            "description": description,
            "encoding_type": "text/html",
            "metadata_": ACTUATOR_METADATA,
        },
    )
    capability = service.create_entity(
        session,
        kind="TaskingCapability",
        values={
            **owner,
            "name": name,
            "description": description,
            "tasking_parameters": parameters,
            "properties": extra,
            "thing_id": thing_id,
            "actuator_id": actuator.id,
        },
    )
    return int(capability.id)


# --- sending ---------------------------------------------------------------------------------


def _new_task(session: Session, capability_id: int, parameters: dict[str, Any]) -> int:
    task = service.create_entity(
        session,
        kind="Task",
        values={
            "tasking_capability_id": capability_id,
            "creation_time": now_micros(),
            "tasking_parameters": parameters,
        },
    )
    return int(task.id)


def send_task(
    session: Session,
    *,
    capability_id: int,
    parameters: dict[str, Any],
    reason: str,
    origin: str,
) -> int:
    """Create a Task for the capability and track its delivery; returns the Task's id.

    ``parameters`` are the Task's ``taskingParameters``: values for fields the capability
    declares. ``reason`` says why in words staff read ("heat warning for Altstadt");
    ``origin`` names the sender (``heat.action-plan``).
    """
    capability = service.get(session, TaskingCapability, capability_id)
    if not isinstance(parameters, dict) or not parameters:
        raise ValidationFailed.one("parameters", "must be a non-empty JSON object")
    unknown = sorted(set(parameters) - set(_fields(capability.tasking_parameters)))
    if unknown:
        raise ValidationFailed.one(
            f"parameters.{unknown[0]}", f"is not a field of TaskingCapability {capability_id}"
        )
    if not origin or len(origin) > 200:
        raise ValidationFailed.one("origin", "must be 1 to 200 characters")
    task_id = _new_task(session, capability_id, parameters)
    now = utcnow()
    session.add(
        TaskDelivery(
            task_id=task_id,
            tasking_capability_id=capability_id,
            reason=reason,
            reason_text=message_to_json(reason),
            origin=origin,
            state=PENDING,
            attempts=1,
            last_task_id=task_id,
            created_at=now,
            last_attempt_at=now,
        )
    )
    session.flush()
    session.add(TaskAttempt(task_id=task_id, delivery_id=task_id))
    session.flush()
    return task_id


# --- following up ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one pass over the pending deliveries did (task ids)."""

    done: tuple[int, ...] = ()
    resent: tuple[int, ...] = ()
    failed: tuple[int, ...] = ()


def _backoff(attempts: int, timeout: timedelta) -> timedelta:
    wait: timedelta = timeout * (2 ** max(0, attempts - 1))
    return min(wait, max(MAX_BACKOFF, timeout))


def process_deliveries(
    session: Session,
    *,
    now: datetime,
    ack_timeout: timedelta,
    max_attempts: int,
) -> Outcome:
    """One pass: acknowledgements in, resends and failures out (the job's work)."""
    pending = list(
        session.scalars(
            select(TaskDelivery)
            .where(TaskDelivery.state == PENDING)
            .order_by(TaskDelivery.last_attempt_at)
            .limit(BATCH)
        )
    )
    if not pending:
        return Outcome()
    by_task = {d.task_id: d for d in pending}
    attempts = dict(
        session.execute(
            select(TaskAttempt.task_id, TaskAttempt.delivery_id).where(
                in_set(TaskAttempt.delivery_id, sorted(by_task))
            )
        ).all()
    )
    capabilities = {
        c.id: c
        for c in session.scalars(
            select(TaskingCapability).where(
                in_set(TaskingCapability.id, sorted({d.tasking_capability_id for d in pending}))
            )
        )
    }
    answers = _acknowledgements(session, pending, capabilities, attempts)
    done: list[int] = []
    resent: list[int] = []
    failed: list[int] = []
    for delivery in pending:
        answer = answers.get(delivery.task_id)
        capability = capabilities[delivery.tasking_capability_id]
        if answer is not None:
            ok, error = answer
            delivery.acknowledged_at = now
            if ok:
                delivery.state = DONE
                done.append(delivery.task_id)
                emit(session, Event(TASK_DONE, _summary(delivery, capability)))
            else:
                _fail(session, delivery, capability, error or REFUSED)
                failed.append(delivery.task_id)
            continue
        if now < delivery.last_attempt_at + _backoff(delivery.attempts, ack_timeout):
            continue
        if delivery.attempts >= max_attempts:
            _fail(session, delivery, capability, UNANSWERED)
            failed.append(delivery.task_id)
            continue
        first = service.get(session, Task, delivery.task_id)
        again = _new_task(session, capability.id, first.tasking_parameters)
        session.add(TaskAttempt(task_id=again, delivery_id=delivery.task_id))
        delivery.attempts += 1
        delivery.last_task_id = again
        delivery.last_attempt_at = now
        resent.append(delivery.task_id)
    session.flush()
    return Outcome(tuple(done), tuple(resent), tuple(failed))


def _acknowledgements(
    session: Session,
    pending: list[TaskDelivery],
    capabilities: Mapping[int, TaskingCapability],
    attempts: Mapping[int, int],
) -> dict[int, tuple[bool, str | None]]:
    """Per delivery (first task id): (carried out?, error) from the feedback Datastreams."""
    streams = sorted(
        {stream for c in capabilities.values() if (stream := _feedback_stream(c)) is not None}
    )
    if not streams:
        return {}
    since = min(d.created_at for d in pending) - CLOCK_SKEW
    rows = session.execute(
        select(
            Observation.parameters,
            Observation.result_kind,
            Observation.result_number,
            Observation.result_text,
            Observation.result_json,
        )
        .where(
            in_set(Observation.datastream_id, streams),
            Observation.phenomenon_time >= to_micros(since),
            Observation.parameters.is_not(None),
        )
        .order_by(Observation.phenomenon_time)
    ).all()
    found: dict[int, tuple[bool, str | None]] = {}
    for parameters, kind, number, text, data in rows:
        task = parameters.get("task") if isinstance(parameters, dict) else None
        delivery = attempts.get(task) if isinstance(task, int) else None
        if delivery is None:
            continue
        result = decode_result(kind, number, text, data)
        error = parameters.get("error")
        if _is(result, DONE_RESULTS):
            found[delivery] = (True, None)
        elif _is(result, FAILED_RESULTS):
            found.setdefault(delivery, (False, str(error)[:500] if error else None))
    return found


def _is(result: Any, tokens: tuple[Any, ...]) -> bool:
    if isinstance(result, bool):
        return any(t is result for t in tokens)
    return isinstance(result, str) and result.strip().lower() in tokens


def _feedback_stream(capability: TaskingCapability) -> int | None:
    link = (capability.properties or {}).get("feedbackDatastream")
    stream = link.get("@iot.id") if isinstance(link, dict) else None
    return stream if isinstance(stream, int) else None


def _summary(delivery: TaskDelivery, capability: TaskingCapability) -> dict[str, Any]:
    return {
        "task": delivery.task_id,
        "last_task": delivery.last_task_id,
        "capability": capability.id,
        "capability_name": capability.name,
        "thing": capability.thing_id,
        "origin": delivery.origin,
        "reason": delivery.reason,
        "attempts": delivery.attempts,
        "error": delivery.error,
    }


def _fail(
    session: Session, delivery: TaskDelivery, capability: TaskingCapability, error: str
) -> None:
    delivery.state = FAILED
    delivery.error = error
    summary = _summary(delivery, capability)
    publish(session, TASK_FAILED, summary, municipality_id=capability.municipality_id)
    notify_staff(
        session,
        municipality_id=capability.municipality_id,
        kind=TASK_FAILED,
        subject=Message(
            N_("Task %(task)s to “%(device)s” failed"),
            task=delivery.task_id,
            device=capability.name,
        ),
        body=Message(
            N_("%(error)s. Reason of the Task: %(reason)s."),
            error=error,
            reason=message_from_json(delivery.reason_text, delivery.reason or "—"),
        ),
        link=f"/notifications#task-{delivery.task_id}",
    )


# --- for staff views -------------------------------------------------------------------------


def task_states(
    session: Session,
    *,
    municipality_ids: Collection[int] | None,
    origin: str | None = None,
    states: Collection[str] | None = None,
    limit: int = 200,
) -> list[TaskState]:
    """The newest tracked Tasks of the municipalities (``None``: all), optionally only those
    of one ``origin`` or in some ``states``. The caller has decided what the viewer may see."""
    query = (
        select(TaskDelivery, TaskingCapability, Thing.name, Task.tasking_parameters)
        .join(TaskingCapability, TaskingCapability.id == TaskDelivery.tasking_capability_id)
        .join(Thing, Thing.id == TaskingCapability.thing_id)
        .join(Task, Task.id == TaskDelivery.task_id)
    )
    if municipality_ids is not None:
        query = query.where(in_set(TaskingCapability.municipality_id, sorted(municipality_ids)))
    if origin is not None:
        query = query.where(TaskDelivery.origin == origin)
    if states is not None:
        query = query.where(TaskDelivery.state.in_(sorted(states)))
    rows = session.execute(
        query.order_by(TaskDelivery.created_at.desc(), TaskDelivery.task_id.desc()).limit(
            max(0, min(limit, 5000))
        )
    ).all()
    return [
        TaskState(
            task_id=d.task_id,
            capability_id=c.id,
            capability_name=c.name,
            thing_id=c.thing_id,
            thing_name=thing_name,
            municipality_id=c.municipality_id,
            parameters=parameters if isinstance(parameters, dict) else {},
            reason=message_from_json(d.reason_text, d.reason),
            origin=d.origin,
            state=d.state,
            attempts=d.attempts,
            last_task_id=d.last_task_id,
            created=d.created_at,
            last_attempt=d.last_attempt_at,
            acknowledged=d.acknowledged_at,
            error=d.error,
        )
        for d, c, thing_name, parameters in rows
    ]


# --- the kernel job --------------------------------------------------------------------------


def _run(context: Any) -> None:
    settings = context.settings
    with context.database.session() as session:  # most runs find nothing: no write lock then
        if (
            session.scalar(select(TaskDelivery.task_id).where(TaskDelivery.state == PENDING))
            is None
        ):
            return
    context.database.write(
        lambda session: process_deliveries(
            session,
            now=utcnow(),
            ack_timeout=timedelta(seconds=settings.tasking_ack_timeout_seconds),
            max_attempts=settings.tasking_max_attempts,
        )
    )


#: Registered by the app next to the modules' jobs.
JOB = JobSpec("sensing.tasks", 5, _run, wake_on=(OBSERVATIONS_CREATED,))
