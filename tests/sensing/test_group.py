"""Single Observations of concurrent callers stored together (group commit), each with its
own outcome."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from allmende.core.errors import Conflict, Forbidden
from allmende.sensing import read
from allmende.sensing.group import GroupIngest, Owner
from allmende.sensing.ingest import DuplicatePolicy, NewObservation
from allmende.sensing.models import Datastream
from allmende.storage.database import Database
from tests.support.region import Region

pytestmark = pytest.mark.integration

T0 = 1_750_000_000_000_000


def _streams(database: Database, region: Region, count: int) -> list[int]:
    def build(session: Any) -> list[int]:
        a = region.municipality_a
        sensor = read.create_sensor(session, municipality_id=a, name="s")
        prop = read.create_observed_property(session, municipality_id=a, name="t", definition="d")
        thing = read.create_thing(session, municipality_id=a, name="t", lon=8.6, lat=49.4)
        unit = {"name": "c", "symbol": "c", "definition": "c"}
        return [
            read.create_datastream(
                session,
                thing_id=thing,
                sensor_id=sensor,
                observed_property_id=prop,
                name=f"s{n}",
                unit=unit,
            )
            for n in range(count)
        ]

    return database.write(build)


def _row(stream: int, when: int, value: Any = 1.5) -> NewObservation:
    return NewObservation(stream, None, None, when, None, None, None, None, value)


def _anyone(owner: Owner | None) -> None:
    assert owner is not None


def test_waiting_callers_are_stored_in_one_group(database: Database, region: Region) -> None:
    streams = _streams(database, region, 2)
    group = GroupIngest(database, DuplicatePolicy.REJECT)
    release = threading.Event()
    checked_by: list[int] = []

    def first(owner: Owner | None) -> None:  # holds the first transaction open
        release.wait(30)

    def later(owner: Owner | None) -> None:
        checked_by.append(threading.get_ident())
        if owner is not None and owner.id == streams[1] and len(checked_by) == 3:
            raise Forbidden(detail="not this one")

    outcomes: dict[int, Any] = {}

    def store(n: int) -> None:
        check = first if n == 0 else later
        try:
            outcomes[n] = group.store(_row(streams[n % 2], T0 + n), check=check)
        except Exception as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=store, args=(0,))]
    threads[0].start()
    while not group._busy:
        time.sleep(0.01)
    threads += [threading.Thread(target=store, args=(n,)) for n in range(1, 8)]
    for thread in threads[1:]:
        thread.start()
    while len(group._pending) < 7:
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(30)
    assert len(set(checked_by)) == 1, "the seven waiting callers are checked in one group"
    refused = [n for n, o in outcomes.items() if isinstance(o, Forbidden)]
    assert len(refused) == 1
    stored = {n: o for n, o in outcomes.items() if n not in refused}
    assert len({o.id for o in stored.values()}) == 7
    for n, outcome in stored.items():
        assert outcome.record is not None
        assert outcome.record.id == outcome.id and outcome.record.phenomenon_time == T0 + n
    with database.session() as session:
        counts = {d.id: d.observation_count for d in session.query(Datastream)}
    assert sum(counts.values()) == 7


def test_a_duplicate_in_the_same_group_names_the_first(database: Database, region: Region) -> None:
    (stream,) = _streams(database, region, 1)
    group = GroupIngest(database, DuplicatePolicy.REJECT)
    release = threading.Event()
    outcomes: list[Any] = []

    def hold(owner: Owner | None) -> None:
        release.wait(30)

    def store(check: Any, when: int) -> None:
        try:
            outcomes.append(group.store(_row(stream, when), check=check))
        except Exception as exc:
            outcomes.append(exc)

    holder = threading.Thread(target=store, args=(hold, T0))
    holder.start()
    while not group._busy:
        time.sleep(0.01)
    twins = [threading.Thread(target=store, args=(_anyone, T0 + 1)) for _ in range(2)]
    for thread in twins:
        thread.start()
    while len(group._pending) < 2:
        time.sleep(0.01)
    release.set()
    for thread in (holder, *twins):
        thread.join(30)
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    stored = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(conflicts) == 1 and len(stored) == 2
    twin = next(o for o in stored if o.record and o.record.phenomenon_time == T0 + 1)
    assert f"(Observations({twin.id}))" in str(conflicts[0])


def test_a_missing_stream_is_the_callers_own_refusal(database: Database, region: Region) -> None:
    (stream,) = _streams(database, region, 1)
    group = GroupIngest(database, DuplicatePolicy.REJECT)

    def missing(owner: Owner | None) -> None:
        if owner is None:
            raise LookupError("no such stream")

    with pytest.raises(LookupError):
        group.store(_row(stream + 100, T0), check=missing)
    assert group.store(_row(stream, T0), check=missing).id > 0
