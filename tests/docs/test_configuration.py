"""docs/configuration.md documents every setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from allmende.core.settings import Settings

pytestmark = pytest.mark.unit
DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert f"| `{name}` |" in DOC.read_text(), f"docs/configuration.md lacks the setting {name}"
