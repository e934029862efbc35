"""The OpenAPI document is complete, and every operation survives generated input.

Schemathesis generates requests from the document (valid and invalid) and checks that nothing
answers 5xx and that responses match what the document promises.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from tests.support.region import Region

pytestmark = pytest.mark.integration

#: Standards answer errors in their own format (documented as such), everything else RFC 9457.
STANDARD_ERRORS = {"/open311": "Open311Errors", "/ogcapi": "OgcException"}


@pytest.fixture
def api_schema(app: FastAPI):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the document is HTTP alone
def test_document_is_complete(app: FastAPI) -> None:
    document = app.openapi()
    ids = [op["operationId"] for path in document["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids)), "operation ids must be unique"
    assert "Problem" in document["components"]["schemas"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, item in document["paths"].items():
        standard = next((n for p, n in STANDARD_ERRORS.items() if path.startswith(p)), None)
        for operation in item.values():
            for status, response in operation["responses"].items():
                if not status.startswith("4"):
                    continue
                if standard is None:
                    assert "application/problem+json" in response["content"]
                else:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": f"#/components/schemas/{standard}"}


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_generated_requests_never_break_anything(case, region: Region) -> None:  # type: ignore[no-untyped-def]
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {region.key_admin}"}
    # Schema-valid input may still break a business rule (an unknown scope, an expiry in the
    # past); that is a 4xx naming the field, which positive_data_acceptance would count wrong.
    case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])
