"""Fixtures for participation: the people of the test region as principals, and processes in
municipality A with an area, phases around now and two categories."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from shapely.geometry import box, mapping

from allmende.core.timeutil import utcnow
from allmende.identity.principal import ANONYMOUS
from allmende.modules.participation import processes
from allmende.modules.participation.schemas import PhaseIn, ProcessCreate
from allmende.modules.participation.service import Participant
from allmende.storage.database import Database
from tests.support.region import People, Region, people_of
from tests.support.seeds import seed

#: The process area, inside municipality A (8.60–8.70, 49.40–49.50).
AREA = box(8.62, 49.42, 8.66, 49.46)
INSIDE = {"type": "Point", "coordinates": [8.64, 49.44]}
OUTSIDE = {"type": "Point", "coordinates": [8.68, 49.48]}  # in A, but outside the area
ALL_ACTS = ("contribute", "comment", "support", "survey", "rate")


def timeline(acts: Sequence[str] = ALL_ACTS, *, offset_days: int = 0) -> list[PhaseIn]:
    """Information (past), a running phase allowing ``acts``, an evaluation (future)."""
    now = utcnow() + timedelta(days=offset_days)
    return [
        PhaseIn(
            title="Information",
            starts_at=now - timedelta(days=20),
            ends_at=now - timedelta(days=10),
        ),
        PhaseIn(
            title="Ideas",
            starts_at=now - timedelta(days=10),
            ends_at=now + timedelta(days=10),
            allows=list(acts),  # type: ignore[arg-type]
        ),
        PhaseIn(
            title="Evaluation", starts_at=now + timedelta(days=10), ends_at=now + timedelta(days=20)
        ),
    ]


MakeProcess = Callable[..., int]


def process_data(**overrides: Any) -> ProcessCreate:
    """A public process in A with an area, phases around now and two categories."""
    values: dict[str, Any] = {
        "municipality": "a-stadt",
        "title": "Neugestaltung",
        "summary": "Ein Platz für alle.",
        "area": mapping(AREA),
        "categories": ["Grün", "Verkehr"],
        "public": True,
        "allow_anonymous": True,
        "phases": timeline(),
    }
    values.update(overrides)
    return ProcessCreate(**values)


@pytest.fixture
def make_process(database: Database, people: People) -> MakeProcess:
    def make(**overrides: Any) -> int:
        data = process_data(**overrides)
        return database.write(
            lambda s: processes.create_process(s, principal=people.admin, data=data)
        ).id

    return make


@seed
def process_id(database: Database, region: Region) -> int:
    """The process of ``process_data()``, seeded (its phases run around the session's start)."""
    admin = people_of(database, region).admin
    data = process_data()
    return database.write(lambda s: processes.create_process(s, principal=admin, data=data)).id


def anonymous(key: str = "browser-1") -> Participant:
    return Participant(ANONYMOUS, voter_key=key)


def count(database: Database, model: Any) -> int:
    from sqlalchemy import func, select

    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
