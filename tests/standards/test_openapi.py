"""The adapters' JSON operations in the app's OpenAPI document, fuzzed by schemathesis with a
provider module that has services, reports and features (the app-wide run has none).

The cases are schemathesis' (examples, coverage and fuzzing phases, as its pytest plugin
builds them), generated once and sent to each backend's app (``tests.support.fuzzing``)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.standards.conftest import Things
from tests.support.fuzzing import fuzz_with_key
from tests.support.region import Region

# One worker runs both backends, so that the second one sends the cases the first generated.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("fuzz-standards")]


def test_adapters_survive_generated_requests(app: FastAPI, things: Things, region: Region) -> None:
    fuzz_with_key(
        app, path_regex="^/(open311|ogcapi)", max_examples=30, key=region.key_open311, at_least=650
    )
