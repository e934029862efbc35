"""``/metrics``: Prometheus text for the scraper's network or a key that may read it, with the
request, writer, ingest and job figures; several processes' figures added up."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from allmende.core.registry import JobSpec
from allmende.core.settings import Settings
from allmende.storage.database import Database
from allmende.storage.scheduler import Scheduler
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer, sign_in
from tests.support.world import Served, new_key

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scoped_key(app: FastAPI, database: Database, region: Region, scopes: list[str]) -> str:
    served = Served("", app, TestClient(app), database, region)
    return new_key(served, scopes, name="scraper")


def test_only_the_scraper_may_read_the_figures(
    app: FastAPI, client: TestClient, database: Database, region: Region
) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=bearer(region.key_sensorthings_a)).status_code == 403
    assert client.get("/metrics", headers=bearer(region.key_open311)).status_code == 403
    scraper = scoped_key(app, database, region, ["metrics"])
    answer = client.get("/metrics", headers=bearer(scraper))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert client.get("/metrics", headers=bearer(region.key_admin)).status_code == 200
    sign_in(client, region.staff_a_email)
    assert client.get("/metrics").status_code == 403


def test_an_allowed_network_scrapes_without_a_credential(
    settings: Settings, database: Database, region: Region
) -> None:
    from allmende.app import create_app

    app = create_app(
        settings.model_copy(update={"metrics_allowed_networks": ["10.1.0.0/16"]}),
        database=database,
    )
    with TestClient(app, client=("10.1.2.3", 4000)) as inside:
        assert inside.get("/metrics").status_code == 200
    with TestClient(app, client=("10.2.0.1", 4000)) as outside:
        assert outside.get("/metrics").status_code == 401


def test_requests_are_counted_by_route_template_and_status(
    client: TestClient, region: Region
) -> None:
    route = "/api/assets/objects/{object_id}"
    before = value(
        "allmende_http_request_duration_seconds_count", method="GET", route=route, status="404"
    )
    for object_id in (9001, 9002, 9003):
        assert client.get(f"/api/assets/objects/{object_id}").status_code == 404
    text = client.get("/metrics", headers=bearer(region.key_admin)).text
    key = (
        "allmende_http_request_duration_seconds_count",
        frozenset({("method", "GET"), ("route", route), ("status", "404")}),
    )
    assert samples(text)[key] == before + 3
    assert not any("9001" in str(labels) for _, labels in samples(text)), "paths are not labels"


def test_stored_observations_and_writer_batches_are_counted(
    client: TestClient, database: Database, region: Region
) -> None:
    key = bearer(region.key_sensorthings_a)
    thing = client.post(
        "/v1.1/Datastreams",
        headers=key,
        json={
            "name": "T",
            "description": "T",
            "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            "unitOfMeasurement": {"name": "n", "symbol": "n", "definition": "n"},
            "Thing": {
                "name": "T",
                "description": "T",
                "Locations": [
                    {
                        "name": "L",
                        "description": "L",
                        "encodingType": "application/geo+json",
                        "location": {"type": "Point", "coordinates": [8.65, 49.45]},
                    }
                ],
            },
            "Sensor": {
                "name": "s",
                "description": "s",
                "encodingType": "text/plain",
                "metadata": "-",
            },
            "ObservedProperty": {"name": "p", "definition": "urn:p", "description": "p"},
        },
    )
    assert thing.status_code == 201, thing.text
    stream = thing.headers["location"].rsplit("(", 1)[1].rstrip(")")
    stored = value("allmende_observations_stored_total")
    batches = value("allmende_sqlite_writer_batch_size_count")
    body = [
        {
            "Datastream": {"@iot.id": int(stream)},
            "components": ["phenomenonTime", "result"],
            "dataArray": [[f"2026-01-01T00:0{i}:00Z", i] for i in range(5)],
        }
    ]
    created = client.post("/v1.1/CreateObservations", headers=key, json=body)
    assert created.status_code == 201, created.text
    assert not any(answer.startswith("error") for answer in created.json()), created.text
    assert value("allmende_observations_stored_total") == stored + 5
    if database.is_sqlite:
        assert value("allmende_sqlite_writer_batch_size_count") > batches
        # The gauge sums every SQLite writer of the process; another test's server (the browser
        # tests' live server, on this worker too) may have a write queued at this instant. A
        # write that left its count behind would keep it above 0 for good.
        deadline = time.monotonic() + 5
        while value("allmende_sqlite_writer_queue_length") != 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert value("allmende_sqlite_writer_queue_length") == 0


def test_job_runs_are_counted(database: Database, settings: Settings) -> None:
    def failing(_context: object) -> None:
        raise RuntimeError("broken on purpose")

    jobs = [JobSpec("metrics-ok", 60, lambda _c: None), JobSpec("metrics-bad", 60, failing)]
    scheduler = Scheduler(jobs, database, settings)
    ok = value("allmende_job_runs_total", job="metrics-ok", outcome="ok")
    failed = value("allmende_job_runs_total", job="metrics-bad", outcome="failed")
    assert scheduler.run_once(jobs[0])
    with pytest.raises(RuntimeError):
        scheduler.run_once(jobs[1])
    assert value("allmende_job_runs_total", job="metrics-ok", outcome="ok") == ok + 1
    assert value("allmende_job_runs_total", job="metrics-bad", outcome="failed") == failed + 1


WORKER = """
from allmende.core.metrics import HTTP_REQUESTS, exposition
import sys
if sys.argv[1] == "count":
    HTTP_REQUESTS.labels("GET", "/healthz", "200").observe(0.01)
else:
    sys.stdout.write(exposition().decode())
"""


def test_the_figures_of_several_workers_are_added_up(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT / "src"),
    }

    def worker(mode: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", WORKER, mode],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return done.stdout

    worker("count")
    worker("count")
    key = (
        "allmende_http_request_duration_seconds_count",
        frozenset({("method", "GET"), ("route", "/healthz"), ("status", "200")}),
    )
    assert samples(worker("scrape"))[key] == 2
