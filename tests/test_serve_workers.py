"""``allmende serve --workers 2`` on PostgreSQL: both workers start, log and answer.

A real ``allmende serve`` process on a free port: each worker is a fresh interpreter (uvicorn
spawns them), so this is where a slow import or logging configured only in the parent shows.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from allmende.storage.ephemeral_pg import EphemeralPostgres
from tests.conftest import SECRET
from tests.support.served_process import free_port, listening_sockets

pytestmark = pytest.mark.integration

#: Generous: on a loaded machine importing the application takes seconds per worker.
START_SECONDS = 180


def _lines(log: Path) -> list[dict[str, Any]]:
    found = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


@dataclass
class Served:
    port: int
    log: Path
    pids: set[int]  # the workers that completed their start


@pytest.fixture
def two_workers(
    postgres_server: EphemeralPostgres, postgres_templates: Any, tmp_path: Path
) -> Iterator[Served]:
    """``allmende serve --workers 2`` until both workers have started and answered."""
    url = postgres_server.create_database("allmende_workers", template=postgres_templates.empty)
    port = free_port()
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "ALLMENDE_MODE": "production",
        "ALLMENDE_BASE_URL": f"http://127.0.0.1:{port}",
        "ALLMENDE_DATABASE_URL": url,
        "ALLMENDE_SECRET_KEY": SECRET,
        "ALLMENDE_REGION_NAME": "Testregion",
        "ALLMENDE_DATA_DIR": str(tmp_path / "data"),
        "ALLMENDE_LOG_FORMAT": "json",
        "ALLMENDE_LOG_LEVEL": "INFO",
        "ALLMENDE_RUN_JOBS": "false",
        "ALLMENDE_MQTT_MODE": "off",
    }
    command = [sys.executable, "-m", "allmende", "serve", "--no-migrate", "--workers", "2"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    # One client (``httpx.get`` builds an SSL context each time, ~25 ms of CPU) that keeps no
    # connection: a new one each time, which the kernel hands to either worker.
    http = httpx.Client(timeout=5, limits=httpx.Limits(max_keepalive_connections=0))
    try:
        deadline = time.monotonic() + START_SECONDS
        started: set[int] = set()
        answered: set[int] = set()
        while time.monotonic() < deadline and (len(started) < 2 or len(answered) < 2):
            assert process.poll() is None, log.read_text()
            started = {
                line["pid"]
                for line in _lines(log)
                if line.get("logger") == "uvicorn.error"
                and line["message"] == "Application startup complete."
            }
            try:
                http.get(f"http://127.0.0.1:{port}/healthz")
            except httpx.HTTPError:
                time.sleep(0.2)
            else:  # a pause, so that polling does not take the processor the workers start on
                time.sleep(0.05)
            answered = _answering(log)
        yield Served(port, log, started)
        assert answered == started, log.read_text()
    finally:
        http.close()
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        postgres_server.drop_database("allmende_workers")


def _answering(log: Path) -> set[int]:
    return {
        line["pid"]
        for line in _lines(log)
        if line.get("logger") == "allmende.access" and line.get("path") == "/healthz"
    }


def test_two_workers_log_and_answer(two_workers: Served) -> None:
    assert len(two_workers.pids) == 2, two_workers.log.read_text()
    assert _answering(two_workers.log) == two_workers.pids, two_workers.log.read_text()
    assert "died" not in two_workers.log.read_text()  # no worker was replaced on the way


def test_connections_opened_one_after_another_reach_both_workers(two_workers: Served) -> None:
    """Each worker listens on a socket of its own: with one shared socket, idle workers left
    every connection to the worker the kernel wakes first."""
    port = two_workers.port
    assert listening_sockets(port) == 2
    before = len(_access_lines(two_workers.log))
    held = []
    try:
        for _ in range(16):  # kept open, as a client pool keeps them
            connection = socket.create_connection(("127.0.0.1", port), timeout=10)
            connection.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            assert connection.recv(65536).startswith(b"HTTP/1.1 200")
            held.append(connection)
        deadline = time.monotonic() + 10
        while len(_access_lines(two_workers.log)) < before + 16 and time.monotonic() < deadline:
            time.sleep(0.1)
        served = {line["pid"] for line in _access_lines(two_workers.log)[before:]}
    finally:
        for connection in held:
            connection.close()
    # Spread by address: all 16 on one worker would happen once in 30 000 runs.
    assert served == two_workers.pids


def _access_lines(log: Path) -> list[dict[str, Any]]:
    return [line for line in _lines(log) if line.get("logger") == "allmende.access"]
