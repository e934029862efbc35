"""The feature source for OGC API - Features: public objects and reports, public fields only."""

from __future__ import annotations

import pytest

from allmende.core import open311
from allmende.core.errors import ValidationFailed
from allmende.core.features import FeatureQuery
from allmende.modules.assets.features import AssetFeatures
from allmende.modules.assets.register import service as objects
from allmende.modules.assets.reports.open311 import ReportsOpen311
from allmende.modules.assets.schemas import TypeCreate
from allmende.storage.database import Database
from tests.modules.assets.conftest import World, make, point
from tests.support.region import People, Region

pytestmark = pytest.mark.integration

SOURCE = AssetFeatures()


def items(database: Database, people: People, collection: str, **query):  # type: ignore[no-untyped-def]
    with database.session() as session:
        return SOURCE.items(session, people.anonymous, collection, FeatureQuery(**query))


def test_one_collection_per_public_type_plus_reports(
    database: Database, people: People, world: World
) -> None:
    def own(session):  # type: ignore[no-untyped-def]
        data = TypeCreate(municipality="a-stadt", key="hydrant", name="Hydrant", public=True)
        objects.create_type(session, principal=people.staff_a, data=data)
        hidden = TypeCreate(municipality="a-stadt", key="valve", name="Schieber", public=False)
        objects.create_type(session, principal=people.staff_a, data=hidden)

    database.write(own)
    with database.session() as session:
        collections = {c.id: c for c in SOURCE.collections(session, people.anonymous)}
    assert {
        "assets-tree",
        "assets-playground",
        "assets-bench",
        "assets-reports",
        "assets-a-stadt-hydrant",
    } <= set(collections)
    assert "assets-a-stadt-valve" not in collections
    tree = collections["assets-tree"]
    assert tree.bbox == (8.65, 49.45, 8.65, 49.45)  # the internal tree of B is not counted
    assert (
        tree.queryables["species_de"] == "string" and tree.queryables["planting_year"] == "integer"
    )
    assert "risk_class" not in tree.queryables  # internal attribute
    assert collections["assets-reports"].bbox is None


def test_items_are_public_with_public_fields(
    database: Database, people: People, world: World
) -> None:
    page = items(database, people, "assets-bench")
    assert [f.properties["name"] for f in page.features] == ["Bank B"]
    assert page.number_matched == 1
    [tree] = items(database, people, "assets-tree").features
    assert tree.id == str(world.tree) and tree.geometry.x == pytest.approx(8.65)
    assert (
        tree.properties["species_de"] == "Winter-Linde"
        and tree.properties["municipality"] == "a-stadt"
    )
    assert "risk_class" not in tree.properties and "notes" not in tree.properties
    assert items(database, people, "nope") is None
    with database.session() as session:
        assert (
            SOURCE.item(session, people.anonymous, "assets-bench", str(world.bench_internal))
            is None
        )
        assert SOURCE.item(session, people.anonymous, "assets-tree", str(world.bench_b)) is None
        assert SOURCE.item(session, people.anonymous, "assets-tree", "x") is None
        assert SOURCE.item(session, people.anonymous, "assets-tree", str(world.tree)).id == str(
            world.tree
        )


def test_bbox_paging_and_property_filters(database: Database, people: People, world: World) -> None:
    def more(session):  # type: ignore[no-untyped-def]
        for i in range(5):
            make(
                session,
                people.staff_a,
                "a-stadt",
                "tree",
                name=f"Ahorn {i}",
                geometry=point(8.601 + i * 0.01, 49.401),
                attributes={
                    "species_de": "Spitz-Ahorn",
                    "planting_year": 2000 + i,
                    "height_m": 5.5,
                },
            )

    database.write(more)
    page = items(database, people, "assets-tree", limit=2, offset=2)
    assert page.number_matched == 6 and len(page.features) == 2
    boxed = items(database, people, "assets-tree", bbox=(8.60, 49.40, 8.625, 49.41))
    assert sorted(f.properties["name"] for f in boxed.features) == ["Ahorn 0", "Ahorn 1", "Ahorn 2"]
    assert (
        items(
            database, people, "assets-tree", properties={"species_de": "Spitz-Ahorn"}
        ).number_matched
        == 5
    )
    assert (
        items(database, people, "assets-tree", properties={"planting_year": "2003"}).number_matched
        == 1
    )
    assert (
        items(database, people, "assets-tree", properties={"height_m": "5.5"}).number_matched == 5
    )
    assert (
        items(database, people, "assets-tree", properties={"municipality": "b-dorf"}).number_matched
        == 0
    )
    for bad in ({"planting_year": "old"}, {"risk_class": "low"}, {"colour": "red"}):
        with pytest.raises(ValidationFailed):
            items(database, people, "assets-tree", properties=bad)


def test_reports_collection_has_no_personal_data(
    database: Database, people: People, region: Region, world: World
) -> None:
    request = open311.NewRequest(
        service_code="muell",
        lat=49.42,
        long=8.62,
        description="Sperrmüll",
        email="a@example.org",
        first_name="Erika",
        phone="0123",
    )
    database.write(
        lambda s: ReportsOpen311().submit(s, region.municipality_a, request, people.anonymous)
    )
    page = items(database, people, "assets-reports")
    [feature] = page.features
    assert feature.properties["status"] == "open" and feature.properties["service_code"] == "muell"
    text = repr(feature)
    assert "a@example.org" not in text and "Erika" not in text and "0123" not in text
    assert (
        items(database, people, "assets-reports", properties={"status": "closed"}).number_matched
        == 0
    )
    assert items(database, people, "assets-reports", bbox=(0, 0, 1, 1)).number_matched == 0
