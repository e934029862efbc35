"""A write that breaks a unique constraint the handler's own check did not see (two requests
made the record at the same moment) is a 409 conflict, not a 500; a wrong method is a 405 that
names every method served at the path."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient as StarletteClient
from sqlalchemy import text
from sqlalchemy.orm import Session
from starlette.requests import Request

from allmende.http.context import app_context
from allmende.http.problems import ErrorFormats, install_error_handlers
from allmende.storage.database import Database
from tests.support.client import TestClient
from tests.support.region import Region

pytestmark = pytest.mark.integration


def _duplicate_user(session: Session) -> None:
    session.execute(text("INSERT INTO identity_users SELECT * FROM identity_users LIMIT 1"))


def test_a_unique_violation_is_a_conflict(app: FastAPI, database: Database, region: Region) -> None:
    @app.post("/test/duplicate")
    def duplicate(request: Request) -> None:
        app_context(request).database.write(_duplicate_user)

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/test/duplicate")
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_405_names_the_methods_of_routes_added_after_an_earlier_405() -> None:
    """The routes' methods are kept in a table between answers; a route added later is in it."""
    app = FastAPI()
    install_error_handlers(app, ErrorFormats(by_prefix=[]))
    router = APIRouter()

    @router.get("/things/{thing_id}")
    def thing(thing_id: int) -> int:
        return thing_id

    app.include_router(router)
    client = StarletteClient(app)
    first = client.post("/things/3")
    assert first.status_code == 405
    assert first.headers["allow"] == "GET"

    @app.put("/things/{thing_id}")
    def replace(thing_id: int) -> int:
        return thing_id

    second = client.post("/things/3")
    assert second.status_code == 405
    assert second.headers["allow"] == "GET, PUT"
