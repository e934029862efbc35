"""Scheduled jobs run periodically and when events wake them, never twice at once, and on
PostgreSQL only one process runs a job at a time."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from allmende.app import create_app
from allmende.core.errors import ConfigurationError
from allmende.core.events import Event
from allmende.core.registry import JobSpec, ModuleSpec, Registry
from allmende.core.settings import Settings
from allmende.sensing import read as sensing
from allmende.sensing import vocabulary
from allmende.sensing.service import OBSERVATIONS_CREATED
from allmende.storage.database import Database
from allmende.storage.scheduler import JobContext, Scheduler, _lock_id
from tests.support.client import TestClient
from tests.support.region import Region

pytestmark = pytest.mark.integration


def test_jobs_run_repeatedly(database: Database, settings: Settings) -> None:
    runs: list[JobContext] = []
    done = threading.Event()

    def count(context: JobContext) -> None:
        runs.append(context)
        if len(runs) >= 2:
            done.set()

    scheduler = Scheduler([JobSpec("count", 0.05, count)], database, settings)
    scheduler.start()
    try:
        assert done.wait(timeout=10)
    finally:
        scheduler.stop()
    assert runs[0].database is database


def test_jobs_see_the_modules_feature_sources(database: Database, settings: Settings) -> None:
    seen: list[JobContext] = []
    source = object()
    scheduler = Scheduler(
        [JobSpec("look", 60, seen.append)],
        database,
        settings,
        feature_sources=[source],  # type: ignore[list-item]
    )
    assert scheduler.run_once(scheduler.jobs[0]) is True
    assert seen[0].feature_sources == (source,)


# Advisory locks are a PostgreSQL matter; on SQLite one process runs the jobs.
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_held_job_is_skipped_on_postgresql(database: Database, settings: Settings) -> None:
    ran: list[str] = []
    job = JobSpec("exclusive", 60, lambda context: ran.append("ran"))
    scheduler = Scheduler([job], database, settings)
    with database.engine.connect() as other:  # another worker holds the job
        other.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _lock_id("exclusive")})
        assert scheduler.run_once(job) is False
        other.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _lock_id("exclusive")})
        other.commit()
    assert scheduler.run_once(job) is True
    assert ran == ["ran"]


def test_a_failing_job_keeps_the_scheduler_alive(database: Database, settings: Settings) -> None:
    calls = []
    twice = threading.Event()

    def fail(context: JobContext) -> None:
        calls.append(time.monotonic())
        if len(calls) >= 2:
            twice.set()
        raise RuntimeError("boom")

    scheduler = Scheduler([JobSpec("fail", 0.05, fail)], database, settings)
    scheduler.start()
    try:
        twice.wait(timeout=10)
    finally:
        scheduler.stop()
    assert len(calls) >= 2


def _datastream(database: Database, municipality_id: int) -> int:
    def make(session):  # type: ignore[no-untyped-def]
        thing = sensing.create_thing(
            session, municipality_id=municipality_id, name="Probe", lon=8.65, lat=49.45
        )
        return sensing.ensure_datastream(
            session,
            thing_id=thing,
            name="Temperatur",
            definition=vocabulary.AIR_TEMPERATURE,
            observed_property_name="Lufttemperatur",
            unit_name="degree Celsius",
            unit_symbol="Cel",
            unit_definition="http://unitsofmeasure.org/ucum.html",
            public=True,
        )

    return database.write(make)


def test_a_job_wakes_on_an_observation_posted_over_http(
    database: Database, settings: Settings, region: Region
) -> None:
    stream = _datastream(database, region.municipality_a)
    runs: list[float] = []
    active: list[int] = []
    overlaps: list[int] = []
    lock = threading.Lock()
    began = threading.Event()
    rerun = threading.Event()

    def react(context: JobContext) -> None:
        with lock:
            active.append(1)
            overlaps.append(len(active))
        began.set()
        time.sleep(0.2)  # long enough for the next events to arrive while it runs
        with lock:
            active.pop()
            runs.append(time.monotonic())
            if len(runs) >= 2:
                rerun.set()

    job = JobSpec("react", 3600, react, wake_on=(OBSERVATIONS_CREATED,))
    module = ModuleSpec(key="reactive", title="Reactive", jobs=(job,))
    app = create_app(settings, database=database, registry=Registry([module]))
    headers = {"X-API-Key": region.key_admin}
    with TestClient(app) as client:

        def post(minute: int) -> None:
            answer = client.post(
                f"/v1.1/Datastreams({stream})/Observations",
                json={"phenomenonTime": f"2026-07-01T12:0{minute}:00Z", "result": 20 + minute},
                headers=headers,
            )
            assert answer.status_code == 201

        for minute in range(5):
            post(minute)
        assert began.wait(15), "the job did not run after the Observations were posted"
        post(5)  # after the run began: one run more, after the debounce
        assert rerun.wait(15), "the job did not run again after an Observation during its run"
    assert max(overlaps) == 1


def test_an_event_while_the_job_runs_gives_one_more_run(
    database: Database, settings: Settings
) -> None:
    started = threading.Event()
    release = threading.Event()
    runs: list[int] = []

    def slow(context: JobContext) -> None:
        runs.append(1)
        started.set()
        release.wait(timeout=10)

    job = JobSpec("slow", 3600, slow, wake_on=("test.poke",))
    scheduler = Scheduler([job], database, settings, debounce_seconds=0.05)
    scheduler.start()
    try:
        database.bus.publish(Event("test.poke"))
        assert started.wait(timeout=10)
        for _ in range(3):  # several events while it runs: one run after it, not three
            database.bus.publish(Event("test.poke"))
        release.set()
        deadline = time.monotonic() + 10
        while len(runs) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        scheduler.stop()
    assert len(runs) == 2
    database.bus.publish(Event("test.poke"))  # after stop: nobody listens any more
    time.sleep(0.1)
    assert len(runs) == 2


def test_modules_requiring_a_missing_module_stop_the_start(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from allmende import app as app_module

    needy = ModuleSpec(key="needy", title="Needy", requires=("absent",))
    monkeypatch.setattr(app_module, "discover", lambda: [needy])
    with pytest.raises(ConfigurationError, match="'needy' requires 'absent'"):
        app_module.create_app(settings)
