"""The demo data: a tree cadastre, playgrounds with inspection history (some overdue), street
furniture, a market square with bookings, reports in every state, adoptions; deterministic."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from allmende.identity.principal import Principal
from allmende.modules.assets.inspections import service as inspections
from allmende.modules.assets.models import (
    Activity,
    Adoption,
    AssetObject,
    Booking,
    ObjectType,
    Report,
)
from allmende.storage.database import Database
from tests.modules.conftest import Demo

pytestmark = pytest.mark.integration


def census(database: Database, now: datetime) -> dict[str, object]:
    with database.session() as session:
        by_type = dict(
            session.execute(
                select(ObjectType.key, func.count())
                .join(AssetObject, AssetObject.type_id == ObjectType.id)
                .group_by(ObjectType.key)
            ).all()
        )
        names = session.scalars(select(AssetObject.name).order_by(AssetObject.id)).all()
        states = dict(
            session.execute(select(Report.state, func.count()).group_by(Report.state)).all()
        )
        overdue = [
            d
            for d in inspections.due(
                session, principal=Principal(kind="user", is_admin=True), now=now, horizon_days=0
            )
            if d.overdue
        ]
        return {
            "by_type": by_type,
            "names": list(names),
            "states": states,
            "overdue_devices": sum(1 for d in overdue if d.type_key == "play_device"),
            "bookings": session.scalar(select(func.count()).select_from(Booking)),
            "adoptions": session.scalar(select(func.count()).select_from(Adoption)),
            "waterings": session.scalar(select(func.count()).select_from(Activity)),
        }


def test_the_demo_is_rich_and_deterministic(
    database: Database, demo: Demo, demo_rebuilt: Database
) -> None:
    first = census(database, demo.now)
    assert first["by_type"]["tree"] == 240  # type: ignore[index]
    assert {
        "playground",
        "play_device",
        "bench",
        "street_light",
        "waste_bin",
        "public_space",
    } <= set(first["by_type"])  # type: ignore[arg-type]
    assert first["overdue_devices"] > 0
    assert {"received", "in_progress", "fixed", "duplicate"} <= set(first["states"])  # type: ignore[arg-type]
    assert first["bookings"] >= 10 and first["adoptions"] == 3 and first["waterings"] > 0
    assert census(demo_rebuilt, demo.now) == first
