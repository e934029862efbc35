"""Every operation of /api/water survives generated input on a seeded database: no 5xx, and
answers as documented. SQLite only: input handling does not depend on the backend (the service
and page tests run on both), and the app-wide run in tests/web covers PostgreSQL."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from tests.modules.water.conftest import Water
from tests.support.region import Region

pytestmark = pytest.mark.integration


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("input handling is the same on both backends; SQLite runs it")


@pytest.fixture
def water_schema(sqlite_only: None, app: FastAPI, water: Water):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex="^/api/water")


schema = schemathesis.pytest.from_fixture("water_schema")


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_water_api_survives_generated_requests(case, region: Region) -> None:  # type: ignore[no-untyped-def]
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {region.key_admin}"}
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])
