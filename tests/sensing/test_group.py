"""Single Observations of concurrent callers stored together (group commit), each with its
own outcome. The callers are coroutines on one event loop; a first caller's check holds its
transaction open (in the writer's thread) until the others are parked behind it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from sqlalchemy import select, update

from allmende.core.errors import Conflict, Forbidden
from allmende.core.timeutil import utcnow
from allmende.identity import service
from allmende.identity.models import ApiKey
from allmende.sensing import read
from allmende.sensing.group import GroupIngest, KeyChanged, Owner, Stored
from allmende.sensing.ingest import DuplicatePolicy, NewObservation
from allmende.sensing.models import Datastream, Observation
from allmende.storage.database import Database
from tests.support.aio import run_to_end
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


@dataclass
class _Counted(GroupIngest):
    """Counts the Observations of each transaction it runs; fails, after its inserts, a
    transaction that holds an Observation of the ``failing`` phenomenonTime."""

    sizes: list[int] = field(default_factory=list)
    failing: int | None = None

    def _ingest(self, session: Any, group: Any) -> None:
        self.sizes.append(len(group))
        super()._ingest(session, group)
        if any(item.row.phenomenon_time == self.failing for item in group):
            raise RuntimeError("the transaction fails")


async def _outcome(stored: Awaitable[Stored]) -> Stored | Exception:
    try:
        return await stored
    except Exception as exc:
        return exc


def _behind_a_held_one(
    group: GroupIngest, first: NewObservation, later: list[Callable[[], Awaitable[Stored]]]
) -> list[Stored | Exception]:
    """Store ``first`` with a check that holds its transaction open, park ``later`` behind
    it, let it go: the outcomes of all, ``first``'s first."""
    release = threading.Event()

    def hold(owner: Owner | None) -> None:
        release.wait(30)

    async def run() -> list[Stored | Exception]:
        loop = asyncio.get_running_loop()
        held = asyncio.ensure_future(_outcome(group.store(first, check=hold)))
        while loop not in group._parked or group._parked[loop].items:
            await asyncio.sleep(0.01)  # until the first's transaction has taken it
        waiting = [asyncio.ensure_future(_outcome(store())) for store in later]
        while len(group._parked[loop].items) < len(later):
            await asyncio.sleep(0.01)
        release.set()
        return list(await asyncio.gather(held, *waiting))

    return run_to_end(run())


def test_waiting_callers_are_stored_in_one_group(database: Database, region: Region) -> None:
    streams = _streams(database, region, 2)
    group = _Counted(database, DuplicatePolicy.REJECT)
    checked: list[int] = []

    def later(owner: Owner | None) -> None:
        assert owner is not None
        checked.append(owner.id)
        if owner.id == streams[1] and checked.count(owner.id) == 2:
            raise Forbidden(detail="not this one")

    def store(n: int) -> Callable[[], Awaitable[Stored]]:
        return lambda: group.store(_row(streams[n % 2], T0 + n), check=later)

    outcomes = _behind_a_held_one(group, _row(streams[0], T0), [store(n) for n in range(1, 8)])
    assert group.sizes == [1, 7], "the seven waiting callers are stored in one transaction"
    refused = [n for n, o in enumerate(outcomes) if isinstance(o, Forbidden)]
    assert refused == [3]
    stored = {n: o for n, o in enumerate(outcomes) if n not in refused}
    assert all(isinstance(o, Stored) for o in stored.values())
    assert len({o.id for o in stored.values() if isinstance(o, Stored)}) == 7
    for n, outcome in stored.items():
        assert isinstance(outcome, Stored) and outcome.record is not None
        assert outcome.record.id == outcome.id and outcome.record.phenomenon_time == T0 + n
    with database.session() as session:
        counts = {d.id: d.observation_count for d in session.query(Datastream)}
    assert sum(counts.values()) == 7


def test_callers_on_their_way_join_the_group_and_a_lone_one_goes_at_once(
    database: Database, region: Region
) -> None:
    """Callers that reach ``store`` a few turns of the event loop after the first (requests
    received together) are stored with it; a caller alone is not held back."""
    (stream,) = _streams(database, region, 1)
    group = _Counted(database, DuplicatePolicy.REJECT)

    async def after(turns: int, n: int) -> Stored:
        for _ in range(turns):
            await asyncio.sleep(0)
        return await group.store(_row(stream, T0 + n), check=_anyone)

    async def run() -> None:
        await asyncio.gather(*(after(n // 2, n) for n in range(6)))
        await after(0, 6)

    run_to_end(run())
    assert group.sizes == [6, 1]


def _answered_then(group: GroupIngest, streams: list[int], *, again: bool) -> None:
    """A sender's Observation held in its transaction while another parks; once it is
    answered, the sender sends its next one at once (``again``) or never."""
    release = threading.Event()

    def hold(owner: Owner | None) -> None:
        release.wait(30)

    async def sender() -> None:
        await group.store(_row(streams[0], T0), check=hold)
        if again:  # after a round trip: more than the turns a group gives arriving requests
            await asyncio.sleep(0.05)
            await group.store(_row(streams[0], T0 + 1), check=_anyone)

    async def run() -> None:
        loop = asyncio.get_running_loop()
        first = asyncio.ensure_future(sender())
        while loop not in group._parked or group._parked[loop].items:
            await asyncio.sleep(0.01)  # until the first's transaction has taken it
        other = asyncio.ensure_future(group.store(_row(streams[1], T0), check=_anyone))
        while not group._parked[loop].items:
            await asyncio.sleep(0.01)
        release.set()
        await asyncio.gather(first, other)

    run_to_end(run())


def test_a_sender_just_answered_joins_the_caller_that_waited(
    database: Database, region: Region
) -> None:
    """Under contention the next group waits for the callers the last one answered: without
    the wait the two would take turns, each alone in a transaction. The wait ends as soon as
    they are back (here it could last 30 s)."""
    streams = _streams(database, region, 2)
    group = _Counted(database, DuplicatePolicy.REJECT, return_wait=30)
    _answered_then(group, streams, again=True)
    assert group.sizes == [1, 2]


def test_a_sender_that_does_not_come_back_delays_the_next_group_only_by_the_wait(
    database: Database, region: Region
) -> None:
    streams = _streams(database, region, 2)
    group = _Counted(database, DuplicatePolicy.REJECT, return_wait=0.05)
    _answered_then(group, streams, again=False)
    assert group.sizes == [1, 1]


def test_a_duplicate_in_the_same_group_names_the_first(database: Database, region: Region) -> None:
    (stream,) = _streams(database, region, 1)
    group = GroupIngest(database, DuplicatePolicy.REJECT)

    def twin() -> Awaitable[Stored]:
        return group.store(_row(stream, T0 + 1), check=_anyone)

    outcomes = _behind_a_held_one(group, _row(stream, T0), [twin, twin])
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    stored = [o for o in outcomes if isinstance(o, Stored)]
    assert len(conflicts) == 1 and len(stored) == 2
    first_twin = next(o for o in stored if o.record and o.record.phenomenon_time == T0 + 1)
    assert f"(Observations({first_twin.id}))" in str(conflicts[0])


def test_a_failed_transaction_leaves_nothing_and_stores_the_others_alone(
    database: Database, region: Region
) -> None:
    (stream,) = _streams(database, region, 1)
    group = _Counted(database, DuplicatePolicy.REJECT, failing=T0 + 3)

    def store(when: int) -> Callable[[], Awaitable[Stored]]:
        return lambda: group.store(_row(stream, when), check=_anyone)

    outcomes = _behind_a_held_one(
        group, _row(stream, T0), [store(T0 + 1), store(T0 + 3), store(T0 + 2)]
    )
    assert group.sizes == [1, 3, 1, 1, 1], "the group, then each of it alone"
    assert isinstance(outcomes[2], RuntimeError)
    stored = [o for n, o in enumerate(outcomes) if n != 2]
    assert all(isinstance(o, Stored) for o in stored)
    with database.session() as session:
        times = sorted(session.scalars(select(Observation.phenomenon_time)))
        (count,) = session.scalars(select(Datastream.observation_count))
    assert times == [T0, T0 + 1, T0 + 2] and count == 3


def test_a_missing_stream_is_the_callers_own_refusal(database: Database, region: Region) -> None:
    (stream,) = _streams(database, region, 1)
    group = GroupIngest(database, DuplicatePolicy.REJECT)

    def missing(owner: Owner | None) -> None:
        if owner is None:
            raise LookupError("no such stream")

    with pytest.raises(LookupError):
        run_to_end(group.store(_row(stream + 100, T0), check=missing))
    assert run_to_end(group.store(_row(stream, T0), check=missing)).id > 0


def test_a_remembered_key_is_confirmed_in_the_transaction(
    database: Database, region: Region
) -> None:
    (stream,) = _streams(database, region, 1)
    group = GroupIngest(database, DuplicatePolicy.REJECT)
    with database.session() as session:
        key = service.resolve_api_key(session, key=region.key_sensorthings_a)
    assert run_to_end(group.store(_row(stream, T0), check=_anyone, key=key)).id > 0
    changed = replace(key, scopes=frozenset({"sensorthings", "admin"}))
    with pytest.raises(KeyChanged):
        run_to_end(group.store(_row(stream, T0 + 1), check=_anyone, key=changed))
    database.write(lambda s: s.execute(update(ApiKey).values(revoked_at=utcnow())))
    with pytest.raises(KeyChanged):
        run_to_end(group.store(_row(stream, T0 + 2), check=_anyone, key=key))
    with database.session() as session:
        assert list(session.scalars(select(Observation.phenomenon_time))) == [T0]
