"""Load with abuse alongside: do honest clients keep their latency while 20 abusive ones run?

    PYTHONPATH=src python bench/load.py                        # builds and serves the demo
    PYTHONPATH=src python bench/load.py --seconds 60 --abusers 20
    PYTHONPATH=src python bench/load.py --url http://127.0.0.1:8000 --key alm_…  # a running one

Loopback only. Without ``--url`` it builds the demo region in a temporary folder (``allmende demo
--no-serve``), makes a SensorThings key with ``allmende apikeys create`` and serves it with
``allmende serve`` (its address space capped, so an abuse that succeeds fails the server rather
than the machine). Then, for ``--seconds``:

- honest clients, each pausing ``--think-ms`` between requests: public pages (``/``,
  ``/sensors``, ``/assets``, a station page, a process page), SensorThings reads (the latest
  Observation of every Datastream through a nested ``$expand``, a page of Observations, a
  filtered count) and SensorThings writers (single POSTs of Observations);
- ``--abusers`` clients (threads of one other process), without pause: failed sign-ins with a
  new e-mail address and X-Forwarded-For each time, reports with a small PNG of 7000 × 7000
  pixels, and ``$expand`` nested ``--expand-depth`` levels deep.

It prints p50/p95/p99 per class of honest request, the errors (any answer other than 2xx/3xx;
the abusers' answers are counted, not judged), the server's memory (RSS, sampled every second)
and the machine. Targets: SensorThings reads and writes p99 < 1 s, 0 errors. See
docs/operations.md for the method and figures.
"""

from __future__ import annotations

import argparse
import io
import itertools
import multiprocessing
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src")]

from sensorthings import free_port, machine_info, postgres_version  # noqa: E402 - a sibling

LATEST = (
    "/v1.1/Things?$expand=Datastreams($expand=Observations($orderby=phenomenonTime desc;$top=1))"
)
TARGET_MS = 1000.0
SAFE_ADDRESS_SPACE = 3 * 1024**3


# --- the installation ----------------------------------------------------------------------------


@dataclass
class Installation:
    url: str
    key: str
    process: subprocess.Popen[bytes] | None = None
    folder: Path | None = None

    def rss_mib(self) -> float | None:
        if self.process is None:
            return None
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(found.group(1)) / 1024 if found else None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _cap_address_space(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def start_demo(folder: Path, memory_limit: int) -> Installation:
    database = folder / "demo.sqlite3"
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "ALLMENDE_DATABASE_URL": f"sqlite:///{database}",
        "ALLMENDE_MODE": "demo",
        "ALLMENDE_DATA_DIR": str(folder / "data"),
        "ALLMENDE_MQTT_MODE": "off",
        "ALLMENDE_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "allmende"]
    log("building the demo region …")
    subprocess.run(
        [*command, "demo", "--no-serve", "--database", str(database)],
        env=env, cwd=folder, check=True, capture_output=True,
    )  # fmt: skip
    created = subprocess.run(
        [*command, "apikeys", "create", "load", "--scope", "sensorthings",
         "--municipality", "auenstadt"],
        env=env, cwd=folder, check=True, capture_output=True, text=True,
    )  # fmt: skip
    key = created.stdout.strip().splitlines()[-1]
    port = free_port()
    with (folder / "server.log").open("ab") as out:
        process = subprocess.Popen(
            [*command, "serve", "--no-migrate", "--port", str(port)],
            env=env, cwd=folder, stdout=out, stderr=subprocess.STDOUT,
            preexec_fn=_cap_address_space(memory_limit),
        )  # fmt: skip
    installation = Installation(f"http://127.0.0.1:{port}", key, process, folder)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit((folder / "server.log").read_text()[-3000:])
        try:
            if httpx.get(f"{installation.url}/readyz", timeout=2).status_code == 200:
                return installation
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    installation.stop()
    raise SystemExit("the demo did not start")


# --- honest clients ------------------------------------------------------------------------------


@dataclass
class Tally:
    """Latencies (ms) and errors per class of request."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, kind: str, started: float, response: httpx.Response | None, what: str) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies[kind].append(elapsed)
            if response is None or response.status_code >= 400:
                self.errors[kind] += 1
                status = "no answer" if response is None else str(response.status_code)
                self.examples.setdefault(kind, f"{status} {what}")


@dataclass(frozen=True)
class Targets:
    station: int
    process: int
    datastream: int


def discover(installation: Installation) -> Targets:
    with httpx.Client(base_url=installation.url, timeout=60) as http:
        things = http.get("/api/sensors/things").json()
        processes = http.get("/api/participation/processes").json()
        headers = {"Authorization": f"Bearer {installation.key}"}
        streams = http.get("/v1.1/Datastreams?$top=1&$select=id", headers=headers).json()
    station = (things[0] if isinstance(things, list) else things["items"][0])["id"]
    process = (processes[0] if isinstance(processes, list) else processes["items"][0])["id"]
    return Targets(int(station), int(process), int(streams["value"][0]["@iot.id"]))


def _new_stream(http: httpx.Client, key: str) -> int:
    """A Thing and Datastream of its own for a writer; the Datastream's id."""
    created = http.post(
        "/v1.1/Datastreams",
        headers={"Authorization": f"Bearer {key}"},
        json={
            "name": f"Last {random.randrange(10**9)}",
            "description": "bench/load.py",
            "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
            "unitOfMeasurement": {"name": "n", "symbol": "n", "definition": "n"},
            "Thing": {
                "name": "Lastgenerator",
                "description": "bench/load.py",
                "Locations": [
                    {
                        "name": "Rathaus",
                        "description": "Rathaus",
                        "encodingType": "application/geo+json",
                        "location": {"type": "Point", "coordinates": [8.72, 49.47]},
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
    if created.status_code != 201:
        raise SystemExit(f"cannot create a Datastream to write to: {created.text}")
    location = created.headers["location"]
    return int(location[location.rindex("(") + 1 : -1])


def honest(
    installation: Installation,
    targets: Targets,
    kind: str,
    tally: Tally,
    stop: threading.Event,
    think: float,
    seed: int,
) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {installation.key}"}
    with httpx.Client(base_url=installation.url, timeout=60) as http:
        stream = _new_stream(http, installation.key) if kind == "STA write" else 0
        moment = datetime(2027, 1, 1, tzinfo=UTC) + timedelta(days=seed * 1000)
        pages = ["/", "/sensors", "/assets", f"/sensors/{targets.station}",
                 f"/participation/{targets.process}"]  # fmt: skip
        reads = [
            LATEST,
            f"/v1.1/Datastreams({targets.datastream})/Observations?$top=100",
            f"/v1.1/Datastreams({targets.datastream})/Observations?$count=true&$top=0"
            "&$filter=result gt 10",
        ]
        while not stop.is_set():
            started = time.perf_counter()
            response: httpx.Response | None = None
            what = ""
            try:
                if kind == "page":
                    what = rng.choice(pages)
                    response = http.get(what)
                elif kind == "STA read":
                    what = rng.choice(reads)
                    response = http.get(what, headers=headers)
                else:
                    moment += timedelta(seconds=1)
                    what = f"POST Datastreams({stream})/Observations"
                    response = http.post(
                        f"/v1.1/Datastreams({stream})/Observations",
                        headers=headers,
                        json={"phenomenonTime": moment.isoformat(), "result": rng.random()},
                    )
            except httpx.HTTPError as exc:
                what = f"{what}: {type(exc).__name__}"
            tally.note(kind, started, response, what)
            stop.wait(think)


# --- abusive clients (another process) -----------------------------------------------------------


def big_png() -> bytes:
    """7000 × 7000 pixels of one colour: a small file, a huge image once decoded."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (7000, 7000), 200).save(out, format="PNG", optimize=True)
    return out.getvalue()


def deep_expand(depth: int) -> str:
    """Things with ``depth`` nested $expand levels, Datastreams and Thing in turn ($top=1 each)."""
    inner = ""
    for level in reversed(range(depth)):
        nav = "Datastreams" if level % 2 == 0 else "Thing"
        options = ["$top=1"] if nav == "Datastreams" else []
        if inner:
            options.append(f"$expand={inner}")
        inner = f"{nav}({';'.join(options)})" if options else nav
    return f"/v1.1/Things?$expand={inner}"


CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def abuser(url: str, kind: str, seconds: float, depth: int, seed: int, out: Any) -> None:
    rng = random.Random(seed)
    statuses: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    photo = big_png() if kind == "photo" else b""
    counter = itertools.count()
    with httpx.Client(base_url=url, timeout=120) as http:
        token = ""
        service = ""
        if kind in ("login", "photo"):
            page = http.get("/login" if kind == "login" else "/reports/new")
            found = CSRF_FIELD.search(page.text)
            token = found.group(1) if found else ""
            choice = re.search(r'name="service" value="(\d+)"', page.text) or re.search(
                r'<option value="(\d+)"', page.text
            )
            service = choice.group(1) if choice else "1"
        while time.monotonic() < deadline:
            forwarded = f"198.51.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            try:
                if kind == "login":
                    response = http.post(
                        "/login",
                        headers={"X-Forwarded-For": forwarded},
                        data={
                            "email": f"jemand{next(counter)}-{seed}@example.org",
                            "password": "falsch",
                            "csrf_token": token,
                            "next": "/",
                        },
                    )
                elif kind == "photo":
                    response = http.post(
                        "/reports/new",
                        headers={"X-Forwarded-For": forwarded},
                        data={"csrf_token": token, "service": service, "description": "Müll",
                              "lat": "49.47", "lon": "8.72"},
                        files={"photo": ("bild.png", photo, "image/png")},
                    )  # fmt: skip
                else:
                    response = http.get(deep_expand(depth))
                statuses[str(response.status_code)] += 1
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1
    out.put((kind, dict(statuses)))


def abusers(url: str, count: int, seconds: float, depth: int, out: Any) -> None:
    """All abusive clients as threads of one process (they mostly wait for the server)."""
    kinds = ["login", "photo", "expand"]
    threads = [
        threading.Thread(target=abuser, args=(url, kinds[i % 3], seconds, depth, 1000 + i, out))
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_abusers(url: str, count: int, seconds: float, depth: int) -> tuple[Any, Any]:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(
        target=abusers, args=(url, count, seconds, depth, results), daemon=True
    )
    process.start()
    return results, process


# --- the run -------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--abusers", type=int, default=20)
    parser.add_argument("--pages", type=int, default=2, help="honest page readers")
    parser.add_argument("--readers", type=int, default=2, help="honest SensorThings readers")
    parser.add_argument("--writers", type=int, default=2, help="honest SensorThings writers")
    parser.add_argument("--think-ms", type=float, default=100)
    parser.add_argument("--expand-depth", type=int, default=6)
    parser.add_argument("--url", help="a running installation (loopback) instead of the demo")
    parser.add_argument(
        "--key", help="with --url: an API key with the scope sensorthings, bound to a municipality"
    )
    parser.add_argument(
        "--server-memory", type=int, default=SAFE_ADDRESS_SPACE, help="address space cap, bytes"
    )
    args = parser.parse_args(argv)
    if args.url and not re.match(r"^https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/?$", args.url):
        parser.error("--url must be a loopback address")
    if args.url and not args.key:
        parser.error("--url needs --key")

    with tempfile.TemporaryDirectory(prefix="allmende-load-") as work:
        installation = (
            Installation(args.url.rstrip("/"), args.key)
            if args.url
            else start_demo(Path(work), args.server_memory)
        )
        try:
            return measure(installation, args)
        finally:
            installation.stop()


def measure(installation: Installation, args: argparse.Namespace) -> int:
    targets = discover(installation)
    tally = Tally()
    stop = threading.Event()
    memory: list[float] = []
    threads = [
        threading.Thread(
            target=honest,
            args=(installation, targets, kind, tally, stop, args.think_ms / 1000, n),
            daemon=True,
        )
        for n, kind in enumerate(
            ["page"] * args.pages + ["STA read"] * args.readers + ["STA write"] * args.writers
        )
    ]
    log(f"honest clients: {len(threads)}; abusive: {args.abusers}; {args.seconds:.0f} s …")
    results, abusive = run_abusers(installation.url, args.abusers, args.seconds, args.expand_depth)
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        rss = installation.rss_mib()
        if rss is not None:
            memory.append(rss)
        time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join(120)
    abuse: dict[str, Counter[str]] = defaultdict(Counter)
    for _ in range(args.abusers):
        try:
            kind, statuses = results.get(timeout=180)
        except Exception:  # an abuser that never reported (its process died)
            log("an abusive client did not report")
            continue
        abuse[kind].update(statuses)
    abusive.join(10)
    alive = installation.process is None or installation.process.poll() is None
    return report(tally, abuse, memory, alive, args)


def report(
    tally: Tally,
    abuse: dict[str, Counter[str]],
    memory: list[float],
    alive: bool,
    args: argparse.Namespace,
) -> int:
    machine = machine_info(postgres_version())
    print(
        f"CPU: {machine['cpu']} ({machine['cores']} cores), RAM {machine['ram_gib']} GiB, "
        f"Python {machine['python']}, SQLite {machine['sqlite']}; clients on the same machine"
    )
    print(
        f"{args.seconds:.0f} s, honest clients: {args.pages} page, {args.readers} STA read, "
        f"{args.writers} STA write ({args.think_ms:.0f} ms pause); {args.abusers} abusive "
        f"($expand depth {args.expand_depth})\n"
    )
    header = ("class", "requests", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors")
    print("{:<12} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7}".format(*header))
    failed = not alive
    for kind in ("page", "STA read", "STA write"):
        values = tally.latencies.get(kind, [])
        p99 = percentile(values, 99)
        errors = tally.errors[kind]
        print(
            f"{kind:<12} {len(values):>9} {percentile(values, 50):>8.0f} "
            f"{percentile(values, 95):>8.0f} {p99:>8.0f} {max(values, default=0):>8.0f} {errors:>7}"
        )
        if errors:
            print(f"{'':<12} first error: {tally.examples[kind]}")
        failed |= bool(errors) or (kind != "page" and not p99 < TARGET_MS)
    print("\nabusive requests (answers counted, not judged):")
    for kind in ("login", "photo", "expand"):
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(abuse.get(kind, Counter()).items()))
        print(f"  {kind:<7} {statuses or '-'}")
    if memory:
        print(f"\nserver RSS: start {memory[0]:.0f} MiB, max {max(memory):.0f} MiB, "
              f"end {memory[-1]:.0f} MiB")  # fmt: skip
    print(f"server still running: {'yes' if alive else 'NO'}")
    verdict = "met" if not failed else "NOT met"
    print(f"targets (STA reads and writes p99 < {TARGET_MS:.0f} ms, 0 errors): {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
