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
def water_schema(app: FastAPI, water: Water):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/openapi.json", app)


# The filter goes on the lazy schema: one applied inside the fixture is dropped (schemathesis 4).
schema = schemathesis.pytest.from_fixture("water_schema").include(path_regex="^/api/water")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
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
    # As in tests/web/test_openapi.py: business rules refuse schema-valid input (a 4xx naming
    # the field), and values are read leniently (``day=0``, ``false`` for a number).
    case.call_and_validate(
        excluded_checks=[
            schemathesis.checks.positive_data_acceptance,
            schemathesis.checks.negative_data_rejection,
        ]
    )
