"""The included routers' prefix guard: the same route answers, and 404/405/redirects stay."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from allmende.http import routing
from allmende.http.routing import install_prefix_guard


def _app() -> FastAPI:
    install_prefix_guard()
    first, second, anywhere = APIRouter(), APIRouter(), APIRouter()

    @first.get("/api/first/items")
    def first_items() -> str:
        return "first"

    @second.get("/api/second/items/{item_id}")
    def second_item(item_id: int) -> str:
        return f"second {item_id}"

    @second.post("/api/second/items")
    def second_create() -> str:
        return "created"

    @anywhere.get("/{page}")
    def page(page: str) -> str:
        return f"page {page}"

    app = FastAPI()
    for router in (first, second, anywhere):
        app.include_router(router)
    return app


def test_each_path_reaches_its_route() -> None:
    client = TestClient(_app())
    assert client.get("/api/first/items").json() == "first"
    assert client.get("/api/second/items/7").json() == "second 7"
    assert client.post("/api/second/items").json() == "created"
    assert client.get("/about").json() == "page about"


def test_a_wrong_method_is_405_and_an_unknown_path_404() -> None:
    client = TestClient(_app())
    assert client.get("/api/second/items").status_code == 405
    assert client.get("/api/third/items").status_code == 404


def test_a_trailing_slash_still_redirects() -> None:
    client = TestClient(_app())
    response = client.get("/api/first/items/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/api/first/items"


def test_a_router_included_in_a_router_is_guarded_by_its_whole_path() -> None:
    install_prefix_guard()
    inner, outer = APIRouter(prefix="/inner"), APIRouter(prefix="/api/outer")

    @inner.get("/items/{item_id}")
    def inner_item(item_id: int) -> str:
        return f"inner {item_id}"

    @outer.get("/own")
    def own() -> str:
        return "own"

    outer.include_router(inner)
    app = FastAPI()
    app.include_router(outer, prefix="/v2")
    client = TestClient(app)
    assert client.get("/v2/api/outer/inner/items/3").json() == "inner 3"
    assert client.get("/v2/api/outer/own").json() == "own"
    assert client.get("/api/outer/own").status_code == 404
    assert client.post("/v2/api/outer/inner/items/3").status_code == 405


def test_a_route_added_after_the_first_request_is_reached() -> None:
    install_prefix_guard()
    inner, outer = APIRouter(), APIRouter()

    @inner.get("/api/inner")
    def inner_route() -> str:
        return "inner"

    outer.include_router(inner)
    app = FastAPI()
    app.include_router(outer)
    client = TestClient(app)
    assert client.get("/api/inner").json() == "inner"
    assert client.get("/later").status_code == 404

    @inner.get("/later")
    def later() -> str:
        return "later"

    assert client.get("/later").json() == "later"


def test_internals_it_cannot_read_leave_fastapis_own_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    def changed(router: object) -> tuple[str, ...]:
        raise AttributeError("an internal that a newer FastAPI renamed")

    monkeypatch.setattr(routing, "_starts", changed)
    client = TestClient(_app())
    assert client.get("/api/second/items/7").json() == "second 7"
    assert client.get("/api/second/items").status_code == 405
    assert client.get("/api/third/items").status_code == 404
