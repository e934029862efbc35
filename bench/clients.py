"""What real clients do, against a real server: the targets of issue 15 in one run.

    PYTHONPATH=src python bench/clients.py                 # both backends, 1 M and 10 M rows
    PYTHONPATH=src python bench/clients.py --quick         # small sizes, short rounds
    PYTHONPATH=src python bench/clients.py --tiny          # tiny sizes, one round (the test's)
    PYTHONPATH=src python bench/clients.py --url http://host:8080/v1.1 --key SECRET
                                                            # the same workload on another server

Per backend it migrates a fresh database, starts Allmende under uvicorn on a free port (a real
socket; on PostgreSQL with two workers), builds a sensor network through the SensorThings API,
fills the observations table to each size and measures, in rounds that take turns:

* reads as a dashboard, Grafana and QGIS send them, with 8 concurrent keep-alive clients;
* ingest: CreateObservations against the raw insert, single POSTs against a bare endpoint on
  the same server stack (the floor, ``bench/floor.py``), MQTT QoS 1 with pipelining publishers
  through the embedded broker and through Mosquitto;
* the public pages of the demo region at 1, 8 and 64 concurrent clients.

The reads and the pages run twice: as served (anonymous requests may be answered from the read
cache, ``read_cache_seconds``), then with the server restarted with the read cache off, so that
every request is computed, as for a signed-in reader or data that changes between requests.

Every figure is the median of the rounds (three by default) with their spread (lowest and
highest), and the table ends with the targets. Progress goes to stderr, the tables to stdout.
With ``--url`` the reads and the HTTP ingest run against any SensorThings server (the
network is built and filled through its API; raw inserts, the floor, MQTT and the pages are
Allmende's own and left out). See docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import math
import os
import re
import secrets
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from common import (  # noqa: E402  (the sibling module, see its text)
    BATCH,
    CPU_PARTS,
    SECOND,
    Mosquitto,
    cpu_per_request,
    cpu_seconds,
    create_bodies,
    free_port,
    human,
    iso,
    log,
    machine_info,
    mosquitto_available,
    mqtt_available,
    mqtt_start,
    mqtt_stop,
    partition,
    percentile,
    postgres_version,
    publish_windowed,
    raw_insert,
    raw_row,
)

T0 = datetime(2026, 6, 1, tzinfo=UTC)  # the bench's "now": history lies before, ingest after
T0_MICROS = int(T0.timestamp()) * 1_000_000
STEP = 60 * SECOND  # one value a minute per Datastream in the history
STREAMS_PER_THING = 4
PROPERTIES = (
    ("Air temperature", "http://vocab.nerc.ac.uk/collection/P07/current/CFSN0023/", "°C"),
    ("Relative humidity", "http://vocab.nerc.ac.uk/collection/P07/current/CFSN0413/", "%"),
    ("PM10", "http://dd.eionet.europa.eu/vocabulary/aq/pollutant/5", "µg/m³"),
    ("Vehicle count", "https://allmende.example/vocab/vehicle-count", "1/interval"),
)
PAGE_CLIENTS = (1, 8, 64)


@dataclass(frozen=True)
class Plan:
    things: int
    sizes: tuple[int, ...]
    rounds: int
    seconds: float  # per measured load (after a short warm-up)
    read_clients: int
    raw_rows: int
    create_clients: int
    single_clients: int
    mqtt_rows: int
    mqtt_clients: int
    mqtt_inflight: int
    warmup: float = 0.5  # seconds of each load before its requests count (pages: twice that)


FULL = Plan(10, (1_000_000, 10_000_000), 3, 5.0, 8, 200_000, 4, 8, 40_000, 4, 256)
QUICK = Plan(10, (20_000, 100_000), 3, 1.5, 8, 20_000, 4, 8, 4_000, 4, 256)
#: Only that every table prints: a few hundred rows, one short round with hardly a warm-up,
#: two clients.
TINY = Plan(2, (400, 800), 1, 0.1, 2, 400, 2, 2, 400, 2, 16, warmup=0.05)


# --- a lean HTTP/1.1 client ----------------------------------------------------------------------
#
# Clients share the machine with the server, so their own work is part of every rate; httpx
# costs about a millisecond of CPU per request, this client a tenth of that (as wrk would).


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query, already encoded
    body: bytes = b""
    expect: int = 200


@dataclass
class Load:
    """What one load produced: requests, seconds, latencies (s), failures."""

    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    last_body: bytes = b""
    sent: int = 0  # every request answered, the warm-up's included
    cpu_us: dict[str, float] = field(default_factory=dict)  # per request, by part

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


class Connection:
    """One keep-alive connection; ``send`` returns (status, body)."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.tls = parts.scheme == "https"
        self.prefix = parts.path.rstrip("/")
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.fixed = f"Host: {parts.netloc}\r\n{extra}".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        context = ssl.create_default_context() if self.tls else None
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, ssl=context)

    async def send(self, request: Request) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        target = request.target if request.target.startswith("/") else f"/{request.target}"
        head = f"{request.method} {self.prefix}{target} HTTP/1.1\r\n".encode() + self.fixed
        if request.body or request.method in ("POST", "PUT", "PATCH"):
            head += b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(request.body)
        self.writer.write(head + b"\r\n" + request.body)
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length = -1
        chunked = closing = False
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                closing = True
        if chunked:
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                body += await self.reader.readexactly(size + 2)
                if size == 0:
                    break
            body = body[:-2]
        elif length >= 0:
            body = await self.reader.readexactly(length)
        else:
            body = await self.reader.read()
            closing = True
        if closing:
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def _load(
    base: str,
    headers: dict[str, str],
    work: Callable[[int], Iterator[Request]],
    clients: int,
    seconds: float,
    warmup: float,
    *,
    total: int | None = None,
) -> Load:
    """``clients`` connections, each sending the requests of ``work(client)`` one after the
    other: for ``seconds`` after ``warmup`` (or until ``total`` requests, when given)."""
    result = Load()
    connections = [Connection(base, headers) for _ in range(clients)]
    for connection in connections:
        await connection.open()
    loop = asyncio.get_running_loop()
    start = loop.time() + warmup
    stop = start + seconds

    async def client(number: int) -> None:
        requests = work(number)
        connection = connections[number]
        for request in requests:
            now = loop.time()
            if total is None and now >= stop:
                return
            began = time.perf_counter()
            try:
                status, body = await connection.send(request)
            except (OSError, asyncio.IncompleteReadError) as exc:
                result.failures.append(f"{request.target[:80]}: {exc!r}")
                await connection.close()
                continue
            result.sent += 1
            if status != request.expect:
                result.failures.append(f"{request.target[:80]}: {status} {body[:200]!r}")
            # What completes after the warm-up counts, a request begun before the end of the
            # window too: so each client counts at least one, however slow the machine.
            if total is not None or loop.time() >= start:
                result.latencies.append(time.perf_counter() - began)
                result.requests += 1
                result.last_body = body

    began = loop.time()
    await asyncio.gather(*(client(n) for n in range(clients)))
    ended = loop.time()
    result.seconds = ended - (began if total is not None else start)
    for connection in connections:
        await connection.close()
    return result


def load(
    base: str,
    work: Callable[[int], Iterator[Request]],
    clients: int,
    seconds: float,
    *,
    headers: dict[str, str] | None = None,
    warmup: float = 0.5,
    total: int | None = None,
) -> Load:
    try:
        import uvloop

        runner: Callable[[Any], Load] = uvloop.run
    except ImportError:
        runner = asyncio.run
    return runner(_load(base, headers or {}, work, clients, seconds, warmup, total=total))


def cycle(requests: Sequence[Request], offset: int = 0) -> Iterator[Request]:
    n = offset
    while True:
        yield requests[n % len(requests)]
        n += 1


# --- the server under test -----------------------------------------------------------------------


@dataclass
class Server:
    """A migrated database, a municipality and an API key, served by uvicorn."""

    backend: str
    folder: Path
    workers: int = 1
    url: str = ""
    key: str = ""
    port: int = 0
    pg: Any = None
    process: subprocess.Popen[bytes] | None = None
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    mqtt_mode: str = "off"
    mqtt_port: int | None = None
    read_cache: bool = True

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base(self) -> str:
        return f"{self.root}/v1.1"

    def settings(self, **extra: Any) -> Any:
        from allmende.core.settings import Mode, Settings

        return Settings(
            mode=Mode.PRODUCTION,
            database_url=self.url,
            secret_key=self.secret,
            allowed_hosts=["127.0.0.1"],
            region_name="Benchregion",
            data_dir=self.folder / "data",
            **extra,
        )

    def create(self, *, demo: bool = False) -> None:
        from allmende.app import load_registry, migration_locations, open_database
        from allmende.identity import service as identity
        from allmende.identity.permissions import ADMIN_SCOPE
        from allmende.storage.ephemeral_pg import EphemeralPostgres
        from allmende.storage.migrate import upgrade

        if self.backend == "sqlite":
            self.url = f"sqlite:///{self.folder / 'allmende.sqlite3'}"
        else:
            self.pg = EphemeralPostgres()
            self.pg.start()
            self.url = self.pg.create_database("allmende_bench")
        settings = self.settings()
        registry = load_registry(settings)
        upgrade(self.url, migration_locations(registry))
        database = open_database(settings)

        def seed(session: Any) -> str:
            if demo:
                from allmende.core.timeutil import utcnow
                from allmende.demo.region import build_region

                build_region(session, registry=registry, now=utcnow())
            else:
                identity.create_municipality(session, key="benchstadt", name="Benchstadt")
            municipality = "benchstadt" if not demo else None
            created = identity.create_api_key(
                session,
                name="bench",
                scopes=["sensorthings", ADMIN_SCOPE],
                municipality_key=municipality,
            )
            return str(created.key)

        try:
            self.key = database.write(seed)
        finally:
            database.close()

    def start(
        self,
        *,
        workers: int,
        mqtt_mode: str = "off",
        mqtt_port: int | None = None,
        read_cache: bool = True,
        port: int | None = None,
    ) -> None:
        from allmende.core.logging import logging_config
        from allmende.http.workers import BALANCED_LOOP, listening_socket

        self.stop_server()
        self.workers, self.mqtt_mode, self.mqtt_port = workers, mqtt_mode, mqtt_port
        self.read_cache = read_cache
        self.port = port or free_port()
        log_config = self.folder / "logging.json"
        log_config.write_text(json.dumps(logging_config(level="WARNING", fmt="json")))
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(BENCH.parent / "src"), os.environ.get("PYTHONPATH", "")]
            ),
            "ALLMENDE_MODE": "production",
            "ALLMENDE_ALLOWED_HOSTS": '["127.0.0.1"]',  # production needs it (or base_url)
            "ALLMENDE_DATABASE_URL": self.url,
            "ALLMENDE_SECRET_KEY": self.secret,
            "ALLMENDE_REGION_NAME": "Benchregion",
            "ALLMENDE_DATA_DIR": str(self.folder / "data"),
            "ALLMENDE_LOG_LEVEL": "WARNING",
            "ALLMENDE_RUN_JOBS": "false",
            "ALLMENDE_MQTT_MODE": mqtt_mode,
            # As `allmende serve`: /metrics adds up the workers' figures (read from here).
            "PROMETHEUS_MULTIPROC_DIR": str(self._metrics_folder()),
            "ALLMENDE_METRICS_ALLOWED_NETWORKS": '["127.0.0.1/32"]',
        }
        if mqtt_port is not None:
            env |= {"ALLMENDE_MQTT_HOST": "127.0.0.1", "ALLMENDE_MQTT_PORT": str(mqtt_port)}
        if not read_cache:  # every read computed, as for a signed-in reader or changing data
            env["ALLMENDE_READ_CACHE_SECONDS"] = "0"
        # The options of `allmende serve`, with the floor's application (bench/floor.py).
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "floor:create_app",
            "--factory",
            "--app-dir",
            str(BENCH),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
            "--log-config",
            str(log_config),
            "--no-access-log",
            "--no-server-header",
            "--no-proxy-headers",
            "--timeout-worker-healthcheck",
            "60",
        ]
        # As `allmende serve --workers N`: a listening socket per worker (allmende.http.workers).
        shared = listening_socket("127.0.0.1", self.port) if workers > 1 else None
        if shared is not None:
            command += ["--fd", str(shared.fileno()), "--loop", BALANCED_LOOP]
        output = (self.folder / "server.log").open("ab")
        self.process = subprocess.Popen(
            command,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            pass_fds=() if shared is None else (shared.fileno(),),
        )
        if shared is not None:
            shared.close()  # the supervisor holds it now
        deadline = time.monotonic() + 180
        ready = 0
        # One client (each builds an SSL context) that keeps no connection alive.
        fresh = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(timeout=5, limits=fresh) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited; see {self.folder / 'server.log'}")
                try:  # every worker ready: a few answers in a row on new connections
                    ready = ready + 1 if http.get(f"{self.root}/readyz").is_success else 0
                    if ready >= 4 * workers:
                        return
                except httpx.HTTPError:
                    ready = 0
                time.sleep(0.1)
        raise RuntimeError("server did not become ready within 180 s")

    def restart(self, *, read_cache: bool) -> None:
        """The same server again on the same port, with the read cache on or off."""
        self.start(
            workers=self.workers,
            mqtt_mode=self.mqtt_mode,
            mqtt_port=self.mqtt_port,
            read_cache=read_cache,
            port=self.port,
        )

    def stop_server(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    def stop(self) -> None:
        self.stop_server()
        if self.pg is not None:
            self.pg.stop()
            self.pg = None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def _metrics_folder(self) -> Path:
        """An empty folder for the workers' figures (those of a former start are stale)."""
        folder = self.folder / "metrics"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder

    def metric(self, name: str, labels: dict[str, str]) -> float:
        """One figure of ``/metrics``, added up over the workers (0 if not there yet)."""
        text = httpx.get(f"{self.root}/metrics", timeout=30).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and sample.labels == labels:
                    return float(sample.value)
        return 0.0

    def settle(self, label: str, limit: float = 120) -> float:
        """Wait until the server's processes are idle (under 5 % of a core for half a second)
        and return the seconds waited, logged when over one: what a workload leaves behind
        (the MQTT bridge still publishing the notifications of a burst of Observations) is
        then not charged to the next one. Without ``/proc``, no wait."""
        if self.process is None or not Path("/proc").is_dir():
            return 0.0
        started = time.monotonic()
        before = self._cpu_seconds()
        while time.monotonic() - started < limit:
            time.sleep(0.5)
            now = self._cpu_seconds()
            if now - before < 0.025:
                break
            before = now
        waited = time.monotonic() - started - 0.5
        if waited >= 1:
            log(f"{label}: the server was busy for {waited:.1f} s after the last workload")
        return waited

    def _cpu_seconds(self) -> float:
        """CPU seconds of the server process and its workers (Linux ``/proc``)."""
        assert self.process is not None
        spent = cpu_seconds(self.process.pid)
        return 0.0 if spent is None else spent["server"]

    def metered(self, measure: Callable[[], Load]) -> Load:
        """``measure()``, with the CPU that server, database, broker and clients spent on each
        request (each Observation of CreateObservations and the raw insert, each MQTT
        message), warm-up included."""
        pid = None if self.process is None else self.process.pid
        before = cpu_seconds(pid)
        load = measure()
        units = float(load.requests)  # requests, Observations or messages
        if load.latencies:  # requests answered in the warm-up count too
            units *= load.sent / len(load.latencies)
        load.cpu_us = cpu_per_request(before, cpu_seconds(pid), units)
        return load


# --- the sensor network, through the API ---------------------------------------------------------


@dataclass
class Network:
    base: str
    headers: dict[str, str]
    things: list[int]
    streams: list[int]
    next_time: dict[int, int] = field(default_factory=dict)
    history_rounds: int = 0
    features: dict[int, int] = field(default_factory=dict)

    def take_times(self, stream: int, count: int) -> range:
        start = self.next_time.get(stream, T0_MICROS)
        self.next_time[stream] = start + count * SECOND
        return range(start, start + count * SECOND, SECOND)


def _check(response: httpx.Response, expected: int) -> httpx.Response:
    if response.status_code != expected:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:400]}")
    return response


def _check_links(response: httpx.Response) -> None:
    """A CreateObservations answer lists a link per Observation, "error" for one not stored."""
    errors = sum(1 for link in response.json() if link == "error")
    if errors:
        raise RuntimeError(f'{response.request.url}: {errors} Observations not stored ("error")')


def _created(response: httpx.Response) -> int:
    location = _check(response, 201).headers["location"]
    return int(location.rsplit("(", 1)[1].rstrip(")"))


def build_network(base: str, headers: dict[str, str], things: int) -> Network:
    """Things with a Location and four Datastreams each (deep insert), then one Observation
    per Datastream at T0, which makes each Thing's FeatureOfInterest as a sensor's first does."""
    run = secrets.token_hex(3)  # names stay unique when the server already holds a network
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        properties = [
            _created(
                client.post(
                    "/ObservedProperties",
                    json={"name": f"{name} {run}", "definition": definition, "description": name},
                )
            )
            for name, definition, _ in PROPERTIES
        ]
        sensor = _created(
            client.post(
                "/Sensors",
                json={
                    "name": f"Bench sensor {run}",
                    "description": "A street-side multi-sensor",
                    "encodingType": "application/pdf",
                    "metadata": "https://example.org/sensor.pdf",
                },
            )
        )
        made = []
        for n in range(things):
            lon, lat = 8.60 + (n % 25) * 0.01, 49.35 + (n // 25) * 0.005
            made.append(
                _created(
                    client.post(
                        "/Things",
                        json={
                            "name": f"Station {run}-{n:03d}",
                            "description": "Environment station",
                            "properties": {"district": f"D{n % 12}"},
                            "Locations": [
                                {
                                    "name": f"Site {run}-{n:03d}",
                                    "description": "Lamp post",
                                    "encodingType": "application/geo+json",
                                    "location": {"type": "Point", "coordinates": [lon, lat]},
                                }
                            ],
                            "Datastreams": [
                                {
                                    "name": f"{PROPERTIES[p][0]} at {run}-{n:03d}",
                                    "description": PROPERTIES[p][0],
                                    "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/"
                                    "OM_Measurement",
                                    "unitOfMeasurement": {
                                        "name": PROPERTIES[p][2],
                                        "symbol": PROPERTIES[p][2],
                                        "definition": PROPERTIES[p][1],
                                    },
                                    "Sensor": {"@iot.id": sensor},
                                    "ObservedProperty": {"@iot.id": properties[p]},
                                }
                                for p in range(STREAMS_PER_THING)
                            ],
                        },
                    )
                )
            )
        streams = []
        for thing in made:
            listed = _check(
                client.get(
                    f"/Things({thing})/Datastreams", params={"$select": "id", "$orderby": "id"}
                ),
                200,
            ).json()["value"]
            streams += [d["@iot.id"] for d in listed]
        network = Network(base, headers, made, streams)
        body = [
            {
                "Datastream": {"@iot.id": s},
                "components": ["phenomenonTime", "result"],
                "dataArray": [[iso(T0_MICROS), 0.0]],
            }
            for s in streams
        ]
        _check_links(_check(client.post("/CreateObservations", json=body), 201))
        for s in streams:
            network.next_time[s] = T0_MICROS + SECOND
    return network


def history(network: Network, total: int) -> Iterator[tuple[int, int, float]]:
    """(stream, phenomenonTime, result) before T0, round by round further back: each
    Datastream one value a minute, all of them interleaved as they would arrive."""
    rounds = math.ceil(total / len(network.streams))
    made = 0
    for k in range(network.history_rounds, network.history_rounds + rounds):
        for index, stream in enumerate(network.streams):
            if made == total:
                network.history_rounds = k + 1
                return
            value = 15.0 + 8.0 * math.sin(k / 720.0) + (index % 7) / 10
            yield stream, T0_MICROS - (k + 1) * STEP - (index % 30) * SECOND, round(value, 2)
            made += 1
    network.history_rounds += rounds


def features_of(server: Server, network: Network) -> dict[int, int]:
    """Each Datastream's FeatureOfInterest (made by its first Observation), for raw rows."""
    from allmende.storage.database import make_engine

    if not network.features:
        engine = make_engine(server.url)
        try:
            with engine.connect() as connection:
                found = connection.exec_driver_sql(
                    "SELECT datastream_id, min(feature_id) FROM sensing_observations "
                    "GROUP BY datastream_id"
                )
                network.features = {int(s): int(f) for s, f in found}
        finally:
            engine.dispose()
    return network.features


def fill_local(server: Server, network: Network, rows: int) -> None:
    """History rows past the API (COPY on PostgreSQL), then what an operator runs after a
    bulk load: the planner's statistics and the Datastreams' own (count, latest …)."""
    from allmende.app import open_database
    from allmende.sensing.service import refresh_statistics

    features = features_of(server, network)
    rows_iter = (
        raw_row(stream, features[stream], when, value)
        for stream, when, value in history(network, rows)
    )
    raw_insert(server.url, rows_iter, copy=server.backend == "postgresql")
    analyze(server)
    database = open_database(server.settings())
    try:
        database.write(lambda s: refresh_statistics(s, datastream_ids=network.streams))
    finally:
        database.close()
    analyze(server)


def analyze(server: Server) -> None:
    if server.backend == "sqlite":
        import sqlite3

        connection = sqlite3.connect(server.url.removeprefix("sqlite:///"))
        try:
            connection.execute("ANALYZE")
        finally:
            connection.close()
    else:
        server.pg.sql("VACUUM (ANALYZE) sensing_observations", database="allmende_bench")
        server.pg.sql("VACUUM (ANALYZE) sensing_datastreams", database="allmende_bench")


def fill_remote(network: Network, rows: int) -> None:
    """History through CreateObservations (another server: no access to its database)."""
    with httpx.Client(base_url=network.base, headers=network.headers, timeout=600) as client:
        chunk: dict[int, list[list[Any]]] = {}

        def send() -> None:
            body = [
                {
                    "Datastream": {"@iot.id": s},
                    "components": ["phenomenonTime", "result"],
                    "dataArray": values,
                }
                for s, values in chunk.items()
            ]
            _check_links(_check(client.post("/CreateObservations", json=body), 201))
            chunk.clear()

        for count, (stream, when, value) in enumerate(history(network, rows), start=1):
            chunk.setdefault(stream, []).append([iso(when), value])
            if count % BATCH == 0:
                send()
        if chunk:
            send()


# --- reads ---------------------------------------------------------------------------------------

GEOMETRY_TYPE = "location/type eq 'Point' or location/geometry/type eq 'Point'"


def read_workloads(network: Network) -> dict[str, list[Request]]:
    """The requests of each client kind (each client cycles through its list)."""
    day = f"phenomenonTime ge {iso(T0_MICROS - 86_400 * SECOND)} and phenomenonTime le {iso(T0_MICROS)}"  # noqa: E501
    box = "POLYGON ((8.55 49.3, 8.9 49.3, 8.9 49.6, 8.55 49.6, 8.55 49.3))"

    def q(path: str, **params: Any) -> str:
        query = "&".join(f"{k}={quote(str(v), safe='$(),;=:/*@')}" for k, v in params.items())
        return f"{path}?{query}" if query else path

    return {
        # The standard "latest value of every stream" (issue 15's dashboard query).
        "dashboard": [
            Request(
                "GET",
                q(
                    "/Things",
                    **{
                        "$expand": "Datastreams($expand=Observations("
                        "$orderby=phenomenonTime desc;$top=1))"
                    },
                ),
            )
        ],
        # Grafana (FROST SensorThings data source): a panel's time range, pages of 1 000, in
        # id order as it sends no $orderby; and a stat panel's latest value.
        "grafana range": [
            Request("GET", q(f"/Datastreams({s})/Observations", **{"$filter": day, "$top": 1000}))
            for s in network.streams
        ],
        "grafana latest": [
            Request(
                "GET",
                q(
                    f"/Datastreams({s})/Observations",
                    **{"$orderby": "phenomenonTime desc", "$top": 1},
                ),
            )
            for s in network.streams
        ],
        # QGIS (SensorThings provider): the feature count, then a page of the map extent.
        "qgis count": [
            Request(
                "GET", q("/Locations", **{"$top": 0, "$count": "true", "$filter": GEOMETRY_TYPE})
            )
        ],
        "qgis extent": [
            Request(
                "GET",
                q(
                    "/Locations",
                    **{
                        "$top": 1000,
                        "$count": "false",
                        "$filter": f"({GEOMETRY_TYPE}) and "
                        f"geo.intersects(location, geography'{box}')",
                    },
                ),
            )
        ],
    }


def describe(name: str, body: bytes) -> str:
    """A short check that the read answered what it should."""
    try:
        data = json.loads(body)
    except ValueError:
        return "not JSON"
    value = data.get("value", [])
    if name == "dashboard":
        latest = sum(len(d.get("Observations", [])) for t in value for d in t["Datastreams"])
        return f"{len(value)} Things, {latest} latest"
    if "@iot.count" in data:
        return f"count={data['@iot.count']}"
    more = " +next" if "@iot.nextLink" in data else ""
    return f"{len(value)} rows{more}"


# --- ingest --------------------------------------------------------------------------------------


def bench_create(network: Network, rows: int, clients: int) -> Load:
    parts = partition(network.streams, clients)
    work = [
        [
            Request("POST", "/CreateObservations", b, 201)
            for b in create_bodies(network, p, rows // clients)
        ]
        for p in parts
    ]
    result = load(
        network.base,
        lambda n: iter(work[n]),
        clients,
        0,
        headers=network.headers,
        total=sum(len(w) for w in work),
    )
    result.requests = (rows // clients) * clients  # Observations, not bodies
    return result


def singles(network: Network, streams: list[int]) -> Iterator[Request]:
    i = 0
    while True:
        stream = streams[i % len(streams)]
        (when,) = network.take_times(stream, 1)
        body = b'{"phenomenonTime":"%s","result":%.1f}' % (iso(when).encode(), 20.0 + i % 50 / 10)
        yield Request("POST", f"/Datastreams({stream})/Observations", body, 201)
        i += 1


def bench_single(network: Network, plan: Plan) -> Load:
    parts = partition(network.streams, plan.single_clients)
    return load(
        network.base,
        lambda n: singles(network, parts[n]),
        plan.single_clients,
        plan.seconds,
        headers=network.headers,
        warmup=plan.warmup,
    )


def bench_floor(server: Server, plan: Plan) -> Load:
    body = b'{"phenomenonTime":"2026-06-01T00:00:00Z","result":20.5}'
    floor = [Request("POST", "/bench/floor", body, 201)]
    return load(
        server.root,
        lambda n: cycle(floor),
        plan.single_clients,
        plan.seconds,
        headers=server.headers(),
        warmup=plan.warmup,
    )


def bench_raw(server: Server, network: Network, rows: int, clients: int) -> Load:
    """The physical limit: SQLite multi-row INSERTs, PostgreSQL COPY from as many connections as
    CreateObservations has clients (each with its own Datastreams)."""
    features = features_of(server, network)

    def rows_of(streams: list[int], count: int) -> list[tuple[Any, ...]]:
        made = []
        per = max(1, BATCH // len(streams))
        while len(made) < count:
            for stream in streams:
                n = min(per, count - len(made))
                if n <= 0:
                    break
                for k, when in enumerate(network.take_times(stream, n)):
                    made.append(raw_row(stream, features[stream], when, 20.0 + k % 50 / 10))
        return made

    if server.backend == "sqlite":
        count, seconds = raw_insert(server.url, iter(rows_of(network.streams, rows)), copy=False)
        return Load(requests=count, seconds=seconds)
    made = [rows_of(part, rows // clients) for part in partition(network.streams, clients)]
    with ThreadPoolExecutor(clients) as pool:
        started = time.perf_counter()
        list(pool.map(lambda mine: raw_insert(server.url, iter(mine), copy=True), made))
        elapsed = time.perf_counter() - started
    return Load(requests=sum(len(m) for m in made), seconds=elapsed)


# --- MQTT ----------------------------------------------------------------------------------------


def stored_count(server: Server | None, network: Network, *, exact: bool = False) -> int:
    """Observations stored in the network's Datastreams: counted in the table (``exact``),
    else the sum of the counts the Datastreams keep (rows added past the API are missing
    there; the ingest paths keep them). Another server: its API's counts."""
    if server is not None:
        from allmende.storage.database import make_engine

        query = (
            "SELECT count(*) FROM sensing_observations"
            if exact
            else "SELECT coalesce(sum(observation_count), 0) FROM sensing_datastreams"
        )
        engine = make_engine(server.url)
        try:
            with engine.connect() as connection:
                return int(connection.exec_driver_sql(query).scalar_one())
        finally:
            engine.dispose()
    total = 0
    with httpx.Client(base_url=network.base, headers=network.headers, timeout=60) as client:
        for stream in network.streams:
            page = client.get(
                f"/Datastreams({stream})/Observations", params={"$count": "true", "$top": 0}
            ).json()
            total += int(page["@iot.count"])
    return total


def bench_mqtt(
    server: Server | None, network: Network, host: str, port: int, key: str, plan: Plan
) -> Load:
    """QoS 1 publishes from several paho clients, each with up to ``mqtt_inflight``
    unacknowledged messages; the clock stops when every message is acknowledged and stored.
    ``failures`` names the messages that were lost."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    before = stored_count(server, network)
    parts = partition(network.streams, plan.mqtt_clients)
    per_client = plan.mqtt_rows // plan.mqtt_clients
    messages = []
    for streams in parts:
        mine = []
        for i in range(per_client):
            stream = streams[i % len(streams)]
            (when,) = network.take_times(stream, 1)
            payload = b'{"phenomenonTime":"%s","result":%.2f}' % (iso(when).encode(), 1.23 + i % 10)
            mine.append((f"v1.1/Datastreams({stream})/Observations", payload))
        messages.append(mine)
    clients = []
    for n in range(plan.mqtt_clients):
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"bench-{n}-{secrets.token_hex(4)}"
        )
        client.username_pw_set("bench", key)
        mqtt_start(client, host, port)  # connected and authenticated
        clients.append(client)
    expected = before + per_client * plan.mqtt_clients
    started = time.perf_counter()

    def publish(client: Any, mine: list[tuple[str, bytes]]) -> None:
        publish_windowed(client, mine, plan.mqtt_inflight)  # what was lost, the count tells

    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(publish, clients, messages))
    deadline = time.monotonic() + 120
    stored = stored_count(server, network)
    while stored < expected and time.monotonic() < deadline:
        time.sleep(0.05)
        stored = stored_count(server, network)
    elapsed = time.perf_counter() - started
    for client in clients:
        mqtt_stop(client)
    result = Load(requests=per_client * plan.mqtt_clients, seconds=elapsed)
    if stored != expected:
        result.failures.append(f"{expected - stored} of {result.requests} not stored")
    return result


# --- pages ---------------------------------------------------------------------------------------


def page_paths(root: str) -> list[tuple[str, str]]:
    """The public pages of the demo: home, sensor list, asset map, a station, a process."""
    with httpx.Client(base_url=root, timeout=120) as client:
        sensors = _check(client.get("/sensors"), 200).text
        processes = _check(client.get("/participation"), 200).text
    station = re.search(r'href="(/sensors/\d+)"', sensors)
    process = re.search(r'href="(/participation/\d+)"', processes)
    if station is None or process is None:
        raise RuntimeError("the demo has no station or no participation process to measure")
    return [
        ("/", "/"),
        ("/sensors", "/sensors"),
        ("/assets", "/assets"),
        ("station", station.group(1)),
        ("process", process.group(1)),
    ]


# --- statistics of the rounds --------------------------------------------------------------------


def spread(values: Sequence[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "low": min(values), "high": max(values)}


def summary(loads: Sequence[Load], *, rate_only: bool = False) -> dict[str, Any]:
    entry: dict[str, Any] = {"rate": spread([x.rate for x in loads]), "rounds": len(loads)}
    if not rate_only:
        p50 = [1000 * percentile(sorted(x.latencies), 0.50) for x in loads if x.latencies]
        p95 = [1000 * percentile(sorted(x.latencies), 0.95) for x in loads if x.latencies]
        if p95:
            entry |= {"p50_ms": spread(p50), "p95_ms": spread(p95)}
    metered = [x.cpu_us for x in loads if x.cpu_us]
    if metered:
        entry["cpu_us"] = {
            part: spread([m[part] for m in metered])
            for part in CPU_PARTS
            if statistics.median(m[part] for m in metered) >= 1
        }
    failures = [f for x in loads for f in x.failures]
    if failures:
        entry["failures"] = {"count": len(failures), "first": failures[:3]}
    return entry


# --- one backend ---------------------------------------------------------------------------------


@dataclass
class Options:
    plan: Plan
    backends: list[str]
    base_url: str | None
    key: str | None
    skip: set[str]
    mqtt_url: str | None


def run_local(backend: str, options: Options) -> dict[str, Any]:
    plan = options.plan
    folder = Path(tempfile.mkdtemp(prefix=f"allmende-clients-{backend}-"))
    workers = 1 if backend == "sqlite" else 2
    result: dict[str, Any] = {
        "workers": workers,
        "reads": {},
        "reads uncached": {},
        "ingest": {},
        "pages": {},
        "pages uncached": {},
    }
    server = Server(backend, folder)
    broker = Mosquitto(folder)
    done = False
    try:
        log(f"{backend}: migrating, starting {workers} worker(s)")
        server.create()
        # SQLite: one process with the embedded broker; PostgreSQL: two workers, which share
        # Mosquitto (an embedded broker cannot listen in two processes).
        if backend == "sqlite" and mqtt_available():
            server.start(workers=1, mqtt_mode="embedded", mqtt_port=free_port())
        elif mqtt_available() and mosquitto_available() and "mqtt" not in options.skip:
            server.start(workers=workers, mqtt_mode="external", mqtt_port=broker.start())
        else:
            server.start(workers=workers)
        network = build_network(server.base, server.headers(), plan.things)
        log(f"{backend}: {len(network.things)} Things, {len(network.streams)} Datastreams")
        for number, size in enumerate(plan.sizes):
            current = stored_count(server, network, exact=True)
            if size > current:
                started = time.perf_counter()
                fill_local(server, network, size - current)
                log(f"{backend}: filled to {size:,} rows in {time.perf_counter() - started:.0f} s")
            if "reads" not in options.skip:
                result["reads"][str(size)] = measure_reads(network, plan, backend)
                if "uncached" not in options.skip:
                    server.restart(read_cache=False)
                    uncached = measure_reads(network, plan, f"{backend}, cache off")
                    result["reads uncached"][str(size)] = uncached
                    server.restart(read_cache=True)
            if number == 0 and "ingest" not in options.skip:
                result["ingest"] = measure_ingest(server, network, plan, backend)
        if "mqtt" not in options.skip and mqtt_available():
            result["ingest"] |= measure_mqtt(server, broker, network, plan, backend)
        server.stop()
        if "pages" not in options.skip:
            result["pages"], result["pages uncached"] = measure_pages(
                backend, folder, plan, workers, uncached="uncached" not in options.skip
            )
        done = True
    finally:
        server.stop()
        broker.stop()
        if done:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            log(f"{backend}: kept {folder} (server.log says what happened)")
    return result


def measure_reads(network: Network, plan: Plan, label: str) -> dict[str, Any]:
    workloads = read_workloads(network)
    loads: dict[str, list[Load]] = {name: [] for name in workloads}
    for round_number in range(plan.rounds):
        for name, requests in workloads.items():
            measured = load(
                network.base,
                lambda n, r=requests: cycle(r, n),
                plan.read_clients,
                plan.seconds,
                warmup=plan.warmup,
            )
            loads[name].append(measured)
            log(
                f"{label}: {name} round {round_number + 1}: {measured.rate:,.0f} req/s, p95 "
                f"{1000 * percentile(sorted(measured.latencies), 0.95):.1f} ms"
            )
    found = {}
    for name, measured in loads.items():
        found[name] = summary(measured) | {
            "answer": describe(name, measured[-1].last_body),
            "clients": plan.read_clients,
        }
    return found


#: The changed entities whose MQTT notifications the server dropped (docs/mqtt.md).
DROPPED = ("allmende_mqtt_messages_total", {"kind": "dropped"})


def measure_ingest(server: Server, network: Network, plan: Plan, label: str) -> dict[str, Any]:
    """Rounds that take turns: raw insert, CreateObservations, single POSTs, the floor; the
    share of CreateObservations is taken per round (against the raw run next to it)."""
    raw: list[Load] = []
    create: list[Load] = []
    single: list[Load] = []
    floor: list[Load] = []
    busy: list[float] = []  # seconds the server needed to finish a workload's work
    dropped: list[float] = []  # per round: share of the Observations announced by no message

    def create_round() -> Load:
        before = server.metric(*DROPPED)
        load = bench_create(network, plan.raw_rows, plan.create_clients)
        dropped.append((server.metric(*DROPPED) - before) / load.requests)
        return load

    workloads: list[tuple[list[Load], Callable[[], Load]]] = [
        (raw, lambda: bench_raw(server, network, plan.raw_rows, plan.create_clients)),
        (create, create_round),
        (single, lambda: bench_single(network, plan)),
        (floor, lambda: bench_floor(server, plan)),
    ]
    for round_number in range(plan.rounds):
        for loads, measure in workloads:
            busy.append(server.settle(label))
            loads.append(server.metered(measure))
        log(
            f"{label}: ingest round {round_number + 1}: raw {raw[-1].rate:,.0f}/s, "
            f"CreateObservations {create[-1].rate:,.0f}/s, single POST {single[-1].rate:,.0f}/s, "
            f"floor {floor[-1].rate:,.0f}/s"
        )
    raw_kind = "multi-row INSERT" if server.backend == "sqlite" else f"COPY ×{plan.create_clients}"
    return {
        "raw": summary(raw, rate_only=True) | {"how": raw_kind},
        "CreateObservations": summary(create, rate_only=True)
        | {
            "clients": plan.create_clients,
            "share_of_raw": spread([c.rate / r.rate for c, r in zip(create, raw, strict=True)]),
            "notifications_dropped": spread(dropped) if server.mqtt_mode != "off" else None,
        },
        "single POST": summary(single)
        | {
            "clients": plan.single_clients,
            "share_of_floor": spread([s.rate / f.rate for s, f in zip(single, floor, strict=True)]),
        },
        "floor": summary(floor) | {"clients": plan.single_clients},
        "busy after": spread(busy),
    }


def measure_mqtt(
    server: Server, broker: Mosquitto, network: Network, plan: Plan, label: str
) -> dict[str, Any]:
    """Both brokers: the server's configuration of the run first, then the other one."""
    found: dict[str, Any] = {}
    modes = (
        ["embedded", "mosquitto"] if server.mqtt_mode == "embedded" else ["mosquitto", "embedded"]
    )
    for mode in modes:
        if mode == "mosquitto" and not mosquitto_available():
            found["MQTT mosquitto"] = None
            continue
        if (mode == "embedded") != (server.mqtt_mode == "embedded"):
            if mode == "embedded":  # one process: the broker listens in it
                broker.stop()
                server.start(workers=1, mqtt_mode="embedded", mqtt_port=free_port())
            else:
                server.start(workers=server.workers, mqtt_mode="external", mqtt_port=broker.start())
        assert server.mqtt_port is not None
        loads = []
        busy = []  # after a round: the server publishing the notifications of what it stored
        server.settle(label)
        for round_number in range(plan.rounds):
            measured = server.metered(
                functools.partial(
                    bench_mqtt, server, network, "127.0.0.1", server.mqtt_port, server.key, plan
                )
            )
            loads.append(measured)
            busy.append(server.settle(label))
            lost = f" LOST {measured.failures[0]}" if measured.failures else ""
            log(
                f"{label}: MQTT {mode} ({server.workers} worker(s)) round {round_number + 1}: "
                f"{measured.rate:,.0f}/s{lost}"
            )
        found[f"MQTT {mode}"] = summary(loads, rate_only=True) | {
            "clients": plan.mqtt_clients,
            "inflight": plan.mqtt_inflight,
            "workers": server.workers,
            "lost": sum(int(f.split()[0]) for x in loads for f in x.failures),
            "busy_after_s": spread(busy),
        }
    return found


def measure_pages(
    backend: str, folder: Path, plan: Plan, workers: int, *, uncached: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The demo's public pages as served (read cache on), then, with ``uncached``, with the
    read cache off (each page computed, as for a signed-in visitor)."""
    log(f"{backend}: building the demo region for the pages")
    demo = Server(backend, folder / "demo")
    demo.folder.mkdir(parents=True, exist_ok=True)
    try:
        demo.create(demo=True)
        demo.start(workers=workers)
        paths = page_paths(demo.root)
        cached = page_rounds(demo, paths, plan, backend)
        if not uncached:
            return cached, {}
        demo.restart(read_cache=False)
        return cached, page_rounds(demo, paths, plan, f"{backend}, cache off")
    finally:
        demo.stop()


def page_rounds(
    demo: Server, paths: list[tuple[str, str]], plan: Plan, label: str
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    loads: dict[tuple[str, int], list[Load]] = {}
    for round_number in range(plan.rounds):
        for clients in PAGE_CLIENTS:
            for name, path in paths:
                measured = load(
                    demo.root,
                    lambda n, p=path: cycle([Request("GET", p)]),
                    clients,
                    plan.seconds,
                    warmup=2 * plan.warmup,
                )
                loads.setdefault((name, clients), []).append(measured)
        log(f"{label}: pages round {round_number + 1} done")
    for (name, clients), measured in loads.items():
        found.setdefault(name, {})[str(clients)] = summary(measured)
    found["paths"] = dict(paths)
    return found


def run_remote(options: Options) -> dict[str, Any]:
    """Another server: the network is built and filled through its API; reads and HTTP
    ingest (and MQTT, with --mqtt-url) as for Allmende."""
    assert options.base_url is not None
    plan = options.plan
    headers = {"Authorization": f"Bearer {options.key}"} if options.key else {}
    result: dict[str, Any] = {"reads": {}, "ingest": {}}
    network = build_network(options.base_url, headers, plan.things)
    log(f"remote: {len(network.things)} Things, {len(network.streams)} Datastreams")
    for number, size in enumerate(plan.sizes):
        current = stored_count(None, network)
        if size > current:
            started = time.perf_counter()
            fill_remote(network, size - current)
            log(f"remote: filled to {size:,} rows in {time.perf_counter() - started:.0f} s")
        if "reads" not in options.skip:
            result["reads"][str(size)] = measure_reads(network, plan, "remote")
        if number == 0 and "ingest" not in options.skip:
            before = stored_count(None, network)
            create = [
                bench_create(network, plan.raw_rows, plan.create_clients)
                for _ in range(plan.rounds)
            ]
            # A server may answer 201 and leave rows out (istSOS4 lists "error" for them).
            stored = stored_count(None, network) - before
            if stored != sum(x.requests for x in create):
                create[-1].failures.append(
                    f"{sum(x.requests for x in create) - stored} of "
                    f"{sum(x.requests for x in create)} not stored"
                )
            single = [bench_single(network, plan) for _ in range(plan.rounds)]
            result["ingest"] = {
                "CreateObservations": summary(create, rate_only=True)
                | {"clients": plan.create_clients},
                "single POST": summary(single) | {"clients": plan.single_clients},
            }
    if options.mqtt_url and "mqtt" not in options.skip:
        parts = urlsplit(options.mqtt_url)
        loads = [
            bench_mqtt(
                None,
                network,
                parts.hostname or "127.0.0.1",
                parts.port or 1883,
                options.key or "",
                plan,
            )
            for _ in range(plan.rounds)
        ]
        result["ingest"]["MQTT remote"] = summary(loads, rate_only=True)
    return result


# --- output ------------------------------------------------------------------------------------


def fmt_spread(entry: dict[str, float] | None, unit: str = "", digits: int = 0) -> str:
    if entry is None:
        return "n/a"
    return (
        f"{entry['median']:,.{digits}f}{unit} "
        f"({entry['low']:,.{digits}f}–{entry['high']:,.{digits}f})"
    )


def percent(share: dict[str, float]) -> str:
    return fmt_spread({k: 100 * v for k, v in share.items()}, " %")


def failed(entry: dict[str, Any]) -> str:
    """Requests answered with another status than expected (counted in the rate all the same)."""
    failures = entry.get("failures")
    if not failures:
        return ""
    return f"  FAILED {failures['count']}: {failures['first'][0][:160]}"


def tables(report: dict[str, Any]) -> str:
    m = report["machine"]
    plan = report["plan"]
    lines = [
        "Clients benchmark (bench/clients.py)",
        f"CPU: {m['cpu']} | cores: {m['cores']} | RAM: {m['ram_gib']} GiB | load before: "
        f"{report['load_before']}",
        f"Python {m['python']} | SQLite {m['sqlite']} | PostgreSQL {m['postgresql'] or 'n/a'}",
        f"{plan['things']} Things × {STREAMS_PER_THING} Datastreams; {plan['rounds']} rounds of "
        f"{plan['seconds']} s; medians (lowest–highest)",
    ]
    for backend, result in report["backends"].items():
        workers = result.get("workers")
        lines += ["", f"== {backend}" + (f", {workers} worker(s)" if workers else "")]
        read_passes = [
            (size, reads, note)
            for key, note in (("reads", ""), ("reads uncached", ", read cache off"))
            for size, reads in result.get(key, {}).items()
        ]
        for size, reads, note in read_passes:
            lines.append(
                f"Reads at {human(int(size))} Observations, {plan['read_clients']} clients{note}:"
            )
            for name, entry in reads.items():
                lines.append(
                    f"  {name:<16} {fmt_spread(entry['rate'], ' req/s'):>30}  p95 "
                    f"{fmt_spread(entry.get('p95_ms'), ' ms', 1):>26}  [{entry['answer']}]"
                    + failed(entry)
                )
        ingest = result.get("ingest", {})
        if ingest:
            lines.append("Ingest, Observations/s:")
            for name, entry in ingest.items():
                if entry is None:
                    lines.append(f"  {name:<22} n/a")
                    continue
                if name == "busy after":  # seconds, not a rate
                    lines.append(
                        f"  (before each workload the server finished the last one's work: "
                        f"{fmt_spread(entry, ' s', 1)})"
                    )
                    continue
                extra = ""
                if "share_of_raw" in entry:
                    extra = f"  {percent(entry['share_of_raw'])} of raw"
                    dropped = entry.get("notifications_dropped")
                    if dropped and dropped["high"] > 0:  # the MQTT backlog overflowed
                        extra += (
                            f", notifications of {percent(dropped)} dropped (mqtt_notify_backlog)"
                        )
                if "share_of_floor" in entry:
                    extra = f"  {percent(entry['share_of_floor'])} of the floor"
                if "lost" in entry:
                    extra = (
                        f"  lost {entry['lost']} ({entry['workers']} worker(s), "
                        f"{entry['clients']} clients × {entry['inflight']} in flight)"
                    )
                    if entry.get("busy_after_s"):  # notifications still going out
                        extra += f", then busy {fmt_spread(entry['busy_after_s'], ' s', 1)}"
                if "how" in entry:
                    extra = f"  ({entry['how']})"
                lines.append(f"  {name:<22} {fmt_spread(entry['rate']):>28}{extra}{failed(entry)}")
                if entry.get("cpu_us"):
                    unit = "request" if "POST" in name or name == "floor" else "Observation"
                    parts = ", ".join(
                        f"{part} {fmt_spread(spent)}" for part, spent in entry["cpu_us"].items()
                    )
                    lines.append(f"    CPU per {unit}, µs: {parts}")
        for key, note in (("pages", ""), ("pages uncached", ", read cache off")):
            pages = result.get(key, {})
            if not pages:
                continue
            lines.append(
                f"Pages of the demo{note}, p95 ms (req/s) at "
                + ", ".join(f"{c} clients" for c in PAGE_CLIENTS)
            )
            for name, per in pages.items():
                if name == "paths":
                    continue
                cells = [
                    f"{per[str(c)]['p95_ms']['median']:,.0f} "
                    f"({per[str(c)]['rate']['median']:,.0f}/s)"
                    for c in PAGE_CLIENTS
                ]
                lines.append(f"  {name:<10} " + "  ".join(f"{c:>18}" for c in cells))
    lines += ["", "Targets (issue 15)", *targets(report)]
    return "\n".join(lines)


def targets(report: dict[str, Any]) -> list[str]:
    rows = []

    def row(goal: str, measured: str, met: bool | None) -> None:
        mark = "n/a " if met is None else ("met " if met else "MISS")
        rows.append(f"  [{mark}] {goal:<58} {measured}")

    for backend, result in report["backends"].items():
        for key, note in (("reads", ""), ("reads uncached", ", cache off")):
            reads = result.get(key, {})
            sizes = sorted(reads, key=int)
            if sizes:
                first = reads[sizes[0]]["dashboard"]
                row(
                    f"{backend}{note}: dashboard ≥ 400 req/s, 8 clients ({human(int(sizes[0]))})",
                    fmt_spread(first["rate"], " req/s") + failed(first),
                    first["rate"]["median"] >= 400 and "failures" not in first,
                )
            if len(sizes) > 1:
                small, large = reads[sizes[0]]["dashboard"], reads[sizes[-1]]["dashboard"]
                goal = (
                    f"{backend}{note}: dashboard p95 at {human(int(sizes[-1]))} "
                    f"≤ 1.5 × at {human(int(sizes[0]))}"
                )
                if "p95_ms" in small and "p95_ms" in large:  # absent where every request failed
                    ratio = large["p95_ms"]["median"] / small["p95_ms"]["median"]
                    row(goal, f"{ratio:.2f} ×", ratio <= 1.5)
                else:
                    row(goal, "no answer", None)
        ingest = result.get("ingest", {})
        if "single POST" in ingest:
            single = ingest["single POST"]
            row(
                f"{backend}: single POST ≥ 3 000/s",
                fmt_spread(single["rate"], "/s") + failed(single),
                single["rate"]["median"] >= 3000 and "failures" not in single,
            )
            if "share_of_floor" in single:
                share = single["share_of_floor"]["median"]
                row(
                    f"{backend}: single POST ≥ 30 % of the floor",
                    f"{100 * share:.0f} %",
                    share >= 0.3,
                )
        if "CreateObservations" in ingest and "share_of_raw" in ingest["CreateObservations"]:
            share = ingest["CreateObservations"]["share_of_raw"]
            row(
                f"{backend}: CreateObservations ≥ 50 % of raw",
                percent(share),
                share["median"] >= 0.5,
            )
        for mode, goal in (("mosquitto", 20_000), ("embedded", 10_000)):
            entry = ingest.get(f"MQTT {mode}")
            if entry:
                row(
                    f"{backend}: MQTT QoS 1 {mode} ≥ {goal:,}/s, 0 lost",
                    f"{fmt_spread(entry['rate'], '/s')}, lost {entry['lost']}",
                    entry["rate"]["median"] >= goal and entry["lost"] == 0,
                )
        for key, note in (("pages", ""), ("pages uncached", ", cache off")):
            pages = result.get(key, {})
            if pages:
                worst = max(
                    (per["64"]["p95_ms"]["median"], name)
                    for name, per in pages.items()
                    if name != "paths"
                )
                row(
                    f"{backend}{note}: pages p95 < 300 ms at 64 clients (worst)",
                    f"{worst[0]:,.0f} ms ({worst[1]})",
                    worst[0] < 300,
                )
    return rows


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="small sizes and short rounds")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes, one round (a test)")
    parser.add_argument("--sizes", help="table sizes for the reads, e.g. 1e6,1e7")
    parser.add_argument("--rounds", type=int, help="rounds per measurement (default 3)")
    parser.add_argument("--seconds", type=float, help="seconds per measured load")
    parser.add_argument("--things", type=int, help="Things of the network (4 Datastreams each)")
    parser.add_argument("--mqtt-rows", type=int, help="MQTT messages per round (all clients)")
    parser.add_argument(
        "--skip",
        default="",
        help="leave out: reads,ingest,mqtt,pages, or uncached (the second pass of the reads "
        "and pages with the read cache off)",
    )
    parser.add_argument(
        "--url",
        "--base-url",
        dest="base_url",
        help="another SensorThings server's root, e.g. …/v1.1",
    )
    parser.add_argument("--key", help="with --url: a bearer token to write with")
    parser.add_argument("--mqtt-url", help="with --url: its MQTT broker, mqtt://host:port")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)
    plan = TINY if args.tiny else QUICK if args.quick else FULL
    overrides: dict[str, Any] = {}
    if args.sizes is not None:
        overrides["sizes"] = tuple(int(float(v)) for v in args.sizes.split(",") if v.strip())
    for name in ("rounds", "seconds", "things", "mqtt_rows"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    plan = Plan(**{**plan.__dict__, **overrides})
    options = Options(
        plan=plan,
        backends=["sqlite", "postgresql"] if args.backend == "both" else [args.backend],
        base_url=args.base_url.rstrip("/") if args.base_url else None,
        key=args.key,
        skip={s.strip() for s in args.skip.split(",") if s.strip()},
        mqtt_url=args.mqtt_url,
    )
    report: dict[str, Any] = {
        "machine": machine_info(postgres_version()),
        "load_before": load_average(),
        "plan": plan.__dict__,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "backends": {},
    }
    if options.base_url:
        report["backends"][options.base_url] = run_remote(options)
    else:
        for backend in options.backends:
            report["backends"][backend] = run_local(backend, options)
            if args.json:
                args.json.write_text(json.dumps(report, indent=2))
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["load_after"] = load_average()
    print(tables(report), flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
