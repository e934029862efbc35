"""What the SensorThings benchmarks share: the machine they ran on, their log lines, ports,
raw inserts of Observations past the API (the physical limit), CreateObservations bodies, and
the percentiles and sizes of their tables.

The scripts next to it import it as a sibling (``python bench/<x>.py`` puts ``bench/`` first on
the path), so it is no package of the project.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any, Protocol

from allmende.sensing.ingest import COLUMNS
from allmende.sensing.results import encode_result
from allmende.storage.database import make_engine
from allmende.storage.ephemeral_pg import EphemeralPostgres, PostgresUnavailable

SECOND = 1_000_000  # phenomenonTimes are microseconds since the epoch
BATCH = 10_000  # Observations per raw transaction and per CreateObservations body
MQTT_MODULE = "allmende.standards.sensorthings.mqtt"
RAW_COLUMNS = COLUMNS[1:]  # the database assigns ids
SQLITE_ROWS = 1024  # rows per raw INSERT on SQLite, as the ingest writes them
_FLOAT = encode_result(1.0)[0]


# --- machine and log -------------------------------------------------------------------------


def cpu_model() -> str:
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def machine_info(pg_version: str | None) -> dict[str, Any]:
    cpu = cpu_model()
    ram_kib = 0
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                ram_kib = int(line.split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(ram_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version,
        "platform": platform.platform(),
    }


def postgres_version() -> str | None:
    try:
        server = EphemeralPostgres()
    except PostgresUnavailable:
        return None
    found = subprocess.run(
        [str(server.bindir / "postgres"), "--version"], capture_output=True, text=True, check=False
    )
    version = re.search(r"\d+(\.\d+)+", found.stdout)  # "postgres (PostgreSQL) 15.18 (…)"
    return version.group(0) if version else None


def log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def mqtt_available() -> bool:
    try:
        return importlib.util.find_spec(MQTT_MODULE) is not None
    except ModuleNotFoundError:
        return False


def iso(micros: int) -> str:
    return datetime.fromtimestamp(micros / SECOND, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Observations past the API ---------------------------------------------------------------


def raw_row(stream: int, feature: int, when: int, value: float) -> tuple[Any, ...]:
    return (stream, None, feature, when, when, None, None, None, _FLOAT, value, None, None, None,
            None)  # fmt: skip


def batches(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def raw_insert(url: str, rows: Iterator[tuple[Any, ...]], *, copy: bool) -> tuple[int, float]:
    """Insert the rows in transactions of BATCH rows; (rows, seconds spent in the database)."""
    table = "sensing_observations"
    names = ", ".join(RAW_COLUMNS)
    engine = make_engine(url)
    spent, count = 0.0, 0
    try:
        connection = engine.raw_connection()
        try:
            driver: Any = connection.driver_connection
            for batch in batches(rows, BATCH):
                started = time.perf_counter()
                cursor = driver.cursor()
                if engine.dialect.name == "sqlite":
                    # The engine's connections run in autocommit mode (SQLAlchemy sends the
                    # BEGIN); without one every row would be its own transaction.
                    cursor.execute("BEGIN IMMEDIATE")
                if copy:
                    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as stream:
                        for row in batch:
                            stream.write_row(row)
                elif engine.dialect.name == "sqlite":
                    # Multi-row statements: the fastest way in (an executemany is a step per row).
                    row = f"({', '.join('?' for _ in RAW_COLUMNS)})"
                    for start in range(0, len(batch), SQLITE_ROWS):
                        chunk = batch[start : start + SQLITE_ROWS]
                        values = ", ".join(row for _ in chunk)
                        cursor.execute(
                            f"INSERT INTO {table} ({names}) VALUES {values}",  # noqa: S608
                            tuple(chain.from_iterable(chunk)),
                        )
                else:
                    marks = ", ".join("%s" for _ in RAW_COLUMNS)
                    cursor.executemany(
                        f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                        batch,
                    )
                cursor.close()
                driver.commit()
                spent += time.perf_counter() - started
                count += len(batch)
        finally:
            connection.close()
    finally:
        engine.dispose()
    return count, spent


# --- ingest over HTTP ------------------------------------------------------------------------


class Times(Protocol):
    def take_times(self, stream: int, count: int) -> range: ...


def partition(streams: Sequence[int], parts: int) -> list[list[int]]:
    """Disjoint sets of Datastreams, one per client, so each client only appends."""
    return [list(streams[i::parts]) for i in range(parts)]


def create_bodies(network: Times, streams: list[int], total: int) -> list[bytes]:
    """CreateObservations bodies of BATCH rows each, spread over the client's streams."""
    bodies = []
    per_stream = max(1, BATCH // len(streams))
    left = total
    while left > 0:
        body = []
        count = 0
        for stream in streams:
            if count >= min(BATCH, left):
                break
            n = min(per_stream, BATCH - count, left - count)
            times = network.take_times(stream, n)
            body.append(
                {
                    "Datastream": {"@iot.id": stream},
                    "components": ["phenomenonTime", "result"],
                    "dataArray@iot.count": n,
                    "dataArray": [[iso(t), 20.0 + i % 50 / 10] for i, t in enumerate(times)],
                }
            )
            count += n
        left -= count
        bodies.append(json.dumps(body).encode())
    return bodies


# --- figures ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile of sorted ``values`` (nearest rank); NaN when nothing completed."""
    if not values:
        return math.nan
    index = min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))
    return values[index]


def human(size: int) -> str:
    for unit, scale in (("M", 1_000_000), ("k", 1_000)):
        if size >= scale:
            return f"{size / scale:.3g}{unit}"
    return str(size)


# --- MQTT clients ----------------------------------------------------------------------------


def mqtt_start(client: Any, host: str, port: int, timeout: float = 30) -> None:
    """Connect a paho client, start its network thread and wait for the broker's CONNACK.
    Paho keeps no in-flight window of its own (:func:`publish_windowed` keeps it)."""
    client.max_inflight_messages_set(0)  # before connecting: paho refuses it later
    client.max_queued_messages_set(0)
    answered = threading.Event()
    client.on_connect = lambda *_: answered.set()
    client.connect(host, port)
    client.loop_start()
    if not answered.wait(timeout):
        raise RuntimeError(f"no CONNACK from {host}:{port} within {timeout:.0f} s")


def publish_windowed(
    client: Any, messages: Iterable[tuple[str, bytes | str]], window: int, timeout: float = 300
) -> bool:
    """Publish ``messages`` with QoS 1, at most ``window`` of them unacknowledged, and wait for
    the last PUBACK; False if one was not acknowledged within ``timeout`` seconds.

    The window is kept here, and paho's own is switched off (by :func:`mqtt_start`): paho walks
    every message it holds at each PUBACK when it keeps a window, which made the publishers
    cost more than the broker (61 against 28 µs of CPU per message with a window of 1 000, one
    paho client and Mosquitto on this machine). On the wire it is the same: ``window`` PUBLISH
    packets in flight."""
    free = threading.Semaphore(window)
    client.on_publish = lambda *_: free.release()
    for topic, payload in messages:
        if not free.acquire(timeout=timeout):
            return False
        client.publish(topic, payload, qos=1)
    return all(free.acquire(timeout=timeout) for _ in range(window))


def mqtt_stop(client: Any) -> None:
    """Disconnect first: the network thread then ends at once, where ``loop_stop`` alone waits
    for its next wake-up (up to a second per client)."""
    client.disconnect()
    client.loop_stop()


# --- Mosquitto -------------------------------------------------------------------------------


@dataclass
class Mosquitto:
    folder: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> int:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.port = free_port()
        config = self.folder / "mosquitto.conf"
        # The production settings of docs/mqtt.md: Allmende's subscription may hold a whole
        # batch in flight, and a burst is queued, not dropped (the defaults are 20 and 1 000).
        config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_inflight_messages 1000\nmax_queued_messages 100000\n"
        )
        log = (self.folder / "mosquitto.log").open("ab")
        self.process = subprocess.Popen([binary, "-c", str(config)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self.port
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


# --- where the CPU went -----------------------------------------------------------------------
#
# A rate on a machine shared by server, database, broker and clients says little about which of
# them to make cheaper; the CPU each spent per request does. Read from /proc (Linux only).

CPU_PARTS = ("server", "database", "broker", "clients")


def cpu_seconds(server_pid: int | None) -> dict[str, float] | None:
    """CPU seconds (user + system) spent so far by each part: the server's process tree, the
    PostgreSQL processes, Mosquitto and this process (the clients); None without /proc."""
    if not Path("/proc/self/stat").exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    ticks: dict[int, tuple[str, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # ended meanwhile
            continue
        name, _, rest = stat.partition(" (")[2].rpartition(") ")
        fields = rest.split()
        parents[int(entry)] = int(fields[1])
        ticks[int(entry)] = (name, int(fields[11]) + int(fields[12]))
    spent = dict.fromkeys(CPU_PARTS, 0.0)
    for pid, (name, used) in ticks.items():
        part = _part(pid, name, server_pid, parents)
        if part is not None:
            spent[part] += used / tick
    return spent


def _part(pid: int, name: str, server_pid: int | None, parents: dict[int, int]) -> str | None:
    if pid == os.getpid():
        return "clients"
    if name == "postgres":
        return "database"
    if name == "mosquitto":
        return "broker"
    while server_pid is not None and pid > 1:
        if pid == server_pid:
            return "server"
        pid = parents.get(pid, 0)
    return None


def cpu_per_request(
    before: dict[str, float] | None, after: dict[str, float] | None, requests: float
) -> dict[str, float]:
    """Microseconds of CPU per request by part, between two readings of :func:`cpu_seconds`."""
    if before is None or after is None or requests <= 0:
        return {}
    return {part: 1e6 * (after[part] - before[part]) / requests for part in CPU_PARTS}


def mosquitto_available() -> bool:
    return shutil.which("mosquitto") is not None or Path("/usr/sbin/mosquitto").exists()
