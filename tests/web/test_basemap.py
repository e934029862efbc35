"""Every map of the product draws the configured background: templates write it only through
``basemap_attrs()`` and scripts add it only through ``AllmendeBasemap.add``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from allmende.core.settings import Settings
from tests.support.client import TestClient

pytestmark = pytest.mark.unit
SOURCE = Path(__file__).resolve().parents[2] / "src" / "allmende"


def test_no_template_or_script_builds_its_own_background() -> None:
    for path in SOURCE.rglob("*.html"):
        if path.name != "macros.html" or "web" not in path.parts:
            assert "data-tiles=" not in path.read_text(), path
    for path in SOURCE.rglob("*.js"):
        if path.name != "basemap.js":
            assert "L.tileLayer" not in path.read_text(), path


@pytest.mark.integration
def test_pages_carry_the_configured_background(client: TestClient, settings: Settings) -> None:
    settings.map_preset = "basemapde-grey"
    settings.map_tile_url = None
    page = client.get("/")
    assert 'data-tiles="https://sgx.geodatenzentrum.de/wmts_basemapde/' in page.text
    assert 'data-max-zoom="18"' in page.text
    assert "basemap.js" in page.text


def test_the_element_that_becomes_the_map_carries_the_background() -> None:
    """The participation pickers draw the map into their inner ``.picker__map``: the basemap
    attributes must sit there, not on the outer ``data-picker`` element the script leaves."""
    tags = [
        tag
        for path in SOURCE.rglob("*.html")
        for tag in re.findall(r"<div\b[^>]*>", path.read_text(), flags=re.DOTALL)
    ]
    inner = [tag for tag in tags if "picker__map" in tag]
    assert inner  # the participation pickers
    for tag in inner:
        assert "basemap_attrs()" in tag, tag
    for tag in tags:
        if "data-picker" in tag and 'class="map ' not in tag and "picker__map" not in tag:
            assert "basemap_attrs()" not in tag, tag
