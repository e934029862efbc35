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
from tests.support.region import People

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


@pytest.fixture
def make_process(database: Database, people: People) -> MakeProcess:
    def make(**overrides: Any) -> int:
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
        data = ProcessCreate(**values)
        return database.write(
            lambda s: processes.create_process(s, principal=people.admin, data=data)
        ).id

    return make


@pytest.fixture
def process_id(make_process: MakeProcess) -> int:
    return make_process()


def anonymous(key: str = "browser-1") -> Participant:
    return Participant(ANONYMOUS, voter_key=key)


def count(database: Database, model: Any) -> int:
    from sqlalchemy import func, select

    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
