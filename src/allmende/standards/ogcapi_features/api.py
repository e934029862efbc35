"""OGC API - Features (Part 1: Core) under ``/ogcapi``: GeoJSON for clients, HTML for people.

The adapter reads parameters strictly, asks the feature sources of the enabled modules
(``ModuleSpec.feature_sources``) with the caller, and writes documents with absolute links.
Sources decide what the caller may see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from allmende.core.errors import FieldError, NotFound
from allmende.core.features import Feature
from allmende.core.timeutil import isoformat
from allmende.http.auth import Caller
from allmende.http.context import app_context
from allmende.http.i18n import N_
from allmende.standards.ogcapi_features import documents, openapi, params, sources
from allmende.standards.ogcapi_features.documents import PREFIX, Links, Page, segment
from allmende.standards.ogcapi_features.encoding import (
    GEOJSON,
    JSON,
    OPENAPI,
    dumps,
    json_response,
)
from allmende.standards.ogcapi_features.errors import SCHEMA as ERROR_SCHEMA
from allmende.standards.ogcapi_features.negotiation import wants_html

router = APIRouter(prefix=PREFIX, tags=["ogcapi"])
MAX_COLUMNS = 8
TITLE_PROPERTIES = ("name", "title")


def _parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


F = _parameter("f", {"type": "string", "enum": ["json", "html"]}, "json or html")
ITEM_PARAMETERS = [
    _parameter(
        "limit", {"type": "integer", "minimum": 1, "maximum": params.MAX_LIMIT}, "Page size"
    ),
    _parameter(
        "offset", {"type": "integer", "minimum": 0, "maximum": params.MAX_OFFSET}, "Skip this many"
    ),
    _parameter("bbox", {"type": "string"}, "minLon,minLat,maxLon,maxLat"),
    _parameter("datetime", {"type": "string"}, "Instant or interval start/end ('..' open)"),
    F,
]


def _documented(media_type: str, *, not_found: bool = False) -> dict[str, Any]:
    error = {"content": {JSON: {"schema": ERROR_SCHEMA}}}
    responses: dict[int | str, dict[str, Any]] = {
        200: {"description": "OK", "content": {media_type: {}, "text/html": {}}},
        400: {"description": "Unknown or invalid parameter", **error},
    }
    if not_found:
        responses[404] = {"description": "No such collection or feature", **error}
    return {"responses": responses}


def _translator(request: Request) -> Callable[[str], str]:
    catalogs = app_context(request).catalogs
    return catalogs.translator(request, "ogcapi")


def _links(request: Request) -> Links:
    return Links(request, _translator(request))


def _format(
    request: Request, allowed: frozenset[str] = params.COMMON
) -> tuple[dict[str, str], bool]:
    values = params.single_values(request.query_params.multi_items(), allowed)
    return values, wants_html(request, params.output_format(values.get("f")))


def _page(request: Request, template: str, values: Mapping[str, Any]) -> Response:
    return app_context(request).templates.render(request, f"ogcapi/{template}", values)


def _title(request: Request) -> str:
    translate = _translator(request)
    return translate(N_("%(region)s – open geodata (OGC API - Features)")) % {
        "region": app_context(request).settings.region_name
    }


_DESCRIPTION = N_(
    "The public objects of the region as features: load them into QGIS or any other "
    "OGC API - Features client."
)


def landing(request: Request) -> Response:
    _, html = _format(request)
    links = _links(request)
    document = documents.landing(
        links, title=_title(request), description=links.translate(_DESCRIPTION)
    )
    if html:
        return _page(request, "landing.html", {"document": document, "links": links})
    return json_response(document)


router.add_api_route(
    "",
    landing,
    methods=["GET"],
    operation_id="ogcapi_landing",
    summary="Landing page",
    openapi_extra={"parameters": [F]},
    **_documented(JSON),
)
router.add_api_route("/", landing, methods=["GET"], include_in_schema=False)


@router.get(
    "/conformance",
    operation_id="ogcapi_conformance",
    summary="Conformance classes",
    openapi_extra={"parameters": [F]},
    **_documented(JSON),
)
def conformance(request: Request) -> Response:
    _, html = _format(request)
    document = documents.conformance(_links(request))
    if html:
        return _page(request, "conformance.html", {"document": document})
    return json_response(document)


@router.get(
    "/api",
    operation_id="ogcapi_api",
    summary="The API definition (OpenAPI 3.0)",
    openapi_extra={"parameters": [F]},
    **_documented(OPENAPI),
)
def api_definition(request: Request, principal: Caller) -> Response:
    _, html = _format(request)
    context = app_context(request)
    with context.database.session() as session:
        offered = [c for c, _ in sources.collections(context.registry, session, principal)]
    links = _links(request)
    document = openapi.document(
        server_url=links.href(""),
        title=_title(request),
        description=links.translate(_DESCRIPTION),
        collections=offered,
    )
    if html:
        return _page(request, "api.html", {"document": document, "links": links})
    return json_response(document, media_type=OPENAPI)


@router.get(
    "/collections",
    operation_id="ogcapi_collections",
    summary="The collections",
    openapi_extra={"parameters": [F]},
    **_documented(JSON),
)
def collections(request: Request, principal: Caller) -> Response:
    _, html = _format(request)
    context = app_context(request)
    with context.database.session() as session:
        offered = [c for c, _ in sources.collections(context.registry, session, principal)]
    links = _links(request)
    document = documents.collections(links, offered)
    if html:
        return _page(request, "collections.html", {"document": document, "links": links})
    return json_response(document)


@router.get(
    "/collections/{collection_id}",
    operation_id="ogcapi_collection",
    summary="One collection",
    openapi_extra={"parameters": [F]},
    **_documented(JSON, not_found=True),
)
def collection(request: Request, collection_id: str, principal: Caller) -> Response:
    context = app_context(request)
    with context.database.session() as session:
        found, _ = sources.collection(context.registry, session, principal, collection_id)
    _, html = _format(request)
    links = _links(request)
    document = documents.collection(links, found)
    if html:
        return _page(
            request,
            "collection.html",
            {"document": document, "collection": found, "links": links},
        )
    return json_response(document)


@router.get(
    "/collections/{collection_id}/items",
    operation_id="ogcapi_items",
    summary="Features of a collection (GeoJSON), filtered and paged",
    openapi_extra={"parameters": ITEM_PARAMETERS},
    **_documented(GEOJSON, not_found=True),
)
def items(request: Request, collection_id: str, principal: Caller) -> Response:
    context = app_context(request)
    with context.database.session() as session:
        found, source = sources.collection(context.registry, session, principal, collection_id)
        values, html = _format(request, params.ITEMS | frozenset(found.queryables))
        query = params.feature_query(values, found.queryables)
        # One more than asked tells whether a next page exists when the source cannot count.
        answer = source.items(session, principal, found.id, replace(query, limit=query.limit + 1))
    if answer is None:
        raise NotFound(errors=[FieldError("collectionId", N_("no such collection"))])
    features = list(answer.features)[: query.limit]
    if answer.number_matched is not None:
        has_next = query.offset + len(features) < answer.number_matched
    else:
        has_next = len(answer.features) > query.limit
    page = Page(features, answer.number_matched, has_next)
    links = _links(request)
    document = documents.feature_collection(links, found.id, page, query, values)
    if html:
        path = f"/collections/{segment(found.id)}/items"
        data = {k: v for k, v in values.items() if k != "f"}
        return _page(
            request,
            "items.html",
            {
                "document": document,
                "collection": found,
                "links": links,
                "features": features,
                "pages": documents.paging(links, found.id, page, query, values, html=True),
                "columns": _columns(features),
                "offset": query.offset,
                "geojson_url": links.href(path, {**data, "f": "json"}),
                "item_url": lambda f: links.href(f"{path}/{segment(f.id)}", {"f": "html"}),
                "display": _display(request),
            },
        )
    return json_response(document, media_type=GEOJSON)


@router.get(
    "/collections/{collection_id}/items/{feature_id}",
    operation_id="ogcapi_item",
    summary="One feature (GeoJSON)",
    openapi_extra={"parameters": [F]},
    **_documented(GEOJSON, not_found=True),
)
def item(request: Request, collection_id: str, feature_id: str, principal: Caller) -> Response:
    context = app_context(request)
    with context.database.session() as session:
        found, source = sources.collection(context.registry, session, principal, collection_id)
        _, html = _format(request)
        feature = source.item(session, principal, found.id, feature_id)
    if feature is None:
        raise NotFound(errors=[FieldError("featureId", N_("no such feature in this collection"))])
    links = _links(request)
    document = documents.single_feature(links, found.id, feature)
    if html:
        path = f"/collections/{segment(found.id)}/items/{segment(feature.id)}"
        return _page(
            request,
            "item.html",
            {
                "document": document,
                "collection": found,
                "feature": feature,
                "links": links,
                "geojson_url": links.href(path, {"f": "json"}),
                "display": _display(request),
            },
        )
    return json_response(document, media_type=GEOJSON)


def _columns(features: Sequence[Feature]) -> list[str]:
    """Property names of a page in order of appearance, a readable number of them (the name
    or title is the first column already)."""
    names: dict[str, None] = {}
    for feature in features:
        for name in feature.properties:
            if name not in TITLE_PROPERTIES:
                names.setdefault(name, None)
    return list(names)[:MAX_COLUMNS]


def _display(request: Request) -> Callable[[Any], str]:
    """Property values as people read them in a table cell."""
    translate = _translator(request)

    def display(value: Any) -> str:
        if value is None:
            return "–"
        if isinstance(value, bool):
            return translate(N_("yes") if value else N_("no"))
        if isinstance(value, datetime | date):
            return isoformat(value) if isinstance(value, datetime) else value.isoformat()
        if isinstance(value, dict | list | tuple):
            return dumps(value).decode("utf-8")
        return str(value)

    return display
