"""The heat catalogue's UTCI classes and the style sheet that colours them on pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from allmende.modules import heat
from allmende.modules.heat.catalogue import UTCI_CLASSES

pytestmark = pytest.mark.unit


def test_each_utci_class_has_its_colours_in_the_style_sheet() -> None:
    """Pages name a class's CSS class (a style attribute is refused by the CSP); the sheet
    must give it the catalogue's colours, which the map overlay uses too."""
    sheet = (Path(heat.__file__).parent / "static" / "heat.css").read_text(encoding="utf-8")
    rules = dict(re.findall(r"\.(utci-class-\w+) \{ ([^}]*) \}", sheet))
    assert len({c.css_class for c in UTCI_CLASSES}) == len(UTCI_CLASSES)
    for c in UTCI_CLASSES:
        assert rules[c.css_class].strip() == f"background: {c.colour}; color: {c.text};"
