"""Every operation of /api/assets survives generated input on a seeded database: no 5xx, and
answers as documented. (The app-wide fuzz test covers it too, but may revoke its own key
early through the kernel's API; this one keeps the module's operations busy.)"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from tests.modules.assets.conftest import World
from tests.support.region import Region

pytestmark = pytest.mark.integration


@pytest.fixture
def assets_schema(app: FastAPI, world: World):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/openapi.json", app)


# The filter goes on the lazy schema: one applied inside the fixture is dropped (schemathesis 4).
schema = schemathesis.pytest.from_fixture("assets_schema").include(path_regex="^/api/assets")


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_assets_api_survives_generated_requests(case, region: Region) -> None:  # type: ignore[no-untyped-def]
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {region.key_admin}"}
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])
