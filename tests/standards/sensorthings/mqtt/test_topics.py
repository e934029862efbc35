"""Topics: which create Observations, which may be watched."""

from __future__ import annotations

import pytest

from allmende.standards.sensorthings.mqtt.topics import (
    CreateTarget,
    TopicError,
    create_target,
    parse_watch,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("topic", "target"),
    [
        ("v1.1/Observations", CreateTarget(None, None)),
        ("v1.1/Datastreams(3)/Observations", CreateTarget("Datastream", 3)),
        ("v1.1/MultiDatastreams(4)/Observations", CreateTarget("MultiDatastream", 4)),
        ("v1.1/FeaturesOfInterest(5)/Observations", CreateTarget("FeatureOfInterest", 5)),
        ("v1.1/Datastreams(0)/Observations", None),
        ("v1.1/Datastreams(99999999999999999999)/Observations", None),
        ("v1.1/Datastreams('a')/Observations", None),
        ("v1.1/Things(1)/Observations", None),
        ("v1.1/Observations?$select=result", None),
        ("v1.1/Datastreams(1)/Observations(2)", None),
        ("v1.0/Observations", None),
        ("Observations", None),
    ],
)
def test_create_targets(topic: str, target: CreateTarget | None) -> None:
    assert create_target(topic) == target


@pytest.mark.parametrize(
    "topic",
    [
        "v1.1/Things",
        "v1.1/Things(1)",
        "v1.1/Things(1)/Datastreams",
        "v1.1/Datastreams(1)/Thing",
        "v1.1/Things(1)/name",
        "v1.1/Things(1)/properties",
        "v1.1/Observations?$select=result,phenomenonTime",
        "v1.1/Things?$expand=Locations",
    ],
)
def test_watchable_topics(topic: str) -> None:
    assert parse_watch(topic).topic == topic


@pytest.mark.parametrize(
    "topic",
    [
        "v1.1/Gadgets",
        "v1.1/#",
        "v1.1/+/Observations",
        "v1.1/Things?$top=1",
        "v1.1/Things?$filter=name eq 'x'",
        "v1.1/Things?$select=nonsense(",
        "v1.1/Things(1)/$ref",
        "v1.1/Things(1)/name/$value",
        "sensors/1",
    ],
)
def test_topics_that_cannot_be_watched(topic: str) -> None:
    with pytest.raises(TopicError):
        parse_watch(topic)
