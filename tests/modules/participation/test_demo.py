"""The demo: a realistic process on the market square of Auenstadt, the same on every build."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from allmende.identity.principal import ANONYMOUS
from allmende.modules.participation import feed, processes, surveys
from allmende.modules.participation.models import Answer, Contribution, Process, Response
from allmende.storage.database import Database
from tests.modules.conftest import Demo

pytestmark = pytest.mark.integration


def test_the_market_square_process(database: Database, demo: Demo) -> None:
    now = demo.now
    with database.session() as session:
        square = session.scalar(select(Process).where(Process.title.like("%Marktplatz%")))
        assert square is not None and square.object_name == "Marktplatz Auenstadt"
        detail = processes.process_detail(
            session, principal=ANONYMOUS, process_id=square.id, now=now
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
                session, principal=ANONYMOUS, process_id=ended.id, now=now
            ).state
            == "ended"
        )


def snapshot(database: Database, demo: Demo) -> tuple[object, ...]:
    with database.session() as session:
        collection = feed.feed(session, base="", now=demo.now)
        answers = session.execute(
            select(Answer.question_id, Answer.choices, Answer.number).order_by(Answer.id)
        ).all()
        responses = session.scalar(select(func.count(Response.id)))
    return (collection, [tuple(a) for a in answers], responses)


def test_the_demo_is_the_same_on_every_build(
    database: Database, demo: Demo, demo_rebuilt: Database
) -> None:
    assert snapshot(database, demo) == snapshot(demo_rebuilt, demo)
