"""The background map: presets, explicit settings on top, the tile origin for the CSP."""

from __future__ import annotations

import pytest

from allmende.core.basemap import PRESETS
from allmende.core.settings import Settings

pytestmark = pytest.mark.unit


def test_osm_is_the_default() -> None:
    basemap = Settings().basemap
    assert basemap == PRESETS["osm"]
    assert basemap.origin == "https://tile.openstreetmap.org"


@pytest.mark.parametrize(
    ("preset", "layer"), [("basemapde-color", "farbe"), ("basemapde-grey", "grau")]
)
def test_basemap_de_is_the_official_web_raster_in_web_mercator(preset: str, layer: str) -> None:
    basemap = Settings(map_preset=preset).basemap
    assert basemap.url == (
        "https://sgx.geodatenzentrum.de/wmts_basemapde/tile/1.0.0/"
        f"de_basemapde_web_raster_{layer}/default/GLOBAL_WEBMERCATOR/{{z}}/{{y}}/{{x}}.png"
    )
    assert "basemap.de" in basemap.attribution and basemap.max_zoom == 18
    assert basemap.origin == "https://sgx.geodatenzentrum.de"


def test_explicit_settings_win_over_the_preset() -> None:
    basemap = Settings(
        map_preset="basemapde-grey",
        map_tile_url="https://{s}.tiles.example.de/{z}/{x}/{y}.png",
        map_tile_attribution="© Stadt",
        map_max_zoom=20,
    ).basemap
    assert (basemap.attribution, basemap.max_zoom) == ("© Stadt", 20)
    assert basemap.origin == "https://*.tiles.example.de"


def test_an_empty_url_means_no_background_and_a_wms_keeps_its_layers() -> None:
    assert Settings(map_tile_url="").basemap.origin is None
    wms = Settings(
        map_tile_kind="wms", map_tile_url="http://127.0.0.1:9/wms", map_wms_layers="a,b"
    ).basemap
    assert (wms.kind, wms.wms_layers, wms.origin) == ("wms", "a,b", "http://127.0.0.1:9")
