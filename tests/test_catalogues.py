"""Every user-facing string has a German translation (source strings are English)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[1]
LOCALES = sorted((ROOT / "src" / "allmende").glob("**/locale"))


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "update_catalogs", ROOT / "scripts" / "update_catalogs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("locale_root", LOCALES, ids=[str(p.parent.name) for p in LOCALES])
def test_every_string_is_translated_to_german(locale_root: Path) -> None:
    extracted = _script().extract(locale_root.parent)
    with (locale_root / "de" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="de")
    missing = []
    for message in extracted:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        strings = translated.string if translated is not None else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            missing.append(message.id)
    assert missing == [], "run scripts/update_catalogs.py and translate these"
