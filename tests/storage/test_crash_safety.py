"""``kill -9`` of a real ``allmende serve`` while Observations arrive by single POSTs,
CreateObservations and MQTT QoS 1 at once: after the restart every acknowledged one is stored,
and none twice. A few rounds per backend; ``bench/crash.py`` runs a hundred."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.crash import crash_round
from tests.support.region import Region
from tests.support.served_process import Server

pytestmark = [pytest.mark.integration, pytest.mark.mqtt]

ROUNDS = 2


@pytest.fixture
def server(database_url: str, region: Region, tmp_path: Path) -> Iterator[Server]:
    running = Server(database_url, tmp_path)
    running.start()
    yield running
    running.stop()


def test_no_acknowledged_write_is_lost_when_the_server_is_killed(
    server: Server, region: Region
) -> None:
    rng = random.Random(20261206)
    for _ in range(ROUNDS):
        outcome = crash_round(server, region.key_sensorthings_a, rng)
        for name, tally in outcome.channels.items():
            assert tally.acknowledged > 0, f"{name}: nothing was acknowledged before the kill"
            assert (tally.lost, tally.duplicated) == (0, 0), f"{name}: {tally}"
