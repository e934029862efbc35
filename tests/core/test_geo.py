"""GeoJSON parsing and bounding boxes refuse bad input with the field and the reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allmende.core.errors import ValidationFailed
from allmende.core.geo import distance_m, geometry_from_geojson, geometry_to_geojson, parse_bbox

pytestmark = pytest.mark.unit


def test_round_trip() -> None:
    geojson = {"type": "Polygon", "coordinates": [[[8, 49], [8.1, 49], [8.1, 49.1], [8, 49]]]}
    assert geometry_to_geojson(geometry_from_geojson(geojson)) == geojson


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"type": "Circle", "coordinates": [1, 2]}, "type must be"),
        ({"type": "Point", "coordinates": [200, 10]}, "longitude"),
        ({"type": "Point", "coordinates": ["a"]}, "malformed"),
        ({"type": "LineString", "coordinates": [[8.6, 49.4]]}, "malformed"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
            "not a valid geometry",
        ),
        ("{not json", "not valid JSON"),
        ([1, 2], "GeoJSON geometry object"),
    ],
)
def test_bad_geometries(value: object, reason: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        geometry_from_geojson(value, field="body.geometry")
    assert info.value.errors[0].field == "body.geometry"
    assert reason in info.value.errors[0].reason


@given(st.text(max_size=60))
def test_bbox_parser_never_crashes(text: str) -> None:
    try:
        minx, miny, maxx, maxy = parse_bbox(text)
    except ValidationFailed as exc:
        error = exc.errors[0]
    else:
        assert minx <= maxx and miny <= maxy
        return
    assert error.field == "bbox"


def test_metric_distance() -> None:
    from shapely.geometry import Point

    # One degree of latitude is about 111 km.
    assert 110_000 < distance_m(Point(8.7, 49.0), Point(8.7, 50.0)) < 112_000
