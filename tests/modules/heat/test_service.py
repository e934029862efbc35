"""The heat module's settings: each value checked by name, nothing half-stored."""

from __future__ import annotations

import pytest

from allmende.modules.heat.service import rules, update_rules
from allmende.sdk import ValidationFailed, sensing
from allmende.storage.database import Database
from tests.support.region import Region

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", ["reference_thing_id", "forecast_thing_id"])
def test_a_thing_that_does_not_exist_is_refused_by_name(
    database: Database, region: Region, name: str
) -> None:
    missing = 15_731_394
    with pytest.raises(ValidationFailed) as refused:
        database.write(
            lambda s: update_rules(
                s, municipality_id=region.municipality_a, values={name: missing, "cell_m": 20}
            )
        )
    assert [(e.field, e.reason) for e in refused.value.errors] == [(name, "names no Thing")]
    with database.session() as session:
        kept = rules(session, municipality_id=region.municipality_a)
    assert getattr(kept, name) is None and kept.cell_m != 20


def test_an_existing_thing_is_stored(database: Database, region: Region) -> None:
    a = region.municipality_a
    thing = database.write(
        lambda s: sensing.create_thing(s, municipality_id=a, name="Prognose", lon=8.6, lat=49.4)
    )
    database.write(
        lambda s: update_rules(s, municipality_id=a, values={"forecast_thing_id": thing})
    )
    with database.session() as session:
        assert rules(session, municipality_id=a).forecast_thing_id == thing


@pytest.mark.parametrize("name", ["reference_thing_id", "forecast_thing_id"])
def test_another_municipalitys_internal_thing_is_refused_its_public_one_kept(
    database: Database, region: Region, name: str
) -> None:
    a, b = region.municipality_a, region.municipality_b

    def things(session):  # type: ignore[no-untyped-def]
        internal = sensing.create_thing(
            session, municipality_id=a, name="Intern", lon=8.6, lat=49.4, public=False
        )
        public = sensing.create_thing(session, municipality_id=a, name="Offen", lon=8.6, lat=49.4)
        return internal, public

    internal, public = database.write(things)
    with pytest.raises(ValidationFailed) as refused:
        database.write(lambda s: update_rules(s, municipality_id=b, values={name: internal}))
    assert [(e.field, e.reason) for e in refused.value.errors] == [
        (name, "is an internal Thing of another municipality")
    ]
    database.write(lambda s: update_rules(s, municipality_id=a, values={name: internal}))
    database.write(lambda s: update_rules(s, municipality_id=b, values={name: public}))
    with database.session() as session:
        assert getattr(rules(session, municipality_id=a), name) == internal
        assert getattr(rules(session, municipality_id=b), name) == public
