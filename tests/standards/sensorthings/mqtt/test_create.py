"""Published messages to Observations: what is accepted and what is refused, and why."""

from __future__ import annotations

import pytest

from allmende.standards.sensorthings.mqtt.create import MessageError, parse_observation
from allmende.standards.sensorthings.mqtt.topics import CreateTarget

pytestmark = pytest.mark.unit

ON_STREAM = CreateTarget("Datastream", 7)


def test_a_full_observation() -> None:
    row = parse_observation(
        ON_STREAM,
        b'{"phenomenonTime": "2026-05-01T10:00:00Z/2026-05-01T11:00:00Z", "result": 3,'
        b' "resultTime": "2026-05-01T11:00:00Z", "validTime":'
        b' "2026-05-01T10:00:00Z/2026-05-02T10:00:00Z", "resultQuality": {"ok": true},'
        b' "parameters": {"n": 1}, "FeatureOfInterest": {"@iot.id": 4}}',
    )
    assert row.datastream_id == 7
    assert row.feature_id == 4
    assert row.phenomenon_time is not None
    assert row.phenomenon_time_end is not None
    assert row.phenomenon_time_end > row.phenomenon_time
    assert row.result == 3
    assert row.parameters == {"n": 1}


def test_the_stream_comes_from_the_body_on_the_plain_topics() -> None:
    row = parse_observation(
        CreateTarget("FeatureOfInterest", 2), b'{"result": 1, "Datastream": {"@iot.id": 5}}'
    )
    assert (row.datastream_id, row.feature_id, row.phenomenon_time) == (5, 2, None)
    row = parse_observation(
        CreateTarget(None, None), b'{"result": [1, 2], "MultiDatastream": {"@iot.id": 6}}'
    )
    assert (row.datastream_id, row.multi_datastream_id) == (None, 6)


@pytest.mark.parametrize(
    ("target", "payload", "reason"),
    [
        (ON_STREAM, b"{", "not JSON"),
        (ON_STREAM, b"[]", "an Observation object"),
        (ON_STREAM, b'{"phenomenonTime": "2026-05-01T10:00:00Z"}', "result is required"),
        (ON_STREAM, b'{"result": 1, "@iot.id": 3}', "@iot.id"),
        (ON_STREAM, b'{"result": 1, "phenomenonTime": "2026-05-01T10:00:00"}', "phenomenonTime"),
        (ON_STREAM, b'{"result": 1, "resultTime": 5}', "resultTime"),
        (ON_STREAM, b'{"result": 1, "parameters": [1]}', "parameters"),
        (ON_STREAM, b'{"result": 1, "Datastream": {"@iot.id": 7}}', "by the topic"),
        (ON_STREAM, b'{"result": 1, "FeatureOfInterest": {"@iot.id": "x"}}', "FeatureOfInterest"),
        (CreateTarget(None, None), b'{"result": 1}', "name the Datastream"),
        (
            CreateTarget(None, None),
            b'{"result": 1, "Datastream": {"@iot.id": 1}, "MultiDatastream": {"@iot.id": 1}}',
            "name the Datastream",
        ),
        (CreateTarget("FeatureOfInterest", 1), b'{"result": 1, "FeatureOfInterest": 2}', "topic"),
    ],
)
def test_refusals_name_the_field(target: CreateTarget, payload: bytes, reason: str) -> None:
    with pytest.raises(MessageError, match=reason):
        parse_observation(target, payload)
