"""The water demo in the demo region: trees in every status, a crew list, irrigation zones
with a week of decisions (one valve that never answers), and the planted leak found."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from allmende.core.registry import Registry, discover
from allmende.delivery.models import Notification
from allmende.demo.region import build_region
from allmende.identity.principal import Principal
from allmende.modules.water import lists, zones
from allmende.modules.water.models import Decision, Leak, Meter, Probe, Tree
from allmende.sdk import actuation
from allmende.storage.database import Database

pytestmark = pytest.mark.integration
NOW = datetime(2026, 9, 20, 14, 37, tzinfo=UTC)
ADMIN = Principal(kind="user", is_admin=True)


def test_the_water_demo(database: Database) -> None:
    # What the water demo builds on (the energy demo's backwards history is left out: quicker,
    # and the four weeks of the sensor network must be enough on their own).
    registry = Registry.build(discover(), enabled=["assets", "sensors", "water"])
    notes = database.write(lambda s: build_region(s, registry=registry, now=NOW).notes)
    assert any("/water" in n for n in notes)
    with database.session() as session:
        statuses = dict(
            session.execute(select(Tree.status, func.count()).group_by(Tree.status)).all()
        )
        municipality = session.scalar(select(Tree.municipality_id).where(Tree.status == "now"))
        tours = lists.crew_tours(session, principal=ADMIN, municipality_id=municipality)
        flagged = session.scalar(select(func.count()).where(Probe.status == "flagged"))
        reasons = {d.reason for d in session.scalars(select(Decision))}
        days = session.scalar(select(func.count(func.distinct(Decision.day))))
        failed = zones.failed_valves(session, municipality_ids=None)
        leaks = session.execute(select(Meter.building, Leak.night).join(Leak)).all()
        kinds = {m.kind for m in session.scalars(select(Meter))}
        told = session.scalars(select(Notification.kind)).all()
    assert statuses["now"] >= 1 and statuses["soon"] >= 1 and statuses["ok"] >= 1
    assert tours and all(s.tree.status in ("now", "soon") for t in tours for s in t.stops)
    assert flagged == 2  # the broken cable and the stuck logger
    assert {"water", "soil_moist", "rain_expected"} <= reasons and days == 7
    assert failed and len({t.thing_id for t in failed}) == 1  # one valve never answers
    assert [b for b, _ in leaks] == ["Sporthalle Lindenbach"]  # the planted leak, nothing else
    assert kinds == {"building", "fountain", "irrigation"}
    assert "water.leak.detected" in told and actuation.TASK_FAILED in told
