"""Spatial queries give identical answers on SQLite and PostgreSQL/PostGIS."""

from __future__ import annotations

import pytest
from shapely.geometry import LineString, Point, Polygon, box
from sqlalchemy import select
from sqlalchemy.orm import Session

from allmende.identity.models import District, Municipality
from allmende.storage.database import Database
from allmende.storage.spatial import in_bbox, intersects, predicate

pytestmark = pytest.mark.integration

SHAPES = {
    "square": box(8.0, 49.0, 8.1, 49.1),
    "far": box(9.0, 50.0, 9.1, 50.1),
    "triangle": Polygon([(8.2, 49.0), (8.3, 49.0), (8.25, 49.1)]),
    # Its bounding box overlaps the query box below, the shape itself does not:
    "l-shape": Polygon(
        [(8.15, 49.15), (8.5, 49.15), (8.5, 49.2), (8.2, 49.2), (8.2, 49.5), (8.15, 49.5)]
    ),
    "point": Point(8.05, 49.05),
    "line": LineString([(7.9, 49.05), (8.4, 49.05)]),
}


@pytest.fixture
def shapes(database: Database) -> Database:
    def add(session: Session) -> None:
        municipality = Municipality(key="geo", name="Geo", kind="Gemeinde")
        session.add(municipality)
        session.flush()
        for name, geom in SHAPES.items():
            district = District(municipality_id=municipality.id, name=name)
            district.geom = geom
            session.add(district)

    database.write(add)
    return database


def _names(database: Database, condition) -> list[str]:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return sorted(session.scalars(select(District.name).where(condition)).all())


def test_geometry_round_trips(shapes: Database) -> None:
    with shapes.session() as session:
        district = session.scalar(select(District).where(District.name == "triangle"))
        assert district is not None and district.geom is not None
        assert district.geom.equals(SHAPES["triangle"])
        assert (district.bbox_minx, district.bbox_maxy) == (8.2, 49.1)


def test_bbox_query(shapes: Database) -> None:
    # The l-shape's bounding box reaches into this box, but the shape does not.
    assert _names(shapes, in_bbox(District, (8.22, 49.21, 8.45, 49.4))) == []
    assert _names(shapes, in_bbox(District, (7.95, 48.95, 8.12, 49.12))) == [
        "line",
        "point",
        "square",
    ]


def test_intersects_query(shapes: Database) -> None:
    probe = Polygon([(8.04, 49.04), (8.28, 49.04), (8.28, 49.06), (8.04, 49.06)])
    assert _names(shapes, intersects(District, probe)) == ["line", "point", "square", "triangle"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ST_Within", ["point", "square"]),
        ("ST_Contains", ["square"]),
        ("ST_Crosses", ["line"]),
        ("ST_Disjoint", ["far", "l-shape", "triangle"]),
    ],
)
def test_other_predicates(shapes: Database, name: str, expected: list[str]) -> None:
    assert _names(shapes, predicate(name, District, SHAPES["square"])) == expected


def test_same_answers_on_both_backends_for_a_grid_of_probes(shapes: Database) -> None:
    """Compare with shapely as the reference: whatever the backend, the same rows."""
    for x in range(7, 10):
        for y in range(48, 51):
            probe = box(x + 0.5, y + 0.5, x + 1.2, y + 1.3)
            expected = sorted(n for n, g in SHAPES.items() if g.intersects(probe))
            assert _names(shapes, intersects(District, probe)) == expected
