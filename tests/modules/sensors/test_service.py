"""Kinds of measurement: the built-in ones, and an installation's own in ``sensors_kinds``."""

from __future__ import annotations

import pytest

from allmende.core.errors import ValidationFailed
from allmende.modules.sensors import service
from allmende.modules.sensors.catalogue import KINDS
from allmende.sdk import sensing
from allmende.storage.database import Database
from tests.modules.sensors.conftest import Network
from tests.support.region import People

pytestmark = pytest.mark.integration


def test_own_kinds_add_to_and_replace_the_built_in_ones(
    database: Database, network: Network, people: People
) -> None:
    def add(session) -> None:  # type: ignore[no-untyped-def]
        service.add_kind(
            session,
            key="noise",
            definition="https://example.org/def/noise",
            label="Noise",
            decimals=0,
        )
        service.add_kind(
            session,
            key="rain",
            definition=KINDS[2].definition,  # precipitation, under a new key
            label="Rain",
            style="bar",
        )

    database.write(add)
    with database.session() as session:
        known = service.kinds(session)
        keys = [k.key for k in known]
        assert "noise" in keys and "rain" in keys and "precipitation" not in keys
        station = sensing.get_thing(session, principal=people.anonymous, thing_id=network.station)
        assert [service.kind_of(s, known).key for s in station.streams] == [
            "air-temperature",
            "rain",
        ]
        f = service.resolve_filter(session, municipality=None, kind="rain", known=known)
        assert [t.name for t in service.things(session, principal=people.anonymous, f=f)] == [
            "Wetterstation A"
        ]


def test_refusals(database: Database) -> None:
    with pytest.raises(ValidationFailed) as bad_style:
        database.write(
            lambda s: service.add_kind(s, key="x", definition="d", label="X", style="pie")
        )
    assert bad_style.value.errors[0].field == "style"
    with database.session() as session, pytest.raises(ValidationFailed) as unknown:
        service.resolve_filter(
            session, municipality="atlantis", kind=None, known=service.kinds(session)
        )
    assert unknown.value.errors[0].field == "municipality"
