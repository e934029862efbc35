"""Demo data (filled in below)."""

from __future__ import annotations

from typing import Any


def add_demo(context: Any) -> None:
    return None
