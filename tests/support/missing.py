"""Skip a test whose binary is missing, with the reason, except in CI where it must be present."""

from __future__ import annotations

import os

import pytest


def missing(reason: str) -> None:
    if os.environ.get("ALLMENDE_CI"):
        pytest.fail(f"CI installs every binary the tests need, but: {reason}")
    pytest.skip(reason)
