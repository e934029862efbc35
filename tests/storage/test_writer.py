"""The single SQLite writer: a write submitted while it stops is refused, never left queued."""

from __future__ import annotations

import threading

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.orm import Session

from allmende.storage.database import Database


def _queued() -> float:
    value = REGISTRY.get_sample_value("allmende_sqlite_writer_queue_length")
    return 0.0 if value is None else value


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_write_submitted_while_the_writer_stops_is_refused(database: Database) -> None:
    """A write that came after the stop used to be queued behind it, where nothing ran it: its
    caller waited for ever and the queue gauge stayed up."""
    writer = database._writer
    assert writer is not None
    before = _queued()
    holding, release = threading.Event(), threading.Event()

    def held(session: Session) -> str:
        holding.set()
        release.wait(30)
        return "done"

    running = writer.submit(held)
    assert holding.wait(30)
    stopping = threading.Thread(target=writer.stop)
    stopping.start()
    while not writer._stopping:
        threading.Event().wait(0.01)
    with pytest.raises(RuntimeError, match="has stopped"):
        writer.submit(lambda session: "late")
    release.set()
    stopping.join(30)
    assert not stopping.is_alive()
    assert running.result(30) == "done"
    assert _queued() == before
