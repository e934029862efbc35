"""OGC conformance level 3 (filtering extension) on the fixture of the OGC / FROST test
suites: $select, $expand, $top, $skip, $orderby, $count and $filter, with the counts the
suites expect."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from allmende.core.registry import Registry
from tests.standards import conftest as standards_fixtures
from tests.standards.sensorthings import conftest as sta_fixtures
from tests.standards.sensorthings.conftest import FilterFixture, Sta
from tests.support import reports_module
from tests.support.read_only import (  # noqa: F401 (fixtures: one backend per module)
    ReadOnly,
    backend_per_module,
    postgres_marked,
    read_only_app,
)

pytestmark = pytest.mark.integration


# --- one database and app per backend: every test here only reads -----------------------------


@pytest.fixture(scope="module")
def shared(backend: str, request: pytest.FixtureRequest) -> Iterator[ReadOnly]:
    """The filtering fixture's database, app and client, once per backend for all the tests of
    this module (none of them writes)."""
    registry = Registry([reports_module.MODULE])
    # In the order the tests of the other modules ask for them: the same template serves all.
    seeds = (sta_fixtures.filtering, standards_fixtures.provider_tables)
    with read_only_app(request, backend, registry, *seeds) as shared:
        yield shared


@pytest.fixture
def anonymous(shared: ReadOnly) -> Sta:
    return Sta(shared.client, {})


@pytest.fixture
def filtering(shared: ReadOnly) -> FilterFixture:
    return shared.seeded["filtering"]  # type: ignore[no-any-return]


@pytest.fixture
def app(shared: ReadOnly) -> Any:
    return shared.app


PROPERTIES = {
    "Things": ["name", "description", "properties"],
    "Locations": ["name", "description", "encodingType", "location"],
    "HistoricalLocations": ["time"],
    "Datastreams": [
        "name",
        "description",
        "unitOfMeasurement",
        "observationType",
        "observedArea",
        "phenomenonTime",
        "resultTime",
    ],
    "Sensors": ["name", "description", "encodingType", "metadata"],
    "ObservedProperties": ["name", "definition", "description"],
    "Observations": [
        "phenomenonTime",
        "result",
        "resultTime",
        "resultQuality",
        "validTime",
        "parameters",
    ],
    "FeaturesOfInterest": ["name", "description", "encodingType", "feature"],
}
SORTABLE = {
    "Things": ["name", "description"],
    "Locations": ["name", "description", "encodingType"],
    "HistoricalLocations": ["time"],
    "Datastreams": ["name", "description", "observationType", "phenomenonTime", "resultTime"],
    "Sensors": ["name", "description", "encodingType", "metadata"],
    "ObservedProperties": ["name", "definition", "description"],
    "Observations": ["phenomenonTime", "result", "resultTime"],
    "FeaturesOfInterest": ["name", "description", "encodingType"],
}
RELATIONS = {
    "Things": ["Datastreams", "HistoricalLocations", "Locations"],
    "Locations": ["HistoricalLocations", "Things"],
    "HistoricalLocations": ["Thing", "Locations"],
    "Datastreams": ["Thing", "Sensor", "ObservedProperty", "Observations"],
    "Sensors": ["Datastreams"],
    "ObservedProperties": ["Datastreams"],
    "Observations": ["Datastream", "FeatureOfInterest"],
    "FeaturesOfInterest": ["Observations"],
}
GLOBAL_COUNTS = {
    "Datastreams": 4,
    "FeaturesOfInterest": 2,
    "HistoricalLocations": 4,
    "Locations": 2,
    "Observations": 12,
    "ObservedProperties": 3,
    "Sensors": 4,
    "Things": 2,
}


def relation_counts(f: FilterFixture) -> dict[tuple[str, int, str], int]:
    """The related-entity counts the OGC/FROST filtering tests expect."""
    t1, t2 = f.things
    l1, l2 = f.locations
    counts = {
        ("Things", t1, "Locations"): 1,
        ("Things", t2, "Locations"): 1,
        ("Things", t1, "HistoricalLocations"): 2,
        ("Things", t2, "HistoricalLocations"): 2,
        ("Things", t1, "Datastreams"): 2,
        ("Things", t2, "Datastreams"): 2,
        ("Locations", l1, "Things"): 1,
        ("Locations", l2, "Things"): 1,
        ("Locations", l1, "HistoricalLocations"): 2,
        ("Locations", l2, "HistoricalLocations"): 2,
        ("ObservedProperties", f.observed_properties[0], "Datastreams"): 1,
        ("ObservedProperties", f.observed_properties[1], "Datastreams"): 2,
        ("ObservedProperties", f.observed_properties[2], "Datastreams"): 1,
        ("FeaturesOfInterest", f.features[0], "Observations"): 6,
        ("FeaturesOfInterest", f.features[1], "Observations"): 6,
    }
    for history in [h for hs in f.histories.values() for h in hs]:
        counts[("HistoricalLocations", history, "Locations")] = 1
    for stream in f.datastreams:
        counts[("Datastreams", stream, "Observations")] = 3
    for sensor in f.sensors:
        counts[("Sensors", sensor, "Datastreams")] = 1
    return counts


def first_id(sta: Sta, entity_set: str) -> int:
    return int(sta.get(entity_set)["value"][0]["@iot.id"])


def check_page(body: dict[str, Any], expected: int, top: int | None, skip: int) -> None:
    found = len(body["value"])
    if top is not None:
        assert found == max(0, min(expected - skip, top))
        assert ("@iot.nextLink" in body) == (found + skip < expected), body.keys()


def test_global_and_related_counts(anonymous: Sta, filtering: FilterFixture) -> None:
    for entity_set, expected in GLOBAL_COUNTS.items():
        body = anonymous.get(f"{entity_set}?$count=true")
        assert body["@iot.count"] == expected, entity_set
        assert "@iot.count" not in anonymous.get(f"{entity_set}?$count=false")
    for (entity_set, entity_id, relation), expected in relation_counts(filtering).items():
        body = anonymous.get(f"{entity_set}({entity_id})/{relation}?$count=true")
        assert body["@iot.count"] == expected, (entity_set, relation)
        assert len(body["value"]) == expected


def test_top_and_skip_with_next_links(anonymous: Sta, filtering: FilterFixture) -> None:
    for entity_set, expected in GLOBAL_COUNTS.items():
        for top in (1, 2, 3, 4, 5, 12, 13):
            check_page(anonymous.get(f"{entity_set}?$top={top}"), expected, top, 0)
        for skip in (1, 2, 3, 4, 12):
            check_page(anonymous.get(f"{entity_set}?$top=12&$skip={skip}"), expected, 12, skip)
    for (entity_set, entity_id, relation), expected in relation_counts(filtering).items():
        path = f"{entity_set}({entity_id})/{relation}"
        check_page(anonymous.get(f"{path}?$top=3"), expected, 3, 0)
        check_page(anonymous.get(f"{path}?$top=12&$skip=1"), expected, 12, 1)


def test_top_zero_counts_without_a_next_link(anonymous: Sta, filtering: FilterFixture) -> None:
    """A page of nothing has no next page (the link would name this page again)."""
    body = anonymous.get("Observations?$top=0&$count=true")
    assert body["value"] == [] and body["@iot.count"] > 0
    assert "@iot.nextLink" not in body
    stream = first_id(anonymous, "Datastreams")
    expanded = anonymous.get(f"Datastreams({stream})?$expand=Observations($top=0)")
    assert expanded["Observations"] == []
    assert "Observations@iot.nextLink" not in expanded
    aggregated = anonymous.get(f"Datastreams({stream})/Observations?$aggregate=PT1H&$top=0")
    assert aggregated["value"] == [] and "@iot.nextLink" not in aggregated


def test_next_links_walk_every_entity_once(anonymous: Sta, filtering: FilterFixture) -> None:
    seen: list[int] = []
    url = "Observations?$top=5&$orderby=result desc&$filter=result gt 1"
    while url:
        body = anonymous.get(url)
        seen.extend(o["result"] for o in body["value"])
        url = body.get("@iot.nextLink", "")
        assert not url or url.startswith("http://testserver/v1.1/Observations?")
    assert seen == list(range(12, 1, -1))


def test_select_single_and_several_properties(anonymous: Sta, filtering: FilterFixture) -> None:
    for entity_set, props in PROPERTIES.items():
        for prop in props:
            for entity in anonymous.get(f"{entity_set}?$select={prop}")["value"]:
                assert set(entity) <= {prop}, (entity_set, prop, entity)
        chosen: list[str] = []
        for prop in props:
            chosen.append(prop)
            body = anonymous.get(f"{entity_set}?$select=id,{','.join(chosen)}")
            for entity in body["value"]:
                assert "@iot.id" in entity
                assert set(entity) - {"@iot.id", "@iot.selfLink"} <= set(chosen)
        for relation in RELATIONS[entity_set]:
            body = anonymous.get(f"{entity_set}?$select={relation}")
            for entity in body["value"]:
                assert list(entity) == [f"{relation}@iot.navigationLink"]


def test_select_parts_of_json_properties(anonymous: Sta, filtering: FilterFixture) -> None:
    body = anonymous.get("Datastreams?$select=id,unitOfMeasurement/name")
    for entity in body["value"]:
        assert set(entity["unitOfMeasurement"]) == {"name"}
    assert anonymous.get("Things?$select=properties/reference")["value"][0] == {
        "properties": {"reference": "first"}
    }


def _expanded_ok(entity: dict[str, Any], relation: str) -> None:
    assert relation in entity
    value = entity[relation]
    items = value if isinstance(value, list) else [value]
    for item in items:
        assert "@iot.id" in item
        assert not any(k.endswith("@iot.navigationLink") for k in item)


def test_expand_every_relation_and_several_levels(anonymous: Sta, filtering: FilterFixture) -> None:
    for entity_set, relations in RELATIONS.items():
        for relation in relations:
            for entity in anonymous.get(f"{entity_set}?$expand={relation}")["value"]:
                _expanded_ok(entity, relation)
                for other in relations:
                    if other != relation:
                        assert other not in entity
        body = anonymous.get(f"{entity_set}?$expand={','.join(relations)}")
        for entity in body["value"]:
            for relation in relations:
                _expanded_ok(entity, relation)
        for relation in relations:
            from_target = RELATIONS[_set_of(relation)][0]
            body = anonymous.get(f"{entity_set}?$expand={relation}/{from_target}")
            for entity in body["value"]:
                value = entity[relation]
                for item in value if isinstance(value, list) else [value]:
                    _expanded_ok(item, from_target)


def _set_of(relation: str) -> str:
    singular = {
        "Thing": "Things",
        "Sensor": "Sensors",
        "ObservedProperty": "ObservedProperties",
        "Datastream": "Datastreams",
        "FeatureOfInterest": "FeaturesOfInterest",
    }
    return singular.get(relation, relation)


def test_nested_expand_with_options(anonymous: Sta, filtering: FilterFixture) -> None:
    thing = filtering.things[0]
    body = anonymous.get(
        f"Things({thing})?$expand=Datastreams($select=id,name;$orderby=name desc;$top=1;"
        "$count=true;$expand=Observations($filter=result gt 1;$orderby=result;$count=true))"
    )
    streams = body["Datastreams"]
    assert body["Datastreams@iot.count"] == 2
    assert len(streams) == 1 and set(streams[0]) >= {"@iot.id", "name"}
    assert "description" not in streams[0]
    assert streams[0]["name"] == "datastream 2"
    assert "Datastreams@iot.nextLink" in body
    observations = streams[0]["Observations"]
    assert [o["result"] for o in observations] == [4, 5, 6]
    assert streams[0]["Observations@iot.count"] == 3
    link = body["Datastreams@iot.nextLink"]
    assert link.startswith(f"http://testserver/v1.1/Things({thing})/Datastreams?")
    following = anonymous.get(link)
    assert [d["name"] for d in following["value"]] == ["datastream 1"]
    assert "@iot.nextLink" not in following


def test_expand_is_one_query_per_level(anonymous: Sta, filtering: FilterFixture, app: Any) -> None:
    import threading

    from sqlalchemy import event

    engine = app.state.allmende.database.engine
    statements: list[str] = []

    def count(*args: Any) -> None:
        # The kernel's scheduled jobs share the engine; only the request's statements count.
        if not threading.current_thread().name.startswith(("job", "allmende-jobs")):
            statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        anonymous.get("Things?$expand=Datastreams($expand=Observations($top=2),Sensor),Locations")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # Things, Datastreams, Locations, Observations, Sensor (+ the caller's key lookup: none)
    assert len(selects) <= 5, selects


def _sorted_ok(values: list[Any], descending: bool, time: bool) -> None:
    present = [v for v in values if v is not None]
    if time:
        present = [datetime.fromisoformat(str(v).split("/")[0]) for v in present]
    assert present == sorted(present, reverse=descending), values


def test_order_by_every_sortable_property(anonymous: Sta, filtering: FilterFixture) -> None:
    for entity_set, props in SORTABLE.items():
        for prop in props:
            time = prop.lower().endswith("time")
            for direction in ("", " asc", " desc"):
                body = anonymous.get(f"{entity_set}?$orderby={prop}{direction}")
                _sorted_ok([e.get(prop) for e in body["value"]], direction == " desc", time)
        body = anonymous.get(f"{entity_set}?$orderby={','.join(props)}")
        assert len(body["value"]) == GLOBAL_COUNTS[entity_set]
        for relation in RELATIONS[entity_set]:
            target = _set_of(relation)
            if relation == target:
                entity_id = first_id(anonymous, entity_set)
                for prop in SORTABLE[target]:
                    body = anonymous.get(
                        f"{entity_set}({entity_id})/{relation}?$orderby={prop} desc"
                    )
                    _sorted_ok(
                        [e.get(prop) for e in body["value"]], True, prop.lower().endswith("time")
                    )


def test_options_apply_in_order(anonymous: Sta, filtering: FilterFixture) -> None:
    body = anonymous.get(
        "Observations?$count=true&$top=1&$skip=2&$orderby=phenomenonTime%20asc"
        "&$filter=result%20gt%20'3'"
    )
    assert body["@iot.count"] == 6
    assert len(body["value"]) == 1
    assert str(body["value"][0]["result"]) == "6"


def results(sta: Sta, condition: str) -> list[Any]:
    return sorted(o["result"] for o in sta.get(f"Observations?$filter={condition}")["value"])


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("result eq 2 and result eq 1 or result eq 1", [1]),
        ("(result eq 2 and result eq 1) or result eq 1", [1]),
        ("result eq 2 and (result eq 1 or result eq 1)", []),
        ("not result lt 1 and not result gt 1", [1]),
        ("1 add result mul 2 sub -1 eq 4", [1]),
        ("6 div 2 sub result eq 2", [1]),
        ("1 add 2.0 mod (result add 1) eq 1", [1]),
        ("14 div (result add 1) mod 3 mul 3 eq 3", [1]),
        ("result div 0 eq 1", []),
        ("result gt '3'", [4, 5, 6, 7, 8, 9]),
        ("result gt 3 and result le 5", [4, 5]),
        ("result in (1, 12, 40)", [1, 12]),
        ("round(result div 4) eq 1", [2, 3, 4, 5]),
        ("floor(result div 4) eq 1", [4, 5, 6, 7]),
        ("ceiling(result div 4) eq 1", [1, 2, 3, 4]),
        ("phenomenonTime lt 2015-03-03T00:00:00Z", [1, 2]),
        ("phenomenonTime%20lt%202015-03-03T00%3A00%3A00.000%2B01%3A00", [1, 2]),
        ("day(phenomenonTime) eq 12", [12]),
        (
            "year(phenomenonTime) eq 2015 and month(phenomenonTime) eq 3 and hour(phenomenonTime) eq 0",  # noqa: E501
            list(range(1, 13)),
        ),
        ("date(phenomenonTime) eq 2015-03-05", [5]),
        ("time(phenomenonTime) eq 00:00:00", list(range(1, 13))),
        ("phenomenonTime gt now()", []),
        ("phenomenonTime lt now() sub duration'P3650D'", list(range(1, 13))),
        ("Datastream/Thing/name eq 'thing 2'", [7, 8, 9, 10, 11, 12]),
        ("Datastream/Thing/properties/reference eq 'first'", [1, 2, 3, 4, 5, 6]),
        ("Datastream/ObservedProperty/name eq 'Tempretaure'", [4, 5, 6, 10, 11, 12]),
        ("FeatureOfInterest/name eq 'location 2'", [1, 2, 3, 4, 5, 6]),
        ("startswith(Datastream/name, 'datastream 3')", [7, 8, 9]),
        ("Datastream/Observations/any(o: o/result gt 11)", [10, 11, 12]),
        ("Datastream/Observations/all(o: o/result lt 4)", [1, 2, 3]),
        ("result add Datastream/id eq 0", []),
        ("resultTime eq null", list(range(1, 13))),
        ("resultTime ne null", []),
        ("parameters eq null", list(range(1, 13))),
    ],
)
def test_filter_expressions(
    anonymous: Sta, filtering: FilterFixture, condition: str, expected: list[Any]
) -> None:
    assert results(anonymous, condition) == expected


@pytest.mark.parametrize(
    ("entity_set", "condition", "expected"),
    [
        ("Things", "name eq 'thing 1'", ["thing 1"]),
        ("Things", "name eq 'thing+1'", ["thing 1"]),
        ("Things", "name ne 'thing 1'", ["thing 2"]),
        ("Things", "name lt 'thing 2'", ["thing 1"]),
        ("Things", "properties/reference eq 'second'", ["thing 2"]),
        ("Things", "Datastreams/name eq 'datastream 3'", ["thing 2"]),
        ("Things", "Datastreams/any(d: d/Observations/any(o: o/result eq 1))", ["thing 1"]),
        ("Things", "Locations/name eq 'location 1'", ["thing 2"]),
        ("Things", "substringof('ing 2', name)", ["thing 2"]),
        ("Things", "contains(name, 'ing 2')", ["thing 2"]),
        ("Things", "endswith(name, ' 1')", ["thing 1"]),
        ("Things", "length(name) eq 7 and indexof(name, 'ing') eq 2", ["thing 1", "thing 2"]),
        ("Things", "substring(name, 6) eq '2'", ["thing 2"]),
        ("Things", "substring(name, 0, 2) eq 'th'", ["thing 1", "thing 2"]),
        ("Things", "tolower(toupper(name)) eq 'thing 1'", ["thing 1"]),
        ("Things", "trim(concat(' ', name)) eq 'thing 2'", ["thing 2"]),
        ("Things", "startswith(name, 'THING')", []),
        ("Locations", "geo.distance(location, geography'POINT(-100 50)') lt 1", ["location 2"]),
        (
            "Locations",
            "st_within(location, geography'POLYGON((-120 50, -110 50, -110 52, -120 52, -120 50))')",  # noqa: E501
            ["location 1"],
        ),
        ("Datastreams", "unitOfMeasurement/symbol eq 'C'", ["datastream 2", "datastream 2"]),
        ("Datastreams", "phenomenonTime ge 2015-03-07T00:00:00Z", ["datastream 2", "datastream 3"]),
        ("Sensors", "Datastreams/Thing/name eq 'thing 1'", ["sensor 1", "sensor 2"]),
        ("HistoricalLocations", "Thing/name eq 'thing 2'", [None, None]),
    ],
)
def test_filter_on_other_entity_sets(
    anonymous: Sta, filtering: FilterFixture, entity_set: str, condition: str, expected: list[Any]
) -> None:
    body = anonymous.get(f"{entity_set}?$filter={condition}&$orderby=id")
    assert sorted(str(e.get("name")) for e in body["value"]) == sorted(str(n) for n in expected)


def test_filter_through_a_path(anonymous: Sta, filtering: FilterFixture) -> None:
    stream = filtering.datastreams[1]
    body = anonymous.get(f"Datastreams({stream})/Observations?$filter=result ge 5")
    assert sorted(o["result"] for o in body["value"]) == [5, 6]
    thing = filtering.things[1]
    body = anonymous.get(f"Things({thing})/Datastreams?$filter=Observations/any(o: o/result eq 7)")
    assert [d["name"] for d in body["value"]] == ["datastream 3"]


@pytest.mark.parametrize(
    ("condition", "fragment"),
    [
        ("result eq", "$filter"),
        ("nonsense eq 1", "nonsense"),
        ("result eq 'x", "position"),
        ("result eq 1 and", "$filter"),
        ("Datastream eq 1", "Datastream"),
        ("unknown(result)", "unknown function"),
        ("year(result, 1) eq 2", "takes 1"),
        ("during(resultTime, 2016-01-01T07:00:00Z)", "interval"),
        ("name eq 1", "property"),
        ("(result eq 1) gt true", "eq or ne"),
        ("result eq 2015-13-01T00:00:00Z", "position"),
        ("geo.distance(location, geography'POINT(1 2)') lt 1", "property"),
        ("st_relate(FeatureOfInterest/feature, geography'POINT(1 2)', 'XX')", "DE-9IM"),
        (
            "Datastream/Observations/result eq 1 and result eq Datastream/Thing/Datastreams/id",
            "crosses",
        ),
        (
            "(" * 70 + "result eq 1" + ")" * 70,
            "deeper",
        ),
    ],
)
def test_malformed_filters_say_what_is_wrong(
    anonymous: Sta, filtering: FilterFixture, condition: str, fragment: str
) -> None:
    response = anonymous.client.get("/v1.1/Observations", params={"$filter": condition})
    assert response.status_code == 400, response.text
    assert fragment in response.json()["detail"]


@pytest.mark.parametrize(
    "query",
    [
        "$top=-1",
        "$top=abc",
        "$skip=x",
        "$count=maybe",
        "$orderby=nothing",
        "$orderby=result sideways",
        "$select=nothing",
        "$expand=Nothing",
        "$expand=Datastreams($top=x)",
        "$expand=Datastreams($filter=nothing eq 1)",
        "$resultFormat=xml",
        "$unknown=1",
        "$filter=a&$filter=b",
        "$top=99999999999999999999999",
    ],
)
def test_malformed_options_are_400(anonymous: Sta, filtering: FilterFixture, query: str) -> None:
    response = anonymous.client.get(f"/v1.1/Things?{query}")
    assert response.status_code == 400, (query, response.text)
    assert response.json()["message"]


def test_a_large_top_is_capped_not_refused(anonymous: Sta, filtering: FilterFixture) -> None:
    body = anonymous.get("Observations?$top=1000000")
    assert len(body["value"]) == 12
