"""The adapters' JSON operations in the app's OpenAPI document, fuzzed by schemathesis with a
provider module that has services, reports and features (the app-wide run has none)."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from tests.standards.conftest import Things
from tests.support.region import Region

pytestmark = pytest.mark.integration


@pytest.fixture
def adapter_schema(app: FastAPI, things: Things):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("adapter_schema").include(path_regex="^/(open311|ogcapi)")


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_adapters_survive_generated_requests(case, region: Region) -> None:  # type: ignore[no-untyped-def]
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {region.key_open311}"}
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])
