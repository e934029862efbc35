"""``$orderby`` on a geometry orders by its bounding box (west, south, east, north), the same
on both backends; a geometry literal is no sort key."""

from __future__ import annotations

import pytest

from tests.standards.sensorthings.conftest import Sta

pytestmark = pytest.mark.integration


def _location(sta: Sta, name: str, geometry: dict[str, object]) -> int:
    return sta.post(
        "Locations",
        {
            "name": name,
            "description": name,
            "encodingType": "application/geo+json",
            "location": geometry,
        },
    )


def _point(lon: float, lat: float) -> dict[str, object]:
    return {"type": "Point", "coordinates": [lon, lat]}


@pytest.fixture
def places(sta: Sta) -> dict[str, int]:
    square = [[8.60, 49.41], [8.65, 49.41], [8.65, 49.42], [8.60, 49.42], [8.60, 49.41]]
    return {
        "east": _location(sta, "east", _point(8.70, 49.40)),
        "north-west": _location(sta, "north-west", _point(8.60, 49.50)),
        "square": _location(sta, "square", {"type": "Polygon", "coordinates": [square]}),
        "west": _location(sta, "west", _point(8.60, 49.45)),
    }


def _names(sta: Sta, query: str) -> list[str]:
    return [item["name"] for item in sta.get(f"Locations?{query}")["value"]]


def test_locations_order_by_their_bounding_box(sta: Sta, places: dict[str, int]) -> None:
    ascending = ["square", "west", "north-west", "east"]
    assert _names(sta, "$orderby=location") == ascending
    assert _names(sta, "$orderby=location desc") == ascending[::-1]
    assert _names(sta, "$orderby=location asc,name&$top=2") == ascending[:2]


def test_a_geometry_through_a_navigation_is_a_sort_key(sta: Sta, places: dict[str, int]) -> None:
    things = {}
    for name in ("east", "west"):
        things[name] = sta.post(
            "Things",
            {"name": name, "description": name, "Locations": [{"@iot.id": places[name]}]},
        )
    found = sta.get("HistoricalLocations?$orderby=Thing/name desc&$expand=Thing")["value"]
    assert [h["Thing"]["name"] for h in found] == ["west", "east"]
    stream = {
        "name": "t",
        "description": "t",
        "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
        "unitOfMeasurement": {"name": "Grad Celsius", "symbol": "°C", "definition": "ucum:Cel"},
        "Sensor": {"name": "s", "description": "s", "encodingType": "text/plain", "metadata": "-"},
        "ObservedProperty": {"name": "T", "definition": "urn:t", "description": "T"},
    }
    for name, thing in things.items():
        datastream = sta.post("Datastreams", {**stream, "name": name, "Thing": {"@iot.id": thing}})
        sta.post(
            "Observations",
            {
                "phenomenonTime": "2024-05-01T00:00:00Z",
                "result": 1,
                "Datastream": {"@iot.id": datastream},
            },
        )
    ordered = sta.get("Observations?$orderby=FeatureOfInterest/feature&$expand=Datastream")
    assert [o["Datastream"]["name"] for o in ordered["value"]] == ["west", "east"]


def test_a_geometry_literal_is_no_sort_key(sta: Sta) -> None:
    body = sta.get("Locations?$orderby=geography'POINT(8 49)'", status=400)
    assert "geometry" in body["message"]
