"""The application's start: what lives as long as the process is left out of the collector's
full passes, once per process."""

from __future__ import annotations

import gc

import pytest
from fastapi import FastAPI

from tests.support.client import TestClient

pytestmark = pytest.mark.integration


def test_the_first_start_freezes_what_lives_on_and_later_starts_do_not(
    client: TestClient, app: FastAPI
) -> None:
    frozen = gc.get_freeze_count()
    assert frozen > 0
    with TestClient(app, base_url="http://testserver") as again:
        assert again.get("/healthz").status_code == 200
    assert gc.get_freeze_count() <= frozen  # none added (some freed since)
