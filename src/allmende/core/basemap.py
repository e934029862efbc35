"""The background map every map of the product draws: a preset, or tiles of one's own.

Presets: ``osm`` (OpenStreetMap's standard tiles; mind their usage policy, docs/open-data.md),
``basemapde-color`` and ``basemapde-grey`` (the official German basemap.de Web Raster, its
WMTS in Web Mercator addressed as REST tiles), and ``none``. ``map_tile_url``,
``map_tile_attribution`` and ``map_max_zoom`` override a preset's values; ``map_tile_kind``
``wms`` asks a WMS for 256-pixel tiles of ``map_wms_layers`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

Kind = Literal["xyz", "wms"]


@dataclass(frozen=True)
class BaseMap:
    kind: Kind
    #: XYZ/WMTS-REST template (``{z}``, ``{x}``, ``{y}``, ``{s}``) or the WMS base URL; ""
    #: means maps without a background.
    url: str
    attribution: str
    max_zoom: int
    subdomains: str = "abc"
    wms_layers: str = ""

    @property
    def origin(self) -> str | None:
        """``scheme://host[:port]`` the tiles come from (``*.host`` for ``{s}`` subdomains),
        for the Content-Security-Policy; None without a background."""
        if not self.url:
            return None
        parts = urlsplit(self.url.replace("{s}", "a"))
        host = parts.netloc.replace("a.", "*.", 1) if "{s}" in self.url else parts.netloc
        return f"{parts.scheme}://{host}"


BASEMAP_DE = (
    "https://sgx.geodatenzentrum.de/wmts_basemapde/tile/1.0.0/"
    "{layer}/default/GLOBAL_WEBMERCATOR/{{z}}/{{y}}/{{x}}.png"
)
BASEMAP_DE_ATTRIBUTION = "© basemap.de / BKG, Datenquellen: © GeoBasis-DE"
PRESETS: dict[str, BaseMap] = {
    "osm": BaseMap(
        "xyz",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "© OpenStreetMap contributors",
        19,
    ),
    "basemapde-color": BaseMap(
        "xyz", BASEMAP_DE.format(layer="de_basemapde_web_raster_farbe"), BASEMAP_DE_ATTRIBUTION, 18
    ),
    "basemapde-grey": BaseMap(
        "xyz", BASEMAP_DE.format(layer="de_basemapde_web_raster_grau"), BASEMAP_DE_ATTRIBUTION, 18
    ),
    "none": BaseMap("xyz", "", "", 19),
}


def resolve(
    preset: str,
    *,
    url: str | None = None,
    attribution: str | None = None,
    max_zoom: int | None = None,
    kind: Kind = "xyz",
    subdomains: str = "abc",
    wms_layers: str = "",
) -> BaseMap:
    """The preset with the values given explicitly on top."""
    base = PRESETS[preset]
    return BaseMap(
        kind=kind,
        url=base.url if url is None else url,
        attribution=base.attribution if attribution is None else attribution,
        max_zoom=base.max_zoom if max_zoom is None else max_zoom,
        subdomains=subdomains,
        wms_layers=wms_layers,
    )
