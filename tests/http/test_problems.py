"""A write that breaks a unique constraint the handler's own check did not see (two requests
made the record at the same moment) is a 409 conflict, not a 500."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.orm import Session
from starlette.requests import Request

from allmende.http.context import app_context
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
