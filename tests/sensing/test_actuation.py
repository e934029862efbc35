"""Actuation: Tasks sent with delivery tracking, acknowledged by devices, resent, failed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from allmende.app import create_app
from allmende.core.errors import ValidationFailed
from allmende.core.registry import Registry
from allmende.core.settings import Settings
from allmende.core.timeutil import utcnow
from allmende.delivery.events import events_after
from allmende.delivery.notifications import list_notifications
from allmende.identity.principal import Principal
from allmende.sensing import actuation, read
from allmende.sensing.ingest import NewObservation, ingest_observations
from allmende.sensing.models import Task, TaskingCapability
from allmende.storage.database import Database
from tests.standards.sensorthings.mqtt.conftest import Client, free_port, wait_for
from tests.support.client import TestClient
from tests.support.region import Region

pytestmark = pytest.mark.integration

SWITCH = {
    "type": "DataRecord",
    "field": [
        {
            "name": "state",
            "label": "Zustand",
            "description": "an oder aus",
            "type": "Category",
            "constraint": {"type": "AllowedTokens", "value": ["on", "off"]},
        }
    ],
}
TIMEOUT = timedelta(seconds=60)


def _device(database: Database, municipality_id: int, name: str) -> int:
    def make(session: Any) -> int:
        thing = read.ensure_thing(
            session, name=name, municipality_id=municipality_id, public=False, lon=8.65, lat=49.45
        )
        return actuation.ensure_actuator(
            session,
            thing_id=thing,
            name="Sprühnebel",
            description="Sprühnebelanlage am Marktplatz",
            parameters=SWITCH,
        )

    return database.write(make)


def _send(database: Database, capability: int, state: str = "on") -> int:
    return database.write(
        lambda s: actuation.send_task(
            s,
            capability_id=capability,
            parameters={"state": state},
            reason="Hitzewarnung Altstadt",
            origin="heat.action-plan",
        )
    )


def _feedback(database: Database, capability: int) -> int:
    with database.session() as session:
        found = session.get(TaskingCapability, capability)
        assert found is not None
        return int(found.properties["feedbackDatastream"]["@iot.id"])


def _acknowledge(database: Database, capability: int, task: int, result: Any, **extra: Any) -> None:
    stream = _feedback(database, capability)
    row = NewObservation(stream, None, None, None, None, None, None, None, result, None)
    row = row._replace(parameters={"task": task, **extra})
    database.write(lambda s: ingest_observations(s, rows=[row]))


def _process(database: Database, after: timedelta, attempts: int = 3) -> actuation.Outcome:
    return database.write(
        lambda s: actuation.process_deliveries(
            s, now=utcnow() + after, ack_timeout=TIMEOUT, max_attempts=attempts
        )
    )


def _states(database: Database) -> dict[int, actuation.TaskState]:
    with database.session() as session:
        return {t.task_id: t for t in actuation.task_states(session, municipality_ids=None)}


def test_ensure_actuator_is_idempotent_and_links_a_feedback_stream(
    database: Database, region: Region
) -> None:
    first = _device(database, region.municipality_a, "Markt")
    assert _device(database, region.municipality_a, "Markt") == first
    with database.session() as session:
        things = read.list_things(session, principal=_admin(), municipality_ids=None)
        streams = [s for t in things for s in t.streams]
    assert [s.id for s in streams] == [_feedback(database, first)]
    assert streams[0].definition == "https://allmende.example/def/task_feedback"


def _admin() -> Principal:
    return Principal(kind="user", user_id=0, is_admin=True)


def test_bad_parameters_are_refused_naming_the_field(database: Database, region: Region) -> None:
    capability = _device(database, region.municipality_a, "Markt")
    with pytest.raises(ValidationFailed) as refused:
        database.write(
            lambda s: actuation.send_task(
                s, capability_id=capability, parameters={"speed": 3}, reason="", origin="x"
            )
        )
    assert refused.value.errors[0].field == "parameters.speed"
    with pytest.raises(ValidationFailed) as bad:
        database.write(
            lambda s: actuation.ensure_actuator(
                s, thing_id=1, name="x", description="", parameters={"type": "Quantity"}
            )
        )
    assert bad.value.errors[0].field == "parameters"
    with database.session() as session:
        assert session.scalars(select(Task)).all() == []


def test_a_silent_device_is_retried_then_failed_while_another_is_done(
    database: Database, region: Region
) -> None:
    answering = _device(database, region.municipality_a, "Markt")
    silent = _device(database, region.municipality_a, "Brunnen")
    task_a, task_b = _send(database, answering), _send(database, silent)
    _acknowledge(database, answering, task_a, "done")

    first = _process(database, timedelta(seconds=1))
    assert first.done == (task_a,) and first.resent == () and first.failed == ()
    assert _process(database, timedelta(seconds=61)).resent == (task_b,)
    assert _process(database, timedelta(seconds=62)).resent == ()  # backoff: 120 s now
    assert _process(database, timedelta(seconds=61 + 121)).resent == (task_b,)
    assert _process(database, timedelta(seconds=61 + 121 + 241)).failed == (task_b,)

    states = _states(database)
    assert states[task_a].state == "done" and states[task_a].acknowledged is not None
    failed = states[task_b]
    assert (failed.state, failed.attempts, failed.origin) == ("failed", 3, "heat.action-plan")
    assert failed.error == "no acknowledgement from the device"
    assert failed.last_task_id != task_b and failed.parameters == {"state": "on"}
    with database.session() as session:
        tasks = session.scalars(select(Task).where(Task.tasking_capability_id == silent)).all()
        assert [t.tasking_parameters for t in tasks] == [{"state": "on"}] * 3
        events = events_after(session, names=["sensing.task.*"], after_id=0, limit=10)
        notes = list_notifications(session, municipality_ids=[region.municipality_a])
        others = list_notifications(session, municipality_ids=[region.municipality_b])
    assert [(e.name, e.payload["task"], e.municipality_id) for e in events] == [
        ("sensing.task.failed", task_b, region.municipality_a)
    ]
    assert [n.kind for n in notes] == ["sensing.task.failed"] and others == []


def test_an_acknowledged_resend_and_a_refusal(database: Database, region: Region) -> None:
    capability = _device(database, region.municipality_a, "Markt")
    late, refused = _send(database, capability), _send(database, capability, "off")
    _process(database, timedelta(seconds=61))
    resend = _states(database)[late].last_task_id
    _acknowledge(database, capability, resend, "done")
    _acknowledge(database, capability, refused, "failed", error="valve stuck")
    outcome = _process(database, timedelta(seconds=62))
    assert outcome.done == (late,) and outcome.failed == (refused,)
    assert _states(database)[refused].error == "valve stuck"
    with database.session() as session:
        assert session.get(Task, resend) is not None


def test_a_device_on_mqtt_receives_the_task_and_acknowledges_it(
    database: Database, settings: Settings, region: Region
) -> None:
    port = free_port()
    settings = settings.model_copy(
        update={"mqtt_mode": "embedded", "mqtt_port": port, "mqtt_batch_ms": 5}
    )
    capability = _device(database, region.municipality_a, "Markt")
    feedback = _feedback(database, capability)
    app = create_app(settings, database=database, registry=Registry([]))
    with TestClient(app) as http:
        device = Client(port, password=region.key_sensorthings_a)
        try:
            assert device.subscribe(f"v1.1/TaskingCapabilities({capability})/Tasks") == [1]
            task = _send(database, capability)
            topic, body = device.next()
            assert topic == f"v1.1/TaskingCapabilities({capability})/Tasks"
            assert (body["@iot.id"], body["taskingParameters"]) == (task, {"state": "on"})
            polled = http.get(
                f"/v1.1/TaskingCapabilities({capability})/Tasks",
                headers={"X-API-Key": region.key_sensorthings_a},
            ).json()
            assert [t["@iot.id"] for t in polled["value"]] == [task]
            device.publish(
                f"v1.1/Datastreams({feedback})/Observations",
                {"result": "done", "parameters": {"task": body["@iot.id"]}},
            )
            assert wait_for(lambda: _states(database)[task].state == "done")
        finally:
            device.close()
