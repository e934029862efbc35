"""Every operation of /api/assets survives generated input on a seeded database: no 5xx, and
answers as documented. (The app-wide fuzz test covers it too, but may revoke its own key
early through the kernel's API; this one keeps the module's operations busy.)

The cases are schemathesis' (examples, coverage and fuzzing phases, as its pytest plugin
builds them), generated once and sent to each backend's app (``tests.support.fuzzing``)."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from tests.modules.assets.conftest import World
from tests.support.fuzzing import Credential, generated_cases, send_cases
from tests.support.region import Region
from tests.support.web import bearer

# One worker runs both backends, so that the second one sends the cases the first generated.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("fuzz-assets")]

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    database=None,  # no example database: a clean checkout has none to replay
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
#: Cases per backend: the coverage phase's are fixed by the document, fuzzing draws 20 per
#: operation. A filter that matched fewer operations would show here.
AT_LEAST = 4000


def test_assets_api_survives_generated_requests(app: FastAPI, world: World, region: Region) -> None:
    generated = generated_cases(app, path_regex="^/api/assets", settings=SETTINGS)
    sent = send_cases(
        generated.cases,
        app,
        credential=lambda: Credential(headers=bearer(region.key_admin)),
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )
    print(f"schemathesis seed {generated.seed}: {sent.summary()}")  # shown with -s or -rP
    assert not sent.failures, sent.report()
    assert sent.total == len(generated.cases) >= AT_LEAST, sent.summary()
