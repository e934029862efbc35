"""Do writes keep flowing while sign-ins are hammered? Honest writers against a login flood.

Starts ``allmende serve`` on a migrated database (a real socket, loopback only), then runs two
phases of ``--seconds`` each: honest writers POSTing Observations alone, and the same writers
while ``--attackers`` clients POST wrong passwords to ``/login`` as fast as they can, each with
a new e-mail address every time. ``--flood same-address`` sends them all from one address (the
per-address limit answers); ``rotating-addresses`` gives each attempt another address through
``X-Forwarded-For`` (the server trusts its loopback proxy), as a botnet would, so only the
bounded password workers stand between the flood and everyone else.

    PYTHONPATH=src python bench/login_flood.py                      # SQLite, both floods
    PYTHONPATH=src python bench/login_flood.py --backend postgresql --seconds 30

It prints, per phase, the writes per second, their latency (p50/p95/p99), the sign-in answers
by status, and the server's peak memory, with the machine. Timings on a shared machine are
provisional; compare phases of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from allmende.app import load_registry, migration_locations, open_database
from allmende.core.settings import Mode, Settings
from allmende.identity import service as identity
from allmende.sensing import read as sensing
from allmende.storage.ephemeral_pg import EphemeralPostgres
from allmende.storage.migrate import upgrade

OWNER = "owner@bench.example"
PASSWORD = "a long and honest password"  # noqa: S105 - a throwaway bench account
CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


@dataclass
class Phase:
    name: str
    write_ms: list[float] = field(default_factory=list)
    write_errors: Counter[int] = field(default_factory=Counter)
    logins: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0

    def row(self) -> str:
        ms = sorted(self.write_ms)

        def pct(p: float) -> str:
            return f"{ms[min(len(ms) - 1, int(p * len(ms)))]:8.1f}" if ms else "       –"

        rate = len(ms) / self.seconds if self.seconds else 0.0
        logins = ", ".join(f"{s}: {n}" for s, n in sorted(self.logins.items())) or "–"
        errors = sum(self.write_errors.values())
        return (
            f"{self.name:<28} {rate:8.1f} {pct(0.5)} {pct(0.95)} {pct(0.99)} "
            f"{errors:6d}   logins {logins}"
        )


@dataclass
class Server:
    backend: str
    folder: Path
    url: str = ""
    key: str = ""
    stream: int = 0
    port: int = 0
    pg: EphemeralPostgres | None = None
    process: subprocess.Popen[bytes] | None = None
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    def prepare(self) -> None:
        if self.backend == "sqlite":
            self.url = f"sqlite:///{self.folder / 'bench.sqlite3'}"
        else:
            self.pg = EphemeralPostgres()
            self.pg.start()
            self.url = self.pg.create_database("allmende_bench")
        settings = Settings(mode=Mode.DEV, database_url=self.url, secret_key=self.secret)
        upgrade(self.url, migration_locations(load_registry(settings)))
        database = open_database(settings)

        def seed(session: Any) -> tuple[str, int]:
            town = identity.create_municipality(session, key="benchstadt", name="Benchstadt")
            identity.create_user(session, email=OWNER, display_name="Owner", password=PASSWORD)
            key = identity.create_api_key(
                session, name="bench", scopes=["sensorthings"], municipality_key="benchstadt"
            ).key
            thing = sensing.create_thing(
                session, municipality_id=town.id, name="Pegel", lon=8.6, lat=49.4
            )
            sensor = sensing.create_sensor(session, municipality_id=town.id, name="Sonde")
            prop = sensing.create_observed_property(
                session, municipality_id=town.id, name="Pegel", definition="https://e.org/pegel"
            )
            stream = sensing.create_datastream(
                session,
                thing_id=thing,
                sensor_id=sensor,
                observed_property_id=prop,
                name="Pegel",
                unit={"name": "centimetre", "symbol": "cm", "definition": "ucum:cm"},
            )
            return key, stream

        try:
            self.key, self.stream = database.write(seed)
        finally:
            database.close()

    def start(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        env = {
            **os.environ,
            "ALLMENDE_MODE": "production",
            "ALLMENDE_DATABASE_URL": self.url,
            "ALLMENDE_SECRET_KEY": self.secret,
            "ALLMENDE_ALLOWED_HOSTS": '["127.0.0.1"]',
            "ALLMENDE_DATA_DIR": str(self.folder / "data"),
            "ALLMENDE_LOG_LEVEL": "WARNING",
            "ALLMENDE_RUN_JOBS": "false",
            "ALLMENDE_MQTT_MODE": "off",
        }
        log = (self.folder / "server.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "allmende", "serve", "--no-migrate", "--port", str(self.port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited; see {self.folder / 'server.log'}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not become ready within 60 s")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def peak_memory_mib(self) -> float:
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(found.group(1)) / 1024 if found else 0.0

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.pg is not None:
            self.pg.stop()


async def writer(client: httpx.AsyncClient, server: Server, phase: Phase, until: float) -> None:
    path = f"/v1.1/Datastreams({server.stream})/Observations"
    headers = {"Authorization": f"Bearer {server.key}"}
    while time.monotonic() < until:
        when = START + timedelta(microseconds=next(TICKS))
        body = {"phenomenonTime": when.isoformat().replace("+00:00", "Z"), "result": 1.0}
        started = time.perf_counter()
        try:
            response = await client.post(path, json=body, headers=headers)
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        if status == 201:
            phase.write_ms.append((time.perf_counter() - started) * 1000)
        else:
            phase.write_errors[status] += 1


async def attacker(base: str, phase: Phase, until: float, *, rotate_address: bool) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        token = CSRF_FIELD.search((await client.get("/login")).text)
        assert token is not None
        while time.monotonic() < until:
            headers = {}
            if rotate_address:
                headers["X-Forwarded-For"] = f"10.{random.randrange(256)}.{random.randrange(256)}.1"
            form = {
                "email": f"guess{next(TICKS)}@bench.example",
                "password": "wrong",
                "csrf_token": token.group(1),
            }
            try:
                response = await client.post("/login", data=form, headers=headers)
                phase.logins[response.status_code] += 1
            except httpx.HTTPError:
                phase.logins[0] += 1


async def run_phase(
    server: Server, name: str, seconds: float, writers: int, attackers: int, flood: str | None
) -> Phase:
    phase = Phase(name)
    until = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=writers, max_keepalive_connections=writers)
    async with httpx.AsyncClient(base_url=server.base, timeout=120, limits=limits) as client:
        tasks = [writer(client, server, phase, until) for _ in range(writers)]
        if flood is not None:
            rotate = flood == "rotating-addresses"
            tasks += [
                attacker(server.base, phase, until, rotate_address=rotate) for _ in range(attackers)
            ]
        started = time.monotonic()
        writing = asyncio.gather(*tasks[:writers])
        flooding = asyncio.gather(*tasks[writers:])
        await writing
        phase.seconds = time.monotonic() - started  # the writers' window, not the last login's
        await flooding
    return phase


START = datetime(2030, 1, 1, tzinfo=UTC)
TICKS = itertools.count()


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, load {load}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--attackers", type=int, default=10)
    parser.add_argument(
        "--flood",
        choices=("same-address", "rotating-addresses", "both"),
        default="both",
    )
    args = parser.parse_args(argv)
    floods = ["same-address", "rotating-addresses"] if args.flood == "both" else [args.flood]
    with tempfile.TemporaryDirectory(prefix="allmende-login-flood-") as folder:
        server = Server(args.backend, Path(folder))
        server.prepare()
        server.start()
        try:
            phases = [
                asyncio.run(run_phase(server, "writers alone", args.seconds, args.writers, 0, None))
            ]
            for flood in floods:
                name = f"+ {args.attackers} logins, {flood.split('-')[0]}"
                phases.append(
                    asyncio.run(
                        run_phase(server, name, args.seconds, args.writers, args.attackers, flood)
                    )
                )
            memory = server.peak_memory_mib()
        finally:
            server.stop()
    print(f"login flood, {args.backend}, {args.writers} writers, {args.seconds:.0f} s per phase")
    print(f"machine: {machine()}")
    print(f"{'phase':<28} {'writes/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for phase in phases:
        print(phase.row())
    if phases[0].write_ms:
        base = len(phases[0].write_ms) / phases[0].seconds
        for phase in phases[1:]:
            rate = len(phase.write_ms) / phase.seconds
            print(f"{phase.name}: writes at {rate / base:.0%} of the quiet rate")
    print(f"server peak memory: {memory:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
