"""The spatial functions of the SensorThings filters answer alike on SQLite and PostGIS:
distance, length and the DE-9IM relate, with shapely as the reference."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box
from sqlalchemy import func, select

from allmende.storage.database import Database
from allmende.storage.spatial import geometry_param

pytestmark = pytest.mark.integration

SHAPES = [
    Point(8, 51),
    LineString([(5, 52), (6, 53)]),
    Polygon([(8, 53), (7, 52), (7, 53), (8, 53)]),
    box(7.5, 51.5, 8.5, 53.5),
    shapely.GeometryCollection([Point(1, 1), LineString([(0, 0), (3, 4)])]),
]


def _scalar(database: Database, expression: object) -> object:
    with database.session() as session:
        return session.scalar(select(expression))


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.geom_type)
def test_length_counts_lines_only(database: Database, shape: object) -> None:
    expected = {"Point": 0.0, "LineString": 2**0.5, "Polygon": 0.0, "GeometryCollection": 5.0}
    value = _scalar(database, func.ST_Length(geometry_param(shape)))  # type: ignore[arg-type]
    assert value == pytest.approx(expected.get(shape.geom_type, 0.0))  # type: ignore[attr-defined]


@pytest.mark.parametrize("a", SHAPES[:4], ids=lambda s: s.geom_type)
@pytest.mark.parametrize("b", SHAPES[:4], ids=lambda s: s.geom_type)
def test_distance_and_relate_agree_with_shapely(database: Database, a: object, b: object) -> None:
    pa, pb = geometry_param(a), geometry_param(b)  # type: ignore[arg-type]
    distance = _scalar(database, func.ST_Distance(pa, pb))
    assert distance == pytest.approx(shapely.distance(a, b))
    matrix = _scalar(database, func.ST_Relate(pa, pb))
    assert matrix == shapely.relate(a, b)
    for pattern in ("T********", "FF*FF****", "****T****"):
        related = _scalar(database, func.ST_Relate(pa, pb, pattern))
        assert bool(related) == shapely.relate_pattern(a, b, pattern), pattern
