"""The JSON documents of OGC API - Features (Part 1: Core) with their links.

Every link is absolute (``absolute_url``: right behind a reverse proxy) and carries ``rel``,
``type`` and ``title``; each resource links itself and its other representation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request

from allmende.core.features import Collection, Feature, FeatureQuery
from allmende.core.geo import geometry_to_geojson
from allmende.core.timeutil import isoformat, utcnow
from allmende.http.i18n import N_
from allmende.http.links import absolute_url
from allmende.standards.ogcapi_features.encoding import GEOJSON, HTML, JSON, OPENAPI

PREFIX = "/ogcapi"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uri/ogc/1.0/trs/gregorian"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
)
REL_CONFORMANCE = "http://www.opengis.net/def/rel/ogc/1.0/conformance"
REL_DATA = "http://www.opengis.net/def/rel/ogc/1.0/data"


def segment(identifier: str) -> str:
    """An id as one path segment (feature ids are any string)."""
    return quote(identifier, safe="")


@dataclass(frozen=True)
class Links:
    """Builds the absolute links of one request, titled in its language."""

    request: Request
    translate: Callable[[str], str]

    def href(self, path: str, query: Mapping[str, str] | None = None) -> str:
        url = absolute_url(self.request, PREFIX + path)
        return f"{url}?{urlencode(query)}" if query else url

    def link(
        self, path: str, rel: str, kind: str, title: str, query: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        return {
            "href": self.href(path, query),
            "rel": rel,
            "type": kind,
            "title": self.translate(title),
        }

    def pair(
        self, path: str, kind: str, query: Mapping[str, str] | None = None
    ) -> list[dict[str, str]]:
        """``self`` (JSON) and ``alternate`` (HTML) of the same resource."""
        query = dict(query or {})
        return [
            self.link(path, "self", kind, N_("This document"), {**query, "f": "json"}),
            self.link(path, "alternate", HTML, N_("This document as HTML"), {**query, "f": "html"}),
        ]


def landing(links: Links, *, title: str, description: str) -> dict[str, Any]:
    return {
        "title": title,
        "description": description,
        "links": [
            *links.pair("", JSON),
            links.link("/api", "service-desc", OPENAPI, N_("The API definition (OpenAPI 3.0)")),
            links.link("/api", "service-doc", HTML, N_("The API documentation"), {"f": "html"}),
            links.link("/conformance", "conformance", JSON, N_("Conformance classes")),
            links.link("/conformance", REL_CONFORMANCE, JSON, N_("Conformance classes")),
            links.link("/collections", "data", JSON, N_("Collections")),
            links.link("/collections", REL_DATA, JSON, N_("Collections")),
        ],
    }


def conformance(links: Links) -> dict[str, Any]:
    return {"conformsTo": list(CONFORMANCE), "links": links.pair("/conformance", JSON)}


def _time(value: datetime | None) -> str | None:
    return isoformat(value) if value is not None else None


def collection(links: Links, item: Collection) -> dict[str, Any]:
    path = f"/collections/{segment(item.id)}"
    document: dict[str, Any] = {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "keywords": list(item.keywords),
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            links.link(path, "self", JSON, N_("This collection"), {"f": "json"}),
            links.link(path, "alternate", HTML, N_("This collection as HTML"), {"f": "html"}),
            links.link(f"{path}/items", "items", GEOJSON, N_("The features"), {"f": "json"}),
            links.link(f"{path}/items", "items", HTML, N_("The features as HTML"), {"f": "html"}),
        ],
    }
    extent: dict[str, Any] = {}
    if item.bbox is not None:
        extent["spatial"] = {"bbox": [list(item.bbox)], "crs": CRS84}
    if item.temporal is not None:
        start, end = item.temporal
        extent["temporal"] = {"interval": [[_time(start), _time(end)]], "trs": GREGORIAN}
    if extent:
        document["extent"] = extent
    return document


def collections(links: Links, items: Sequence[Collection]) -> dict[str, Any]:
    return {
        "links": links.pair("/collections", JSON),
        "collections": [collection(links, c) for c in items],
    }


def feature(item: Feature) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": item.id,
        "geometry": geometry_to_geojson(item.geometry) if item.geometry is not None else None,
        "properties": dict(item.properties),
    }


def single_feature(links: Links, collection_id: str, item: Feature) -> dict[str, Any]:
    path = f"/collections/{segment(collection_id)}/items/{segment(item.id)}"
    return {
        **feature(item),
        "links": [
            *links.pair(path, GEOJSON),
            links.link(
                f"/collections/{segment(collection_id)}",
                "collection",
                JSON,
                N_("The collection"),
                {"f": "json"},
            ),
        ],
    }


@dataclass(frozen=True)
class Page:
    """One page of items and where the neighbouring pages are."""

    features: Sequence[Feature]
    number_matched: int | None
    has_next: bool


def paging(
    links: Links,
    collection_id: str,
    page: Page,
    query: FeatureQuery,
    params: Mapping[str, str],
    *,
    html: bool = False,
) -> list[dict[str, str]]:
    """The ``next`` and ``prev`` links (exactly when there is such a page), keeping the
    other parameters; for the GeoJSON document or for the HTML page."""
    path = f"/collections/{segment(collection_id)}/items"
    kept = {k: v for k, v in params.items() if k not in ("f", "offset", "limit")}
    kind, fmt = (HTML, "html") if html else (GEOJSON, "json")
    found = []
    if page.has_next:
        following = {**kept, "limit": str(query.limit), "offset": str(query.offset + query.limit)}
        found.append(links.link(path, "next", kind, N_("Next page"), {**following, "f": fmt}))
    if query.offset > 0:
        earlier = {**kept, "limit": str(query.limit)}
        previous = max(0, query.offset - query.limit)
        if previous:
            earlier["offset"] = str(previous)
        found.append(links.link(path, "prev", kind, N_("Previous page"), {**earlier, "f": fmt}))
    return found


def feature_collection(
    links: Links,
    collection_id: str,
    page: Page,
    query: FeatureQuery,
    params: Mapping[str, str],
) -> dict[str, Any]:
    path = f"/collections/{segment(collection_id)}/items"
    here = {k: v for k, v in params.items() if k != "f"}
    navigation = paging(links, collection_id, page, query, params)
    document: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [feature(f) for f in page.features],
        "links": [
            *links.pair(path, GEOJSON, here),
            *navigation,
            links.link(
                f"/collections/{segment(collection_id)}",
                "collection",
                JSON,
                N_("The collection"),
                {"f": "json"},
            ),
        ],
        "timeStamp": isoformat(utcnow()),
        "numberReturned": len(page.features),
    }
    if page.number_matched is not None:
        document["numberMatched"] = page.number_matched
    return document
