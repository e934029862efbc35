"""Liveness and readiness."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from allmende.storage.database import Database
from tests.support.client import TestClient

pytestmark = pytest.mark.integration


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz(client: TestClient, database: Database) -> None:
    assert client.get("/readyz").json()["status"] == "ready"
    database.write(lambda s: s.execute(text("DELETE FROM alembic_version")))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "migrations not applied" in response.json()["detail"]
