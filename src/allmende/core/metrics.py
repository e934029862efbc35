"""The figures an operator scrapes at ``/metrics`` (Prometheus text format).

The metrics live in prometheus-client's process-wide registry, like the logging configuration.
With several worker processes, ``allmende serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh
folder before the workers start, each worker writes its figures there, and ``/metrics`` (served
by whichever worker) adds them up. See docs/operations.md.
"""

from __future__ import annotations

import os

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: Request latency by route template, method and status; its ``_count`` counts the requests.
HTTP_REQUESTS = Histogram(
    "allmende_http_request_duration_seconds",
    "Time from the request's arrival to the end of its answer.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
HTTP_IN_PROGRESS = Gauge(
    "allmende_http_requests_in_progress",
    "Requests being answered now.",
    multiprocess_mode="livesum",
)
WRITER_QUEUE = Gauge(
    "allmende_sqlite_writer_queue_length",
    "Writes waiting for the SQLite writer.",
    multiprocess_mode="livesum",
)
WRITER_BATCH = Histogram(
    "allmende_sqlite_writer_batch_size",
    "Writes committed together by the SQLite writer (group commit).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
WRITER_BATCH_SECONDS = Histogram(
    "allmende_sqlite_writer_batch_seconds",
    "Time the SQLite writer spends on one batch, commit included.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
OBSERVATIONS_STORED = Counter(
    "allmende_observations_stored_total",
    "Observations committed, by any way in (HTTP, dataArray, batch, MQTT, modules).",
)
MQTT_MESSAGES = Counter(
    "allmende_mqtt_messages_total",
    "SensorThings MQTT messages: received (to create Observations), refused, sent; dropped: "
    "changed entities whose notifications were not sent (mqtt_notify_backlog was full).",
    ["kind"],
)
MQTT_BATCH = Histogram(
    "allmende_mqtt_batch_size",
    "Observations published over MQTT that one transaction stores.",
    buckets=(1, 4, 16, 64, 256, 1024),
)
JOB_RUNS = Counter(
    "allmende_job_runs_total",
    "Runs of the modules' scheduled jobs, by outcome (ok, failed, skipped: another process "
    "held the job).",
    ["job", "outcome"],
)
JOB_SECONDS = Histogram(
    "allmende_job_duration_seconds",
    "Time one run of a scheduled job took.",
    ["job"],
    buckets=(0.01, 0.1, 0.5, 1, 5, 15, 60, 300),
)


def exposition() -> bytes:
    """Every metric in the text format; across all workers in multiprocess mode."""
    if os.environ.get(MULTIPROCESS_VARIABLE):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return bytes(generate_latest(registry))
    return bytes(generate_latest(REGISTRY))
