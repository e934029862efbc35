"""Crash safety: ``kill -9`` of a real ``allmende serve`` during ingest, many rounds.

    PYTHONPATH=src python bench/crash.py                      # 100 rounds on each backend
    PYTHONPATH=src python bench/crash.py --rounds 10 --backend sqlite

Per backend it migrates a fresh database with a small test region, starts ``allmende serve``
(embedded MQTT broker) and runs rounds of the crash test that CI runs twice
(tests/support/crash.py): single POSTs, CreateObservations and MQTT QoS 1 publishes at once,
``kill -9`` at a random moment, restart, and a count of acknowledged Observations that are
missing or stored twice. Prints the counts per way in and the machine; exits 1 if any
acknowledged write was lost. See docs/operations.md.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from sensorthings import machine_info, postgres_version  # noqa: E402 - a sibling script
from tests.support.crash import WRITERS, crash_round  # noqa: E402
from tests.support.region import build_region  # noqa: E402
from tests.support.served_process import Server  # noqa: E402

from allmende.app import load_registry, migration_locations  # noqa: E402
from allmende.core.settings import Mode, Settings  # noqa: E402
from allmende.storage.database import Database  # noqa: E402
from allmende.storage.ephemeral_pg import EphemeralPostgres, PostgresUnavailable  # noqa: E402
from allmende.storage.migrate import upgrade  # noqa: E402


def prepare(url: str) -> str:
    """Migrate ``url`` and seed the test region; the key of a sensor integrator of A."""
    settings = Settings(mode=Mode.DEV, database_url=url)
    upgrade(url, migration_locations(load_registry(settings)))
    database = Database(url)
    try:
        return database.write(build_region).key_sensorthings_a
    finally:
        database.close()


def run(backend: str, rounds: int, seed: int) -> dict[str, list[int]]:
    """Totals per way in: acknowledged, lost, duplicated, and rounds run."""
    with tempfile.TemporaryDirectory(prefix="allmende-crash-") as work:
        folder = Path(work)
        postgres: EphemeralPostgres | None = None
        if backend == "sqlite":
            url = f"sqlite:///{folder / 'crash.sqlite3'}"
        else:
            postgres = EphemeralPostgres()
            postgres.start()
            url = postgres.create_database("crash")
        try:
            key = prepare(url)
            server = Server(url, folder)
            server.start()
            rng = random.Random(seed)
            totals = {name: [0, 0, 0] for name in WRITERS}
            try:
                for number in range(1, rounds + 1):
                    started = time.monotonic()
                    outcome = crash_round(server, key, rng)
                    for name, tally in outcome.channels.items():
                        total = totals[name]
                        total[0] += tally.acknowledged
                        total[1] += tally.lost
                        total[2] += tally.duplicated
                    print(
                        f"  {backend} round {number}/{rounds}: "
                        + ", ".join(
                            f"{n} {t.acknowledged} acked/{t.lost} lost"
                            for n, t in outcome.channels.items()
                        )
                        + f" ({time.monotonic() - started:.1f} s)",
                        file=sys.stderr,
                    )
            finally:
                server.stop()
            return totals
        finally:
            if postgres is not None:
                postgres.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    machine = machine_info(postgres_version())
    print(
        f"CPU: {machine['cpu']} ({machine['cores']} cores), RAM {machine['ram_gib']} GiB, "
        f"Python {machine['python']}, SQLite {machine['sqlite']}, "
        f"PostgreSQL {machine['postgresql'] or '-'}"
    )
    lost = 0
    header = ("backend", "way in", "rounds", "acknowledged", "lost", "twice")
    print("\n{:<11} {:<20} {:>6} {:>13} {:>6} {:>6}".format(*header))
    for backend in backends:
        try:
            totals = run(backend, args.rounds, args.seed)
        except PostgresUnavailable as exc:
            print(f"{backend:<11} skipped: {exc}")
            continue
        for name, (acknowledged, missing, twice) in totals.items():
            lost += missing
            print(
                f"{backend:<11} {name:<20} {args.rounds:>6} {acknowledged:>13} "
                f"{missing:>6} {twice:>6}"
            )
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
