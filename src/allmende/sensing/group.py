"""Single Observations of concurrent callers stored together: one transaction, one ingest.

A sensor that POSTs one Observation a request pays, stored alone, a whole transaction for it:
the stream looked up, an id reserved, the row inserted, the stream's statistics updated, the
commit — each a round trip to the database. :class:`GroupIngest` lets the callers that arrive
while a transaction is running wait for the next one, and stores all of them with one call of
:func:`~allmende.sensing.ingest.ingest_observations` (group commit). Nothing waits for more to
arrive: one caller alone is stored at once, and under load the groups grow by themselves.

Whoever finds no transaction running stores the group (its own Observation among them); the
others wait for their outcome, and one of them stores the next group if its Observation is
not in the running one. So there is no thread of its own and no hand-over when idle.

Each Observation keeps its own outcome: its stream must exist and the caller's ``check`` must
accept the stream's owner (a 404 or 403 of its own), and the ingest's refusals (a duplicate …)
are its own too. When the transaction fails as a whole, every Observation of the group is
stored again alone, so one that the database refuses fails alone; and one refused as a
duplicate of another in the same group is stored again alone after the group, so its answer
names the Observation that was there first, as it would have been one request later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.sensing.ingest import (
    DuplicatePolicy,
    IngestError,
    NewObservation,
    StoredObservation,
    ingest_observations,
)
from allmende.sensing.models import Datastream, MultiDatastream
from allmende.storage.database import Database
from allmende.storage.id_sets import in_set_parameter

#: Observations per transaction: a group larger than this is stored in several.
MAX_GROUP = 1000


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


@dataclass(eq=False)
class _Item:
    row: NewObservation
    check: Check
    outcome: Stored | BaseException | None = None
    retry_alone: bool = False
    done: bool = False


@dataclass
class GroupIngest:
    """Stores single Observations in groups; :meth:`store` is called from any thread."""

    database: Database
    duplicates: DuplicatePolicy
    max_group: int = MAX_GROUP
    _pending: list[_Item] = field(default_factory=list)
    _busy: bool = False
    _condition: threading.Condition = field(default_factory=threading.Condition)

    def store(self, row: NewObservation, *, check: Check) -> Stored:
        """Store one Observation with whatever else is waiting; its id and row, or raise its
        error (an :class:`~allmende.core.errors.AllmendeError`, or what the database raised)."""
        item = _Item(row, check)
        condition = self._condition
        with condition:
            self._pending.append(item)
            while not item.done:
                if self._busy:
                    condition.wait()
                    continue
                self._busy = True
                group = self._pending[: self.max_group]
                del self._pending[: self.max_group]
                condition.release()
                try:
                    self._store(group)
                finally:
                    condition.acquire()
                    self._busy = False
                    for stored in group:
                        stored.done = True
                    condition.notify_all()
        if isinstance(item.outcome, BaseException):
            raise item.outcome
        assert item.outcome is not None
        return item.outcome

    def _store(self, group: list[_Item]) -> None:
        try:
            self.database.write(lambda session: self._ingest(session, group))
        except Exception as exc:
            if len(group) == 1:
                group[0].outcome = exc
                return
            for item in group:  # one of them is at fault: each on its own
                item.outcome = None
                item.retry_alone = False
                self._store([item])
            return
        for item in group:
            if item.retry_alone:
                item.retry_alone = False
                self._store([item])

    def _ingest(self, session: Session, group: list[_Item]) -> None:
        owners = _owners(session, group)
        accepted: list[_Item] = []
        for item in group:
            kind, stream_id = _stream_of(item.row)
            try:
                item.check(owners.get((kind, stream_id)))
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


def _stream_of(row: NewObservation) -> tuple[str, int]:
    if row.datastream_id is not None:
        return ("Datastream", row.datastream_id)
    assert row.multi_datastream_id is not None
    return ("MultiDatastream", row.multi_datastream_id)


def _owners(session: Session, group: list[_Item]) -> dict[tuple[str, int], Owner]:
    wanted: dict[str, set[int]] = {"Datastream": set(), "MultiDatastream": set()}
    for item in group:
        kind, stream_id = _stream_of(item.row)
        wanted[kind].add(stream_id)
    found: dict[tuple[str, int], Owner] = {}
    connection = session.connection()
    for kind, query in _OWNERS.items():
        if wanted[kind]:
            for stream_id, municipality_id, public in connection.execute(
                query, {"ids": sorted(wanted[kind])}
            ):
                found[(kind, stream_id)] = Owner(kind, stream_id, municipality_id, public)
    return found


#: Built once: for a group of one, building the statement would cost more than running it.
_OWNERS = {
    kind: select(model.id, model.municipality_id, model.public).where(
        in_set_parameter(model.id, "ids")
    )
    for kind, model in (("Datastream", Datastream), ("MultiDatastream", MultiDatastream))
}
