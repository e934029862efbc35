"""OGC conformance level 1 (Sensing Core), as the OGC test suite checks it: reads only, on a
fully connected entity of every type."""

from __future__ import annotations

import pytest

from tests.standards.sensorthings.conftest import LONG_MAX, ROOT, FilterFixture, Sta

pytestmark = pytest.mark.integration

SETS = (
    "Things",
    "Locations",
    "HistoricalLocations",
    "Datastreams",
    "Sensors",
    "ObservedProperties",
    "Observations",
    "FeaturesOfInterest",
)
MANDATORY = {
    "Things": ("name", "description"),
    "Locations": ("name", "description", "encodingType", "location"),
    "HistoricalLocations": ("time",),
    "Datastreams": ("name", "description", "unitOfMeasurement", "observationType"),
    "Sensors": ("name", "description", "encodingType", "metadata"),
    "ObservedProperties": ("name", "definition", "description"),
    "Observations": ("phenomenonTime", "result", "resultTime"),
    "FeaturesOfInterest": ("name", "description", "encodingType", "feature"),
}
RELATIONS = {
    "Things": ("Datastreams", "HistoricalLocations", "Locations"),
    "Locations": ("HistoricalLocations", "Things"),
    "HistoricalLocations": ("Thing", "Locations"),
    "Datastreams": ("Thing", "Sensor", "ObservedProperty", "Observations"),
    "Sensors": ("Datastreams",),
    "ObservedProperties": ("Datastreams",),
    "Observations": ("Datastream", "FeatureOfInterest"),
    "FeaturesOfInterest": ("Observations",),
}
SINGULAR = {"Thing", "Sensor", "ObservedProperty", "Datastream", "FeatureOfInterest"}
OBJECT_VALUES = {"location", "feature", "unitOfMeasurement"}


def _check_entity(entity_set: str, entity: dict[str, object]) -> None:
    assert isinstance(entity["@iot.id"], int)
    assert entity["@iot.selfLink"] == f"{ROOT}/{entity_set}({entity['@iot.id']})"
    for key in MANDATORY[entity_set]:
        assert key in entity, f"{entity_set} lacks the mandatory key {key}"
    for relation in RELATIONS[entity_set]:
        link = entity[f"{relation}@iot.navigationLink"]
        assert link == f"{ROOT}/{entity_set}({entity['@iot.id']})/{relation}"


def test_root_lists_exactly_the_collections_with_absolute_urls(anonymous: Sta) -> None:
    root = anonymous.get("")
    names = [item["name"] for item in root["value"]]
    assert set(SETS) <= set(names)
    assert set(names) - set(SETS) <= {"MultiDatastreams"}
    for item in root["value"]:
        assert item["url"] == f"{ROOT}/{item['name']}"
    conformance = root["serverSettings"]["conformance"]
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel" in conformance
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array" in conformance
    assert anonymous.get("/v1.1/") == root


def test_every_set_and_entity_has_ids_links_and_mandatory_keys(
    anonymous: Sta, filtering: FilterFixture
) -> None:
    for entity_set in SETS:
        items = anonymous.get(entity_set)["value"]
        assert items, f"{entity_set} is empty"
        for entity in items[:2]:
            _check_entity(entity_set, entity)
        single = anonymous.get(f"{entity_set}({items[0]['@iot.id']})")
        _check_entity(entity_set, single)


def test_a_null_result_time_is_present_as_null(anonymous: Sta, filtering: FilterFixture) -> None:
    observation = anonymous.get(f"Observations({filtering.observations[0]})")
    assert observation["resultTime"] is None


@pytest.mark.parametrize("entity_set", SETS)
def test_the_largest_id_is_not_found_never_an_error(
    anonymous: Sta, sta: Sta, entity_set: str
) -> None:
    anonymous.get(f"{entity_set}({LONG_MAX})", status=404)
    anonymous.get(f"{entity_set}({LONG_MAX + 1})", status=404)
    anonymous.get(f"{entity_set}(0)", status=404)
    anonymous.get(f"{entity_set}('abc')", status=404)
    sta.delete(f"{entity_set}({LONG_MAX})", status=404)


def test_properties_and_their_values(anonymous: Sta, filtering: FilterFixture) -> None:
    for entity_set in SETS:
        entity = anonymous.get(entity_set)["value"][0]
        for key in MANDATORY[entity_set]:
            if entity[key] is None:
                continue
            path = f"{entity_set}({entity['@iot.id']})/{key}"
            body = anonymous.get(path)
            assert list(body) == [key]
            raw = anonymous.client.get(f"/v1.1/{path}/$value")
            assert raw.status_code == 200
            if key in OBJECT_VALUES:
                assert raw.text.startswith("{")
            else:
                assert "{" not in raw.text


def _walk(sta: Sta, path: str, entity_set_or_nav: str, depth: int, seen: list[str]) -> None:
    body = sta.get(path)
    plural = entity_set_or_nav not in SINGULAR
    if plural:
        assert body["value"], f"{path} is empty"
        first = body["value"][0]
        refs = sta.get(f"{path}/$ref")["value"]
        assert refs and all(list(r) == ["@iot.selfLink"] for r in refs)
        path = f"{path}({first['@iot.id']})"
        entity = first
    else:
        entity = body
        assert list(sta.get(f"{path}/$ref")) == ["@iot.selfLink"]
    seen.append(path)
    if depth == 4:
        return
    for key in entity:
        if key.endswith("@iot.navigationLink"):
            relation = key.split("@")[0]
            if relation in ("MultiDatastreams", "MultiDatastream", "TaskingCapabilities"):
                continue
            _walk(sta, f"{path}/{relation}", relation, depth + 1, seen)


def test_navigation_paths_of_any_depth(anonymous: Sta, filtering: FilterFixture) -> None:
    seen: list[str] = []
    for entity_set in ("Things", "Observations"):
        _walk(anonymous, entity_set, entity_set, 1, seen)
    assert any(p.count("/") >= 3 for p in seen)
    assert len(seen) > 40


def test_a_path_through_a_missing_parent_is_not_found(
    anonymous: Sta, filtering: FilterFixture
) -> None:
    anonymous.get(f"Things({LONG_MAX})/Datastreams", status=404)
    other = filtering.things[1]
    stream = filtering.datastreams[0]  # belongs to the first Thing
    anonymous.get(f"Things({filtering.things[0]})/Datastreams({stream})/Observations")
    anonymous.get(f"Things({other})/Datastreams({stream})/Observations", status=404)
    anonymous.get("Things/Datastreams", status=404)
    anonymous.get("Nothings", status=404)
    anonymous.get(f"Things({filtering.things[0]})/nothing", status=404)


def test_get_with_a_json_content_type_and_no_body(anonymous: Sta, filtering: FilterFixture) -> None:
    response = anonymous.client.get("/v1.1/Things", headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    head = anonymous.client.head("/v1.1/Things")
    assert head.status_code == 200
