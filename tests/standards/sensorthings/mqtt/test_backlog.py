"""The notifications waiting to be sent are bounded: beyond ``mqtt_notify_backlog`` changed
entities, the notifications of further changes are dropped, counted and logged."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from allmende.core.settings import Settings
from allmende.standards.sensorthings.handlers import Api
from allmende.standards.sensorthings.model import entity_type
from allmende.standards.sensorthings.mqtt.notify import Change
from allmende.standards.sensorthings.mqtt.service import MqttService
from allmende.storage.database import Database
from tests.standards.sensorthings.conftest import Sta
from tests.standards.sensorthings.mqtt.conftest import stream
from tests.support.region import Region
from tests.support.seeds import test_settings


@pytest.fixture
def service(tmp_path: Path) -> Iterator[MqttService]:
    url = f"sqlite:///{tmp_path / 'allmende.sqlite3'}"
    settings = test_settings(url, tmp_path / "data").model_copy(
        update={"mqtt_mode": "external", "mqtt_notify_backlog": 5}
    )
    database = Database(url)
    yield MqttService(Api(database, settings), settings)
    database.close()


def created(*ids: int) -> Change:
    return Change(entity_type("Observation"), True, ids, {}, {})


def dropped_total() -> float:
    return REGISTRY.get_sample_value("allmende_mqtt_messages_total", {"kind": "dropped"}) or 0.0


def test_changes_beyond_the_backlog_are_dropped_and_counted(
    service: MqttService, caplog: pytest.LogCaptureFixture
) -> None:
    queue: asyncio.Queue[Change] = asyncio.Queue()
    before = dropped_total()
    with caplog.at_level(logging.WARNING):
        service._enqueue(queue, created(1, 2, 3))
        service._enqueue(queue, created(4, 5, 6))  # 6 would wait: dropped
        service._enqueue(queue, created(7, 8))  # 5 wait: taken
        service._enqueue(queue, created(9))  # dropped, not logged again within the minute
    assert [queue.get_nowait().ids for _ in range(queue.qsize())] == [(1, 2, 3), (7, 8)]
    assert (service.dropped, dropped_total() - before) == (4, 4)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "notifications of 3 changed entities were dropped" in warnings[0]


def test_a_change_larger_than_the_backlog_is_taken_while_nothing_waits(
    service: MqttService,
) -> None:
    """A large CreateObservations is announced whole when the queue is empty."""
    queue: asyncio.Queue[Change] = asyncio.Queue()
    service._enqueue(queue, created(*range(1, 11)))
    service._enqueue(queue, created(11))
    assert [change.ids[-1] for change in (queue.get_nowait() for _ in range(queue.qsize()))] == [10]
    assert service.dropped == 1


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"mqtt_notify_backlog": 2})


@pytest.mark.mqtt
def test_what_was_sent_leaves_the_backlog(sta: Sta, region: Region, connect: Any) -> None:
    """Ten Observations one after another, each awaited by the subscriber: the backlog of two
    never fills, so none is dropped."""
    _, datastream = stream(sta)
    watcher = connect(password=region.key_sensorthings_a)
    watcher.subscribe(f"v1.1/Datastreams({datastream})/Observations")
    for minute in range(10):
        body = {"phenomenonTime": f"2026-05-01T10:{minute:02d}:00Z", "result": minute}
        sta.post(f"Datastreams({datastream})/Observations", body)
        _, message = watcher.next()
        assert message["result"] == minute
