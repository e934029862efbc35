"""The demo data: a tree cadastre, playgrounds with inspection history (some overdue), street
furniture, a market square with bookings, reports in every state, adoptions; deterministic."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from allmende.app import KERNEL_MIGRATIONS
from allmende.core.registry import Registry, discover
from allmende.core.timeutil import utcnow
from allmende.demo.region import build_region
from allmende.identity.principal import Principal
from allmende.modules.assets import inspections
from allmende.modules.assets.models import (
    Activity,
    Adoption,
    AssetObject,
    Booking,
    ObjectType,
    Report,
)
from allmende.storage.database import Database
from allmende.storage.migrate import upgrade

pytestmark = pytest.mark.integration
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=utcnow().tzinfo)


def census(database: Database) -> dict[str, object]:
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
                session, principal=Principal(kind="user", is_admin=True), now=NOW, horizon_days=0
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


def test_the_demo_is_rich_and_deterministic(database: Database, tmp_path: Path) -> None:
    # The heat demo adds its climate network and half a minute of maps, none of it counted here.
    registry = Registry.build(discover(), disabled=["heat"])
    database.write(lambda s: build_region(s, registry=registry, now=NOW))
    first = census(database)
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

    url = f"sqlite:///{tmp_path / 'again.sqlite3'}"
    upgrade(url, [*KERNEL_MIGRATIONS, *registry.migration_locations()])
    again = Database(url)
    try:
        again.write(lambda s: build_region(s, registry=registry, now=NOW))
        assert census(again) == first
    finally:
        again.close()
