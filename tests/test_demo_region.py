"""The demo region's districts lie where their names say."""

from __future__ import annotations

import random

import pytest
from shapely.geometry import Point

from allmende.core.geo import to_metric
from allmende.demo.region import PLACES, SEED, _districts, _outline

pytestmark = pytest.mark.unit


def test_each_quarter_lies_on_its_side_of_the_centre() -> None:
    rng = random.Random(SEED)
    place = PLACES[0]
    centre = to_metric(Point(place.lon, place.lat))
    assert isinstance(centre, Point)
    outline = _outline(rng, centre, place.radius_m)
    shapes = _districts(outline, centre, place.radius_m, len(place.districts))
    at = {name: shape.centroid for (name, _), shape in zip(place.districts, shapes, strict=True)}
    assert at["Nordstadt"].y > at["Südstadt"].y
    assert at["Oststadt"].x > at["Weststadt"].x
    assert at["Oststadt"].x > centre.x > at["Weststadt"].x
    assert at["Nordstadt"].y > centre.y > at["Südstadt"].y
