"""The work one request may cause is bounded: how deep and how wide ``$expand`` goes (refused
before anything runs), how many entities and bytes the answer holds, and how long it may take;
and bad input that used to reach an overflow or a recursion limit is a 400 naming the cause."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from allmende.core.settings import Settings
from tests.standards.sensorthings.conftest import Sta

pytestmark = pytest.mark.integration

#: Small enough for a small fixture to reach them.
LIMITS = {
    "sensorthings_max_expand_depth": 5,
    "sensorthings_max_expands": 6,
    "sensorthings_max_entities": 40,
    "sensorthings_max_response_bytes": 20_000,
}


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    overrides = getattr(request, "param", LIMITS)
    return settings.model_copy(update=overrides)


def _stream(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": name,
        "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
        "unitOfMeasurement": {"name": "degree Celsius", "symbol": "Cel", "definition": "ucum:Cel"},
        "ObservedProperty": {"name": "T", "definition": "urn:t", "description": "t"},
        "Sensor": {"name": "S", "description": "s", "encodingType": "text/plain", "metadata": "m"},
        "Observations": [
            {"phenomenonTime": f"2025-01-0{day}T00:00:00Z", "result": day} for day in (1, 2)
        ],
    }


@pytest.fixture
def thing(sta: Sta) -> int:
    """One Thing at one Location with three Datastreams of two Observations each."""
    return sta.post(
        "Things",
        {
            "name": "station",
            "description": "three streams",
            "Locations": [
                {
                    "name": "here",
                    "description": "here",
                    "encodingType": "application/geo+json",
                    "location": {"type": "Point", "coordinates": [8.6, 49.4]},
                }
            ],
            "Datastreams": [_stream(f"stream {n}") for n in range(3)],
        },
    )


def _chain(depth: int, top: str = "") -> str:
    """Datastreams($expand=Thing($expand=Datastreams(…))) with ``depth`` navigations."""
    names = ["Datastreams", "Thing"]
    text = names[(depth - 1) % 2] + (f"({top})" if top and (depth - 1) % 2 == 0 else "")
    for level in range(depth - 2, -1, -1):
        name = names[level % 2]
        options = f"{top};" if top and level % 2 == 0 else ""
        text = f"{name}({options}$expand={text})"
    return text


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    body: dict[str, Any] = response.json()
    return body


# --- item 1: bounded work per request ---------------------------------------------------------


def test_expand_deeper_than_the_limit_is_refused_before_it_runs(anonymous: Sta, thing: int) -> None:
    assert "Datastreams" in anonymous.get(f"Things?$expand={_chain(4)}")["value"][0]
    body = _problem(anonymous.client.get(f"/v1.1/Things?$expand={_chain(6)}"), 400)
    assert "$expand" in body["message"] and "5 levels" in body["message"]


@pytest.mark.parametrize("settings", [{}], indirect=True)
def test_the_reported_url_is_refused_with_the_default_limits(anonymous: Sta, thing: int) -> None:
    url = f"/v1.1/Things?$expand={_chain(14, '$top=1')}"
    assert len(url) < 600
    body = _problem(anonymous.client.get(url), 400)
    assert "$expand" in body["message"]


def test_too_many_expanded_navigations_are_refused_before_they_run(
    anonymous: Sta, thing: int
) -> None:
    wide = (
        "Locations,Datastreams($expand=Sensor,ObservedProperty,Observations,Thing),"
        "HistoricalLocations"
    )
    body = _problem(anonymous.client.get(f"/v1.1/Things?$expand={wide}"), 400)
    assert "$expand" in body["message"] and "6" in body["message"]


def test_an_entity_counts_each_time_the_answer_holds_it(anonymous: Sta, thing: int) -> None:
    # 1 Thing, 3 Datastreams, each with its Thing (3), each with 3 Datastreams (9): 16.
    fits = anonymous.get(f"Things?$expand={_chain(3)}")
    assert len(fits["value"][0]["Datastreams"][0]["Thing"]["Datastreams"]) == 3
    # One level more holds the same Thing nine times more: 1 + 3 + 3 + 9 + 9 + 27 = 52 > 40.
    body = _problem(anonymous.client.get(f"/v1.1/Things?$expand={_chain(5)}"), 400)
    assert body["code"] == 400 and "40 entities" in body["message"]


def test_the_answer_may_not_exceed_its_byte_limit(sta: Sta, anonymous: Sta, thing: int) -> None:
    assert anonymous.get("Observations?$top=2")["value"]
    sta.patch(f"Things({thing})", {"properties": {"notes": "x" * 12_000}})
    anonymous.get(f"Things({thing})")
    body = _problem(
        anonymous.client.get(f"/v1.1/Datastreams?$expand=Thing&$filter=Thing/id eq {thing}"), 400
    )
    assert "20000 bytes" in body["message"]


@pytest.mark.parametrize("settings", [{"sensorthings_timeout_seconds": 1e-9}], indirect=True)
def test_a_request_past_its_time_is_503_with_retry_after(anonymous: Sta, thing: int) -> None:
    response = anonymous.client.get("/v1.1/Things?$expand=Datastreams")
    body = _problem(response, 503)
    assert int(response.headers["Retry-After"]) > 0
    assert "ran out of time" in body["message"]


# --- item 7: bad input that overflowed or recursed ---------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("$filter=now() sub duration'P99999999999D' gt now()", id="huge-duration"),
        pytest.param(
            "$filter=phenomenonTime sub duration'P999999999D' gt now()", id="timedelta-max"
        ),
        pytest.param(
            "$filter=now() add " + " add ".join(["duration'P500000D'"] * 300) + " gt now()",
            id="chained-adds",
        ),
        pytest.param(
            "$filter=phenomenonTime sub (now() sub "
            + " sub ".join(["duration'P500000D'"] * 120)
            + ") gt duration'P1D'",
            id="time-minus-far-time",
        ),
    ],
)
def test_time_arithmetic_that_would_overflow_is_400(anonymous: Sta, thing: int, query: str) -> None:
    body = _problem(anonymous.client.get(f"/v1.1/Observations?{query}"), 400)
    assert "$filter" in body["message"]


@pytest.mark.parametrize("width", ["P99999999999W", "PT99999999999999999999S", "P1000000D"])
def test_an_aggregate_interval_beyond_the_time_range_is_400(
    anonymous: Sta, thing: int, width: str
) -> None:
    body = _problem(anonymous.client.get(f"/v1.1/Observations?$aggregate={width}"), 400)
    assert "$aggregate" in body["message"]


@pytest.mark.parametrize("settings", [{}], indirect=True)
def test_counts_at_the_edge_of_64_bits_inside_expand(anonymous: Sta, thing: int) -> None:
    most = 2**63 - 1
    body = anonymous.get(f"Things?$expand=Datastreams($skip={most})")
    assert body["value"][0]["Datastreams"] == []
    body = anonymous.get(f"Things?$expand=Datastreams($skip={most - 1};$top={most})")
    assert body["value"][0]["Datastreams"] == []
    for option in ("$skip", "$top"):
        refused = _problem(
            anonymous.client.get(f"/v1.1/Things?$expand=Datastreams({option}={most + 1})"), 400
        )
        assert f"{option} must be at most {most}" in refused["message"]


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def _post_raw(sta: Sta, path: str, text: str) -> Any:
    return sta.client.post(
        f"/v1.1/{path}", content=text, headers={**sta.headers, "Content-Type": "application/json"}
    )


@pytest.mark.parametrize("depth", [100, 300, 1100])
def test_json_nested_too_deeply_is_refused_on_every_door(sta: Sta, thing: int, depth: int) -> None:
    thing_body = '{"name":"t","description":"d","properties":' + _nested(depth) + "}"
    body = _problem(_post_raw(sta, "Things", thing_body), 400)
    assert "64 levels" in body["message"]
    stream = sta.ids(f"Things({thing})/Datastreams")[0]
    observation = '{"result":1,"parameters":' + _nested(depth) + "}"
    _problem(_post_raw(sta, f"Datastreams({stream})/Observations", observation), 400)
    patch = sta.client.patch(
        f"/v1.1/Things({thing})",
        content='{"properties":' + _nested(depth) + "}",
        headers={**sta.headers, "Content-Type": "application/json"},
    )
    _problem(patch, 400)
    assert sta.count(f"Datastreams({stream})/Observations") == 2


def test_json_nested_too_deeply_in_a_batch_part_is_refused(sta: Sta, thing: int) -> None:
    part = (
        "Content-Type: application/http\r\n\r\n"
        "POST Things HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
        '{"name":"t","description":"d","properties":' + _nested(300) + "}"
    )
    body = f"--b\r\n{part}\r\n--b--\r\n"
    response = sta.client.post(
        "/v1.1/$batch",
        content=body,
        headers={**sta.headers, "Content-Type": "multipart/mixed; boundary=b"},
    )
    assert response.status_code == 200, response.text
    assert "HTTP/1.1 400 Bad Request" in response.text and "64 levels" in response.text


# --- item 8: the sizes of text and JSON properties ---------------------------------------------


def test_a_huge_description_is_refused_naming_the_field(sta: Sta) -> None:
    body = _problem(
        sta.client.post(
            "/v1.1/Things",
            content=orjson.dumps({"name": "big", "description": "x" * 10_000_000}),
            headers={**sta.headers, "Content-Type": "application/json"},
        ),
        400,
    )
    assert "body.description" in body["message"] and "65536 characters" in body["message"]
    assert sta.count("Things") == 0


def test_a_huge_json_property_is_refused_naming_the_field(sta: Sta, thing: int) -> None:
    big = {"values": list(range(200_000))}
    body = _problem(
        sta.client.patch(f"/v1.1/Things({thing})", json={"properties": big}, headers=sta.headers),
        400,
    )
    assert "body.properties" in body["message"] and "1048576 bytes" in body["message"]
    stream = sta.ids(f"Things({thing})/Datastreams")[0]
    body = _problem(
        sta.client.post(
            f"/v1.1/Datastreams({stream})/Observations",
            json={"result": "x" * 70_000},
            headers=sta.headers,
        ),
        400,
    )
    assert "result" in body["message"]


@pytest.mark.parametrize("settings", [{}], indirect=True)
def test_sizes_within_the_limits_are_kept(sta: Sta, thing: int) -> None:
    sta.patch(f"Things({thing})", {"description": "x" * 65_536})
    assert len(sta.get(f"Things({thing})")["description"]) == 65_536


def test_a_batch_answer_is_bounded_like_one_read(sta: Sta, thing: int) -> None:
    sta.patch(f"Things({thing})", {"properties": {"notes": "x" * 9_000}})
    parts = [{"id": str(n), "method": "get", "url": f"Things({thing})"} for n in range(4)]
    response = sta.client.post("/v1.1/$batch", json={"requests": parts}, headers=sta.headers)
    assert response.status_code == 200, response.text
    statuses = [part["status"] for part in response.json()["responses"]]
    assert statuses == [200, 200, 200, 400]  # the third passes 20 000 bytes; the fourth is refused
