"""Every JSON body is bounded in depth when it is parsed, before any handler sees it: the
kernel's API, the modules' APIs and the standards' alike (a shared helper in ``http``)."""

from __future__ import annotations

import orjson
import pytest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient as StarletteClient

from allmende.core.errors import BadRequest
from allmende.http.jsonbody import (
    _CHECKED,
    MAX_JSON_DEPTH,
    NUL_REFUSED,
    JsonDepthMiddleware,
    TooDeep,
    json_depth,
    json_loads,
    load_json,
    nul_place,
)
from tests.support.client import TestClient
from tests.support.region import Region
from tests.support.web import bearer

pytestmark = pytest.mark.integration


def _nested(depth: int) -> str:
    return '{"a":' * (depth - 1) + "[1]" + "}" * (depth - 1)


@pytest.mark.unit
def test_depth_counts_objects_and_arrays() -> None:
    assert json_depth(1) == 0
    assert json_depth([]) == 1
    assert json_depth({"a": [1, {"b": {}}]}) == 4
    assert json_depth(orjson.loads(_nested(70)), limit=100) == 70
    assert json_depth(orjson.loads(_nested(70))) == MAX_JSON_DEPTH + 1  # walked no deeper


@pytest.mark.unit
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 300, 5000])
def test_the_loader_refuses_deep_json_naming_the_limit(depth: int) -> None:
    with pytest.raises(BadRequest) as refused:
        load_json(_nested(depth).encode(), field="body")
    assert f"{MAX_JSON_DEPTH} levels" in str(refused.value)
    assert refused.value.errors[0].field == "body"


@pytest.mark.unit
def test_the_loader_keeps_json_within_the_limit() -> None:
    assert json_depth(load_json(_nested(MAX_JSON_DEPTH).encode(), field="body")) == MAX_JSON_DEPTH


@pytest.mark.parametrize(
    "path", ["/api/participation/processes", "/api/apikeys", "/v1.1/Things", "/v1.1/$batch"]
)
@pytest.mark.parametrize("depth", [300, 2000])
def test_every_json_endpoint_bounds_the_depth(client: TestClient, path: str, depth: int) -> None:
    response = client.post(
        path, content=_nested(depth), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert f"{MAX_JSON_DEPTH} levels" in response.text


def test_json_within_the_limit_reaches_the_endpoint(client: TestClient) -> None:
    response = client.post(
        "/api/apikeys", content=_nested(10), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422  # the endpoint's own validation of its body
    assert "levels" not in response.text


@pytest.mark.unit
def test_json_in_forms_and_files_is_bounded_the_same_way() -> None:
    assert json_loads(_nested(MAX_JSON_DEPTH)) == orjson.loads(_nested(MAX_JSON_DEPTH))
    for text in (_nested(MAX_JSON_DEPTH + 1), _nested(5000)):
        with pytest.raises(TooDeep):
            json_loads(text)
    with pytest.raises(ValueError, match="unexpected character"):  # what forms catch already
        json_loads("{not json")


def test_a_json_body_past_the_size_limit_is_413_also_without_a_length(client: TestClient) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(12):
            yield b"[" + b"1," * 500_000 + b"1]"

    response = client.post(
        "/api/apikeys", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text


@pytest.mark.parametrize("size", [10, 100_000])  # inline and in a worker thread
def test_the_endpoint_takes_the_body_as_the_check_parsed_it(size: int) -> None:
    """A body is parsed once: the handler's ``load_json`` gets the value the middleware
    parsed (in its worker thread too), once; a second call parses again."""
    seen: list[tuple[bool, bool]] = []

    async def endpoint(request: Request) -> Response:
        body = await request.body()

        def handle() -> object:
            checked = _CHECKED.get()
            value = load_json(body)
            again = load_json(body)
            seen.append((checked is not None and checked[1] is value, again is not value))
            return value

        return JSONResponse(await run_in_threadpool(handle))

    app = JsonDepthMiddleware(
        Starlette(routes=[Route("/", endpoint, methods=["POST"])]),
        render=lambda request, error: PlainTextResponse(str(error), status_code=400),
    )
    body = orjson.dumps([[1, 2]] * size)
    with StarletteClient(app) as client:
        response = client.post("/", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200
    assert orjson.loads(response.content) == orjson.loads(body)
    assert seen == [(True, True)]
    assert _CHECKED.get() is None


@pytest.mark.unit
def test_the_first_text_with_a_nul_character_is_named_by_its_path() -> None:
    assert nul_place({"a": "fine", "b": [{"c": "x"}, {"d": "\x00"}]}) == "body.b.1.d"
    assert nul_place({"a\x00": 1}) == "body"
    assert nul_place(["ok", {"k": "\\u0000 as text"}]) is None
    assert nul_place("\x00", field="form") == "form"


def test_a_nul_character_in_a_json_body_is_refused_naming_its_field(
    client: TestClient, region: Region
) -> None:
    """PostgreSQL stores no NUL in text and SQLite would: before any handler, both backends
    refuse it naming where it is (it was a 400 from the database that named no field on
    PostgreSQL, and stored on SQLite). SensorThings refuses it itself, row by row."""
    body = {"municipality": "a-stadt", "name": "Neu\x00bau", "use": "school", "floor_area": 500,
            "heating_system": "gas", "lon": 8.6, "lat": 49.4}  # fmt: skip
    refused = client.post("/api/energy/buildings", json=body, headers=bearer(region.key_admin))
    assert refused.status_code == 400
    assert refused.json()["errors"] == [{"field": "body.name", "reason": NUL_REFUSED}]
    large = {
        **body,
        "name": "Neubau",
        "object_ref": "x\x00",
        "pad": "y" * 70_000,
    }  # checked in a thread
    refused = client.post("/api/energy/buildings", json=large, headers=bearer(region.key_admin))
    assert refused.json()["errors"] == [{"field": "body.object_ref", "reason": NUL_REFUSED}]
    assert client.get("/api/energy/buildings").json() == []
    literal = {**body, "name": "Neubau \\u0000"}  # a backslash and "u0000": plain text
    made = client.post("/api/energy/buildings", json=literal, headers=bearer(region.key_admin))
    assert made.status_code == 201 and made.json()["name"] == "Neubau \\u0000"
    thing = client.post(
        "/v1.1/Things", json={"name": "T\x00", "description": "d"}, headers=bearer(region.key_admin)
    )
    assert thing.status_code == 400 and "must not hold a NUL character" in thing.text
