"""OGC conformance level 2 (create, update, delete), as the OGC test suite and FROST's tests
check it: invalid deep inserts leave nothing behind, links, automatic FeaturesOfInterest and
HistoricalLocations, PATCH/PUT/JSON-Patch, and the delete cascades."""

from __future__ import annotations

from typing import Any

import pytest

from tests.standards.sensorthings.conftest import MEASUREMENT, Sta

pytestmark = pytest.mark.integration

ALL_SETS = (
    "Things",
    "Locations",
    "HistoricalLocations",
    "Datastreams",
    "Sensors",
    "ObservedProperties",
    "Observations",
    "FeaturesOfInterest",
)
POINT = {"type": "Point", "coordinates": [-117.123, 54.123]}


def thing(**extra: Any) -> dict[str, Any]:
    return {"name": "Test Thing", "description": "This is a test thing.", **extra}


def location(**extra: Any) -> dict[str, Any]:
    return {
        "name": "bow river",
        "description": "bow river",
        "encodingType": "application/vnd.geo+json",
        "location": POINT,
        **extra,
    }


def sensor(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Fuguro Barometer",
        "description": "Fuguro Barometer",
        "encodingType": "application/pdf",
        "metadata": "Barometer",
        **extra,
    }


def observed_property(**extra: Any) -> dict[str, Any]:
    return {
        "name": "DewPoint Temperature",
        "definition": "http://dbpedia.org/page/Dew_point",
        "description": "The dewpoint temperature is the temperature to which the air must be "
        "cooled, at constant pressure, for dew to form.",
        **extra,
    }


def datastream(**extra: Any) -> dict[str, Any]:
    return {
        "unitOfMeasurement": {
            "name": "Celsius",
            "symbol": "degC",
            "definition": "http://qudt.org/vocab/unit#DegreeCelsius",
        },
        "name": "test datastream.",
        "description": "test datastream.",
        "observationType": MEASUREMENT,
        **extra,
    }


def feature(**extra: Any) -> dict[str, Any]:
    return {
        "name": "A weather station.",
        "description": "A weather station.",
        "encodingType": "application/vnd.geo+json",
        "feature": {"type": "Point", "coordinates": [-114.05, 51.05]},
        **extra,
    }


def _empty(sta: Sta) -> None:
    for entity_set in ALL_SETS:
        assert sta.get(entity_set)["value"] == [], f"{entity_set} is not empty"


def _base(sta: Sta) -> dict[str, int]:
    """One of each: a Thing with a Location, a Sensor, an ObservedProperty, a Datastream."""
    location_id = sta.post("Locations", location())
    thing_id = sta.post("Things", thing(Locations=[{"@iot.id": location_id}]))
    sensor_id = sta.post("Sensors", sensor())
    property_id = sta.post("ObservedProperties", observed_property())
    datastream_id = sta.post(
        "Datastreams",
        datastream(
            Thing={"@iot.id": thing_id},
            Sensor={"@iot.id": sensor_id},
            ObservedProperty={"@iot.id": property_id},
        ),
    )
    return {
        "thing": thing_id,
        "location": location_id,
        "sensor": sensor_id,
        "property": property_id,
        "datastream": datastream_id,
    }


def test_the_largest_numbers_are_stored_and_read_back(sta: Sta) -> None:
    """PostgreSQL keeps 1e308 in a JSON column as a number of 309 digits: it is read back as
    the float it was, not as an integer that no answer could be written with (once a 500)."""
    huge = {"largest": 1.7976931348623157e308, "small": 5e-324, "negative": -1e300}
    created = sta.post("Things", thing(properties=huge))
    assert sta.get(f"Things({created})")["properties"] == huge
    sta.patch(f"Things({created})", {"properties": {**huge, "more": 1e200}})
    assert sta.get(f"Things({created})")["properties"]["more"] == 1e200


def test_invalid_deep_inserts_leave_nothing_behind(sta: Sta) -> None:
    sta.post(
        "Things",
        thing(
            Locations=[location()],
            Datastreams=[datastream(ObservedProperty=observed_property())],
        ),
        status=400,
    )
    _empty(sta)
    thing_id = sta.post("Things", thing())
    sensor_id = sta.post("Sensors", sensor())
    property_id = sta.post("ObservedProperties", observed_property())
    for missing in ("Thing", "Sensor", "ObservedProperty"):
        links = {
            "Thing": {"@iot.id": thing_id},
            "Sensor": {"@iot.id": sensor_id},
            "ObservedProperty": {"@iot.id": property_id},
        }
        del links[missing]
        sta.post("Datastreams", datastream(**links), status=400)
    # Ids that are not whole numbers, including digit signs that int() refuses ("²").
    for odd in ("²", "①", "٣", "-1", "1.5", ""):
        links = {
            "Thing": {"@iot.id": odd},
            "Sensor": {"@iot.id": sensor_id},
            "ObservedProperty": {"@iot.id": property_id},
        }
        sta.post("Datastreams", datastream(**links), status=400)
    assert sta.get("Datastreams")["value"] == []
    # A Datastream whose Thing has no Location: an Observation without a FoI is refused.
    datastream_id = sta.post(
        "Datastreams",
        datastream(
            Thing={"@iot.id": thing_id},
            Sensor={"@iot.id": sensor_id},
            ObservedProperty={"@iot.id": property_id},
        ),
    )
    sta.post(
        "Observations",
        {
            "phenomenonTime": "2015-03-01T00:00:00Z",
            "result": 1,
            "Datastream": {"@iot.id": datastream_id},
        },
        status=400,
    )
    bad_feature = feature()
    del bad_feature["encodingType"]
    sta.post(
        "Observations",
        {"result": 1, "Datastream": {"@iot.id": datastream_id}, "FeatureOfInterest": bad_feature},
        status=400,
    )
    assert sta.get("Observations")["value"] == []
    assert sta.get("FeaturesOfInterest")["value"] == []


def test_create_each_type_and_the_automatic_feature_is_reused(sta: Sta) -> None:
    ids = _base(sta)
    first = sta.post(
        "Observations",
        {
            "phenomenonTime": "2015-03-01T00:40:00.000Z",
            "result": 8,
            "Datastream": {"@iot.id": ids["datastream"]},
        },
    )
    created = sta.get(f"Observations({first})")
    assert created["resultTime"] is None and created["result"] == 8
    foi = sta.get(f"Observations({first})/FeatureOfInterest")
    assert foi["feature"] == POINT
    second = sta.post(
        "Observations",
        {
            "phenomenonTime": "2015-03-01T01:40:00.000Z",
            "resultTime": "2015-03-01T01:41:00Z",
            "result": 9,
            "Datastream": {"@iot.id": ids["datastream"]},
        },
    )
    assert sta.get(f"Observations({second})/FeatureOfInterest")["@iot.id"] == foi["@iot.id"]
    assert sta.get(f"Observations({second})")["resultTime"] == "2015-03-01T01:41:00Z"
    feature_id = sta.post("FeaturesOfInterest", feature())
    third = sta.post(
        "Observations",
        {
            "result": 10,
            "Datastream": {"@iot.id": ids["datastream"]},
            "FeatureOfInterest": {"@iot.id": feature_id},
        },
    )
    assert sta.get(f"Observations({third})/FeatureOfInterest")["@iot.id"] == feature_id
    assert sta.get(f"Observations({third})")["phenomenonTime"]  # now, when not given
    history = sta.post(
        "HistoricalLocations",
        {
            "time": "2015-03-01T00:00:00Z",
            "Thing": {"@iot.id": ids["thing"]},
            "Locations": [{"@iot.id": ids["location"]}],
        },
    )
    assert sta.get(f"HistoricalLocations({history})")["time"] == "2015-03-01T00:00:00Z"


def test_a_thing_moving_records_its_history(sta: Sta) -> None:
    ids = _base(sta)
    assert len(sta.ids(f"Things({ids['thing']})/HistoricalLocations")) == 1
    other = sta.post("Locations", location(name="elsewhere"))
    sta.patch(f"Things({ids['thing']})", {"Locations": [{"@iot.id": other}]})
    assert sta.ids(f"Things({ids['thing']})/Locations") == [other]
    histories = sta.ids(f"Things({ids['thing']})/HistoricalLocations")
    assert len(histories) == 2
    newest = sta.get(f"Things({ids['thing']})/HistoricalLocations?$orderby=time desc&$top=1")
    assert sta.ids(f"HistoricalLocations({newest['value'][0]['@iot.id']})/Locations") == [other]
    # Observations after the move get a feature made from the new Location.
    observation = sta.post(f"Datastreams({ids['datastream']})/Observations", {"result": 1})
    assert sta.get(f"Observations({observation})/FeatureOfInterest/feature") == {"feature": POINT}


def test_deep_inserts(sta: Sta) -> None:
    thing_id = sta.post(
        "Things",
        thing(
            Locations=[location()],
            Datastreams=[
                datastream(
                    ObservedProperty=observed_property(),
                    Sensor=sensor(),
                    Observations=[
                        {"phenomenonTime": "2015-03-01T00:10:00Z", "result": 10},
                        {"phenomenonTime": "2015-03-01T00:20:00Z", "result": 20},
                    ],
                )
            ],
        ),
    )
    [datastream_id] = sta.ids(f"Things({thing_id})/Datastreams")
    assert sta.get(f"Datastreams({datastream_id})/Sensor")["name"] == "Fuguro Barometer"
    assert sta.get(f"Datastreams({datastream_id})/ObservedProperty")["name"].startswith("Dew")
    results = [o["result"] for o in sta.get(f"Datastreams({datastream_id})/Observations")["value"]]
    assert sorted(results) == [10, 20]
    assert len(sta.ids(f"Things({thing_id})/HistoricalLocations")) == 1
    observation = sta.post(
        "Observations",
        {
            "phenomenonTime": "2015-03-01T00:00:00Z",
            "result": 100,
            "Datastream": {"@iot.id": datastream_id},
            "FeatureOfInterest": feature(),
        },
    )
    assert sta.get(f"Observations({observation})/FeatureOfInterest")["name"] == "A weather station."
    second = sta.post(
        "Datastreams",
        datastream(
            Thing={"@iot.id": thing_id},
            ObservedProperty=observed_property(name="Another"),
            Sensor=sensor(name="Another"),
            Observations=[{"phenomenonTime": "2015-03-01T00:00:00Z", "result": 1}],
        ),
    )
    assert sta.count(f"Datastreams({second})/Observations") == 1
    # A Location created in a Thing's Locations set links to it.
    new_location = sta.post(f"Things({thing_id})/Locations", location(name="added"))
    assert new_location in sta.ids(f"Things({thing_id})/Locations")


def test_invalid_updates_are_refused(sta: Sta) -> None:
    ids = _base(sta)
    sta.patch(f"Things({ids['thing']})", {"Locations": [location()]}, status=400)
    sta.patch(f"Things({ids['thing']})", {"Datastreams": [datastream()]}, status=400)
    sta.patch(f"Sensors({ids['sensor']})", {"Datastreams": [datastream()]}, status=400)
    sta.patch(f"ObservedProperties({ids['property']})", {"Datastreams": [datastream()]}, status=400)
    for nav, body in (
        ("ObservedProperty", observed_property()),
        ("Sensor", sensor()),
        ("Thing", thing()),
    ):
        sta.patch(f"Datastreams({ids['datastream']})", {nav: body}, status=400)
    sta.patch(
        f"Datastreams({ids['datastream']})",
        {"Observations": [{"result": 1, "phenomenonTime": "2015-03-01T00:00:00Z"}]},
        status=400,
    )
    sta.patch(f"Things({ids['thing']})", {"name": 5}, status=400)
    sta.patch(f"Things({ids['thing']})", {"nonsense": 5}, status=400)
    assert sta.get(f"Things({ids['thing']})")["name"] == "Test Thing"


def test_patch_changes_one_property_and_keeps_the_rest(sta: Sta) -> None:
    ids = _base(sta)
    observation = sta.post(
        f"Datastreams({ids['datastream']})/Observations",
        {"phenomenonTime": "2015-03-01T00:00:00Z", "result": 1},
    )
    feature_id = sta.get(f"Observations({observation})/FeatureOfInterest")["@iot.id"]
    history = sta.ids(f"Things({ids['thing']})/HistoricalLocations")[0]
    changes = {
        f"Things({ids['thing']})": {"description": "changed"},
        f"Locations({ids['location']})": {"location": {"type": "Point", "coordinates": [1, 2]}},
        f"HistoricalLocations({history})": {"time": "2015-07-01T00:00:00Z"},
        f"Sensors({ids['sensor']})": {"metadata": "changed"},
        f"ObservedProperties({ids['property']})": {"name": "changed"},
        f"Datastreams({ids['datastream']})": {
            "unitOfMeasurement": {"name": "Kelvin", "symbol": "K", "definition": "k"}
        },
        f"Observations({observation})": {"phenomenonTime": "2015-07-01T00:40:00Z"},
        f"FeaturesOfInterest({feature_id})": {"feature": {"type": "Point", "coordinates": [3, 4]}},
    }
    for path, change in changes.items():
        before = sta.get(path)
        response = sta.patch(path, change)
        assert response.headers["content-type"].startswith("application/json")
        after = sta.get(path)
        for key, value in before.items():
            if key in change:
                assert after[key] == change[key], (path, key)
            else:
                assert after[key] == value, (path, key)


def test_put_replaces_and_json_patch_edits(sta: Sta) -> None:
    ids = _base(sta)
    sta.put(
        f"Things({ids['thing']})",
        {"name": "replaced", "description": "whole", "properties": {"a": 1}},
    )
    replaced = sta.get(f"Things({ids['thing']})")
    assert (replaced["name"], replaced["properties"]) == ("replaced", {"a": 1})
    sta.put(f"Things({ids['thing']})", {"name": "again"})
    again = sta.get(f"Things({ids['thing']})")
    assert again["description"] == "" and "properties" not in again
    sta.put(f"Things({ids['thing']})", {"description": "no name"}, status=400)
    sta.patch(
        f"Things({ids['thing']})",
        [
            {"op": "add", "path": "/properties", "value": {"key": "value"}},
            {"op": "replace", "path": "/name", "value": "patched"},
        ],
        **{"Content-Type": "application/json-patch+json"},
    )
    patched = sta.get(f"Things({ids['thing']})")
    assert patched["name"] == "patched" and patched["properties"] == {"key": "value"}
    sta.patch(
        f"Things({ids['thing']})",
        [{"op": "test", "path": "/name", "value": "wrong"}],
        status=400,
        **{"Content-Type": "application/json-patch+json"},
    )


def test_a_historical_location_with_the_latest_time_moves_the_thing(sta: Sta) -> None:
    thing_id = sta.post("Things", thing())
    places = [sta.post("Locations", location(name=f"place {i}")) for i in range(3)]
    sta.put(f"Things({thing_id})", {**thing(), "Locations": [{"@iot.id": places[0]}]})
    [first] = sta.ids(f"Things({thing_id})/HistoricalLocations")
    sta.patch(f"HistoricalLocations({first})", {"time": "2016-01-01T06:00:00Z"})
    sta.post(
        "HistoricalLocations",
        {
            "time": "2016-01-01T07:00:00Z",
            "Thing": {"@iot.id": thing_id},
            "Locations": [{"@iot.id": places[1]}],
        },
    )
    assert sta.ids(f"Things({thing_id})/Locations") == [places[1]]
    sta.post(
        "HistoricalLocations",
        {
            "time": "2016-01-01T05:00:00Z",
            "Thing": {"@iot.id": thing_id},
            "Locations": [{"@iot.id": places[2]}],
        },
    )
    assert sta.ids(f"Things({thing_id})/Locations") == [places[1]]


def test_writes_through_nested_paths(sta: Sta) -> None:
    ids = _base(sta)
    other = sta.post("Things", thing(name="other"))
    good = f"Things({ids['thing']})/Datastreams({ids['datastream']})/Observations"
    bad = f"Things({other})/Datastreams({ids['datastream']})/Observations"
    sta.get(bad, status=404)
    observation = sta.post(good, {"phenomenonTime": "2015-03-01T03:00:00Z", "result": 300})
    sta.post(bad, {"phenomenonTime": "2015-03-01T04:00:00Z", "result": 300}, status=404)
    sta.put(f"{good}({observation})", {"phenomenonTime": "2015-03-01T03:00:00Z", "result": 301})
    sta.put(
        f"{bad}({observation})",
        {"phenomenonTime": "2015-03-01T03:00:00Z", "result": 302},
        status=404,
    )
    sta.patch(f"{good}({observation})", {"result": 303})
    sta.patch(f"{bad}({observation})", {"result": 304}, status=404)
    sta.delete(f"{bad}({observation})", status=404)
    assert sta.get(f"{good}({observation})")["result"] == 303
    sta.delete(f"{good}({observation})")
    sta.get(f"{good}({observation})", status=404)


def _populated(sta: Sta) -> dict[str, int]:
    ids = _base(sta)
    ids["observation"] = sta.post(
        f"Datastreams({ids['datastream']})/Observations",
        {"phenomenonTime": "2015-03-01T00:00:00Z", "result": 1},
    )
    ids["feature"] = sta.get(f"Observations({ids['observation']})/FeatureOfInterest")["@iot.id"]
    ids["history"] = sta.ids(f"Things({ids['thing']})/HistoricalLocations")[0]
    return ids


def _counts(sta: Sta) -> dict[str, int]:
    return {s: len(sta.get(s)["value"]) for s in ALL_SETS}


@pytest.mark.parametrize(
    ("victim", "gone"),
    [
        ("Things(thing)", {"Things", "Datastreams", "HistoricalLocations", "Observations"}),
        ("Datastreams(datastream)", {"Datastreams", "Observations"}),
        ("Locations(location)", {"Locations", "HistoricalLocations"}),
        ("Sensors(sensor)", {"Sensors", "Datastreams", "Observations"}),
        ("ObservedProperties(property)", {"ObservedProperties", "Datastreams", "Observations"}),
        ("FeaturesOfInterest(feature)", {"FeaturesOfInterest", "Observations"}),
        ("HistoricalLocations(history)", {"HistoricalLocations"}),
        ("Observations(observation)", {"Observations"}),
    ],
)
def test_delete_cascades(sta: Sta, victim: str, gone: set[str]) -> None:
    ids = _populated(sta)
    assert all(n == 1 for n in _counts(sta).values())
    entity_set, key = victim.rstrip(")").split("(")
    sta.delete(f"{entity_set}({ids[key]})")
    sta.get(f"{entity_set}({ids[key]})", status=404)
    sta.delete(f"{entity_set}({ids[key]})", status=404)
    counts = _counts(sta)
    assert {s for s, n in counts.items() if n == 0} == gone


def test_a_datastream_keeps_its_statistics(sta: Sta) -> None:
    ids = _base(sta)
    path = f"Datastreams({ids['datastream']})"
    for day in (3, 1, 2):
        sta.post(
            f"{path}/Observations",
            {
                "phenomenonTime": f"2015-03-0{day}T00:00:00Z",
                "resultTime": f"2015-03-0{day}T01:00:00Z",
                "result": day,
            },
        )
    stream = sta.get(path)
    assert stream["phenomenonTime"] == "2015-03-01T00:00:00Z/2015-03-03T00:00:00Z"
    assert stream["resultTime"] == "2015-03-01T01:00:00Z/2015-03-03T01:00:00Z"
    assert stream["observedArea"] == POINT
    assert sta.get(f"{path}/LatestObservation")["result"] == 3
    assert sta.count(f"{path}/Observations") == 3
    latest = sta.get(f"{path}/LatestObservation")["@iot.id"]
    sta.delete(f"Observations({latest})")
    assert sta.get(f"{path}/LatestObservation")["result"] == 2
    sta.delete(f"{path}/Observations")
    stream = sta.get(path)
    assert "phenomenonTime" not in stream and sta.count(f"{path}/Observations") == 0
    sta.get(f"{path}/LatestObservation", status=404)


def test_bodies_that_are_not_json_objects(sta: Sta) -> None:
    client = sta.client
    for body, content_type, status in (
        (b"not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b"{}", "text/plain", 415),
        (b"", "application/json", 400),
        (b'{"name": "x", "description": "y"}', "", 201),
    ):
        headers = {**sta.headers}
        if content_type:
            headers["Content-Type"] = content_type
        response = client.post("/v1.1/Things", content=body, headers=headers)
        assert response.status_code == status, (body, response.text)
    # POST creates in an entity set; an entity's path takes GET, PATCH, PUT and DELETE.
    response = client.post("/v1.1/Things(1)", json=thing(), headers=sta.headers)
    assert response.status_code == 405, response.text
