"""The demo: a realistic process on the market square of Auenstadt, the same on every build."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from allmende.app import KERNEL_MIGRATIONS
from allmende.core.registry import Registry, discover
from allmende.demo.region import build_region
from allmende.identity.principal import ANONYMOUS
from allmende.modules.participation import feed, processes, surveys
from allmende.modules.participation.models import Answer, Contribution, Process, Response
from allmende.storage.database import Database
from allmende.storage.migrate import upgrade

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def _demo(folder: Path) -> Database:
    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    registry = Registry.build(discover(), disabled=["heat"])  # its maps take half a minute
    upgrade(url, [*KERNEL_MIGRATIONS, *registry.migration_locations()])
    database = Database(url)
    database.write(lambda s: build_region(s, registry=registry, now=NOW))
    return database


def test_the_market_square_process(tmp_path: Path) -> None:
    database = _demo(tmp_path)
    try:
        with database.session() as session:
            square = session.scalar(select(Process).where(Process.title.like("%Marktplatz%")))
            assert square is not None and square.object_name == "Marktplatz Auenstadt"
            detail = processes.process_detail(
                session, principal=ANONYMOUS, process_id=square.id, now=NOW
            )
            assert detail.state == "running" and "contribute" in detail.allowed_actions
            assert len(detail.phases) == 5 and detail.layers and len(detail.drafts) == 3
            assert detail.events and detail.faq and detail.surveys
            located = session.scalar(
                select(func.count(Contribution.id)).where(
                    Contribution.process_id == square.id, Contribution.bbox_minx.is_not(None)
                )
            )
            assert located and located >= 8
            results = surveys.results(session, principal=ANONYMOUS, survey_id=detail.surveys[0].id)
            assert results.responses == 40
            assert session.scalar(select(func.count(Answer.id))) > 160
            ended = session.scalar(select(Process).where(Process.title.like("%Spielplatz%")))
            assert ended is not None
            assert (
                processes.process_detail(
                    session, principal=ANONYMOUS, process_id=ended.id, now=NOW
                ).state
                == "ended"
            )
    finally:
        database.close()


def test_the_demo_is_the_same_on_every_build(tmp_path: Path) -> None:
    snapshots = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        database = _demo(folder)
        try:
            with database.session() as session:
                collection = feed.feed(session, base="", now=NOW)
                answers = session.execute(
                    select(Answer.question_id, Answer.choices, Answer.number).order_by(Answer.id)
                ).all()
                responses = session.scalar(select(func.count(Response.id)))
            snapshots.append((collection, [tuple(a) for a in answers], responses))
        finally:
            database.close()
    assert snapshots[0] == snapshots[1]
