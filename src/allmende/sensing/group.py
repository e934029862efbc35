"""Single Observations of concurrent callers stored together: one transaction, one ingest.

A sensor that POSTs one Observation a request pays, stored alone, a whole transaction for it:
the stream looked up, an id reserved, the row inserted, the stream's statistics updated, the
commit — each a round trip to the database. :class:`GroupIngest` lets the callers that arrive
while a transaction is running wait for the next one, and stores all of them with one call of
:func:`~allmende.sensing.ingest.ingest_observations` (group commit). One caller alone is
stored after a turn of the event loop, and under load the groups grow by themselves.

It lives on the event loop: a caller parks its Observation and awaits its outcome, without a
thread of its own; one task per loop takes what is parked and hands each group to the
database's writer (:meth:`~allmende.storage.database.Database.awrite`: on SQLite straight to
the single writer, which commits it with whatever else waits there). Before it takes a group
it gives the event loop turns as long as they bring more callers (requests already received,
on their way to this class). Under contention only (callers parked while a transaction ran),
it first waits up to a millisecond for the callers that transaction answered: senders that
send again at once join the next group instead of taking turns with the others. The task
ends when nothing is parked, and the next caller starts a new one.

Each Observation keeps its own outcome: its stream must exist and the caller's ``check`` must
accept the stream's owner (a 404 or 403 of its own), and the ingest's refusals (a duplicate …)
are its own too. A caller whose API key was taken from memory (:mod:`allmende.http.keycache`)
names it, and the transaction confirms every such key with one statement: an Observation whose
key was revoked, has expired or changed is not stored (:class:`KeyChanged`). When the
transaction fails as a whole, every Observation of the group is
stored again alone, so one that the database refuses fails alone; and one refused as a
duplicate of another in the same group is stored again alone after the group, so its answer
names the Observation that was there first, as it would have been one request later.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from allmende.identity.principal import Principal
from allmende.identity.service import key_principals
from allmende.sensing.ingest import (
    DuplicatePolicy,
    IngestError,
    NewObservation,
    StoredObservation,
    Streams,
    ingest_observations,
    load_streams,
)
from allmende.storage.database import Database

#: Observations per transaction: a group larger than this is stored in several.
MAX_GROUP = 1000
#: Turns of the event loop a group waits at most for requests that have arrived already.
MAX_TURNS = 8
#: Seconds a group waits at most, under contention, for the callers just answered to come back.
RETURN_WAIT = 0.001


@dataclass(frozen=True)
class Owner:
    """The stream an Observation goes to, as the caller's check sees it."""

    kind: str  # "Datastream" or "MultiDatastream"
    id: int
    municipality_id: int
    public: bool


#: Raises when the stream is missing (None), or the caller may not see it or add to it.
Check = Callable[[Owner | None], None]


@dataclass(frozen=True)
class Stored:
    """The stored Observation: its id and its row as inserted; no row for an idempotent
    repeat, whose Observation was there before."""

    id: int
    record: StoredObservation | None


class KeyChanged(Exception):
    """The caller's API key, taken from memory, no longer gives the principal it gave: look
    it up again (it has been revoked, has expired or changed)."""


@dataclass(eq=False)
class _Item:
    row: NewObservation
    check: Check
    key: Principal | None
    outcome: Stored | BaseException | None = None
    retry_alone: bool = False


@dataclass(eq=False)
class _Parked:
    """The Observations waiting on one event loop, and the task that stores them."""

    items: list[tuple[_Item, asyncio.Future[Stored]]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    #: Set once as many are parked as the task waits for (``wanted``; 0: it waits for none).
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    wanted: int = 0


@dataclass
class GroupIngest:
    """Stores single Observations in groups; :meth:`store` is awaited on any event loop."""

    database: Database
    duplicates: DuplicatePolicy
    max_group: int = MAX_GROUP
    return_wait: float = RETURN_WAIT
    _parked: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Parked] = field(
        default_factory=weakref.WeakKeyDictionary
    )

    async def store(
        self, row: NewObservation, *, check: Check, key: Principal | None = None
    ) -> Stored:
        """Store one Observation with whatever else is waiting; its id and row, or raise its
        error (an :class:`~allmende.core.errors.AllmendeError`, :class:`KeyChanged`, or what
        the database raised). ``key``: an API key's principal to confirm first."""
        loop = asyncio.get_running_loop()
        parked = self._parked.get(loop)
        if parked is None:
            parked = self._parked[loop] = _Parked()
        future: asyncio.Future[Stored] = loop.create_future()
        parked.items.append((_Item(row, check, key), future))
        if parked.wanted and len(parked.items) >= parked.wanted:
            parked.arrived.set()  # the group task waits for this many
        if parked.task is None:
            # A task of its own: a caller that gives up (a closed connection) stops nobody.
            parked.task = loop.create_task(self._drain(parked))
        return await asyncio.shield(future)

    async def _drain(self, parked: _Parked) -> None:
        try:
            expected = 0
            while parked.items:
                await _let_callers_return(parked, min(expected, self.max_group), self.return_wait)
                await _let_arrived_requests_park(parked)
                group = parked.items[: self.max_group]
                del parked.items[: self.max_group]
                items = [item for item, _ in group]
                try:
                    await self._store(items)
                except BaseException as exc:  # cancelled: whether it was stored is not known
                    for item in items:
                        item.outcome = exc
                    raise
                finally:
                    for item, future in group:
                        if not future.done():
                            _settle(future, item.outcome)
                # Callers who parked meanwhile are contending with those just answered, who
                # (sensors, gateways) send their next Observation right away.
                expected = len(group) + len(parked.items)
        finally:
            parked.task = None

    async def _store(self, group: list[_Item]) -> None:
        try:
            await self.database.awrite(lambda session: self._ingest(session, group))
        except Exception as exc:
            if len(group) == 1:
                group[0].outcome = exc
                return
            for item in group:  # one of them is at fault: each on its own
                item.outcome = None
                item.retry_alone = False
                await self._store([item])
            return
        for item in group:
            if item.retry_alone:
                item.retry_alone = False
                await self._store([item])

    def _ingest(self, session: Session, group: list[_Item]) -> None:
        streams = load_streams(session, [item.row for item in group])
        wanted = [item.key.api_key_id for item in group if item.key is not None]
        keys = key_principals(session, key_ids=[k for k in wanted if k is not None])
        accepted: list[_Item] = []
        for item in group:
            try:
                if not _confirmed(item.key, keys):
                    raise KeyChanged
                item.check(_owner(streams, item.row))
            except Exception as exc:
                item.outcome = exc
                continue
            accepted.append(item)
        stored: dict[int, StoredObservation] = {}
        outcomes = ingest_observations(
            session,
            rows=[item.row for item in accepted],
            duplicates=self.duplicates,
            stored=stored,
            loaded=streams,
        )
        for index, (item, outcome) in enumerate(zip(accepted, outcomes, strict=True)):
            if isinstance(outcome, IngestError):
                if outcome.status == 409 and len(group) > 1:
                    item.retry_alone = True  # a duplicate, maybe of another in this group
                item.outcome = outcome.error()
            elif index in stored:
                item.outcome = Stored(outcome, stored[index])
            else:  # an idempotent repeat (DuplicatePolicy.IGNORE): the existing one
                item.outcome = Stored(outcome, None)


async def _let_callers_return(parked: _Parked, expected: int, wait: float) -> None:
    """Under contention, wait up to ``wait`` seconds for ``expected`` callers: those that
    were parked while a transaction ran and those it answered. Without the wait the two
    take turns in groups half the size, each paying a whole transaction (eight senders on
    SQLite: 3 800–4 400 against 2 500–3 700 single POSTs/s; docs/performance.md). A caller
    alone, or callers that all came in one group, never wait."""
    if len(parked.items) >= expected:
        return
    parked.wanted = expected
    parked.arrived.clear()
    try:
        await asyncio.wait_for(parked.arrived.wait(), wait)
    except TimeoutError:
        pass
    finally:
        parked.wanted = 0


async def _let_arrived_requests_park(parked: _Parked) -> None:
    """Give the event loop turns while they bring more Observations: requests whose bytes
    have arrived reach :meth:`GroupIngest.store` within a turn or two and join this group
    instead of waiting a whole transaction for the next. No timer: once a turn brings
    nothing, the group goes (a lone request after one turn)."""
    waiting = 0
    for _ in range(MAX_TURNS):
        if len(parked.items) == waiting:
            return
        waiting = len(parked.items)
        await asyncio.sleep(0)


def _confirmed(key: Principal | None, keys: dict[int, Principal]) -> bool:
    """No key to confirm, or the key still gives the principal remembered."""
    return key is None or (key.api_key_id is not None and keys.get(key.api_key_id) == key)


def _settle(future: asyncio.Future[Stored], outcome: Stored | BaseException | None) -> None:
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    elif outcome is None:
        future.set_exception(RuntimeError("the Observation's group ended without its outcome"))
    else:
        future.set_result(outcome)


def _owner(streams: Streams, row: NewObservation) -> Owner | None:
    if row.datastream_id is not None:
        kind, stream = "Datastream", streams.datastreams.get(row.datastream_id)
    else:
        assert row.multi_datastream_id is not None
        kind, stream = "MultiDatastream", streams.multi.get(row.multi_datastream_id)
    return None if stream is None else Owner(kind, stream.id, stream.municipality_id, stream.public)
