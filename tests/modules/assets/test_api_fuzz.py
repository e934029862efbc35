"""Every operation of /api/assets survives generated input on a seeded database: no 5xx, and
answers as documented. (The app-wide fuzz test covers it too, but may revoke its own key
early through the kernel's API; this one keeps the module's operations busy.)

The cases are schemathesis' (examples, coverage and fuzzing phases, as its pytest plugin
builds them), generated once and sent to each backend's app (``tests.support.fuzzing``)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.modules.assets.conftest import World
from tests.support.fuzzing import fuzz_with_key
from tests.support.region import Region

# One worker runs both backends, so that the second one sends the cases the first generated.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("fuzz-assets")]


def test_assets_api_survives_generated_requests(app: FastAPI, world: World, region: Region) -> None:
    fuzz_with_key(
        app, path_regex="^/api/assets", max_examples=20, key=region.key_admin, at_least=4000
    )
