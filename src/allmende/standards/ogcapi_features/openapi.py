"""The API definition of ``/ogcapi`` (OpenAPI 3.0, the conformance class "OpenAPI 3.0").

Built per request from the collections the caller sees, so each collection's items operation
lists exactly the parameters it accepts (its queryables among them): every other parameter is
refused with 400.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from allmende.core.features import Collection
from allmende.standards.ogcapi_features.encoding import GEOJSON, HTML, JSON, OPENAPI
from allmende.standards.ogcapi_features.params import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET

_REF = "#/components/"
_JSON_TYPES = {"string": "string", "number": "number", "integer": "integer", "boolean": "boolean"}


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"{_REF}{kind}/{name}"}


def _content(schema_name: str, media_type: str) -> dict[str, Any]:
    return {
        media_type: {"schema": _ref("schemas", schema_name)},
        HTML: {"schema": {"type": "string"}},
    }


def _operation(
    operation_id: str,
    summary: str,
    content: dict[str, Any],
    parameters: Sequence[dict[str, Any]],
    *,
    not_found: bool = False,
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": content},
        "400": _ref("responses", "InvalidParameter"),
        "500": _ref("responses", "ServerError"),
    }
    if not_found:
        responses["404"] = _ref("responses", "NotFound")
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["OGC API - Features"],
        "parameters": list(parameters),
        "responses": responses,
    }


def _safe(identifier: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", identifier)


def _queryable(name: str, kind: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": f"Only features whose property '{name}' equals this value",
        "schema": {"type": _JSON_TYPES.get(kind, "string")},
        "style": "form",
        "explode": False,
    }


def document(
    *, server_url: str, title: str, description: str, collections: Sequence[Collection]
) -> dict[str, Any]:
    f = _ref("parameters", "f")
    paths: dict[str, Any] = {
        "/": {
            "get": _operation(
                "getLandingPage", "The landing page", _content("landingPage", JSON), [f]
            )
        },
        "/conformance": {
            "get": _operation(
                "getConformance", "The conformance classes", _content("confClasses", JSON), [f]
            )
        },
        "/api": {
            "get": _operation(
                "getApiDefinition",
                "This API definition",
                {OPENAPI: {"schema": {"type": "object"}}, HTML: {"schema": {"type": "string"}}},
                [f],
            )
        },
        "/collections": {
            "get": _operation(
                "getCollections", "The collections", _content("collections", JSON), [f]
            )
        },
        "/collections/{collectionId}": {
            "get": _operation(
                "describeCollection",
                "One collection",
                _content("collection", JSON),
                [_ref("parameters", "collectionId"), f],
                not_found=True,
            )
        },
    }
    for collection in collections:
        base = f"/collections/{collection.id}"
        queryables = [_queryable(n, k) for n, k in sorted(collection.queryables.items())]
        standard = [
            _ref("parameters", name) for name in ("limit", "offset", "bbox", "datetime", "f")
        ]
        paths[f"{base}/items"] = {
            "get": _operation(
                f"getFeatures_{_safe(collection.id)}",
                f"Features of '{collection.title}'",
                _content("featureCollectionGeoJSON", GEOJSON),
                [*standard, *queryables],
                not_found=True,
            )
        }
        paths[f"{base}/items/{{featureId}}"] = {
            "get": _operation(
                f"getFeature_{_safe(collection.id)}",
                f"One feature of '{collection.title}'",
                _content("featureGeoJSON", GEOJSON),
                [_ref("parameters", "featureId"), f],
                not_found=True,
            )
        }
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "description": description, "version": "1.0.0"},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": _components([c.id for c in collections]),
    }


def _components(collection_ids: Sequence[str]) -> dict[str, Any]:
    link = {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
    }
    links = {"type": "array", "items": _ref("schemas", "link")}
    exception = {
        "type": "object",
        "required": ["code"],
        "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
    }
    geometry = {"type": "object", "nullable": True, "required": ["type"]}
    feature = {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "geometry": geometry,
            "properties": {"type": "object", "nullable": True},
            "links": links,
        },
    }
    collection = {
        "type": "object",
        "required": ["id", "links"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "links": links,
            "extent": {"type": "object"},
            "itemType": {"type": "string"},
            "crs": {"type": "array", "items": {"type": "string"}},
        },
    }
    error = {"application/json": {"schema": _ref("schemas", "exception")}}
    return {
        "parameters": {
            "f": {
                "name": "f",
                "in": "query",
                "required": False,
                "description": "The format of the answer (else chosen by the Accept header)",
                "schema": {"type": "string", "enum": ["json", "html"]},
            },
            "limit": {
                "name": "limit",
                "in": "query",
                "required": False,
                "style": "form",
                "explode": False,
                "schema": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT,
                },
            },
            "offset": {
                "name": "offset",
                "in": "query",
                "required": False,
                "description": "How many matching features to skip (follow the next link)",
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
            },
            "bbox": {
                "name": "bbox",
                "in": "query",
                "required": False,
                "style": "form",
                "explode": False,
                "description": "minLon,minLat,maxLon,maxLat (WGS 84, CRS84 axis order)",
                "schema": {
                    "type": "array",
                    "minItems": 4,
                    "maxItems": 4,
                    "items": {"type": "number"},
                },
            },
            "datetime": {
                "name": "datetime",
                "in": "query",
                "required": False,
                "style": "form",
                "explode": False,
                "description": "An instant or an interval start/end, open ends as '..'",
                "schema": {"type": "string"},
            },
            "collectionId": {
                "name": "collectionId",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "enum": list(collection_ids)}
                if collection_ids
                else {"type": "string"},
            },
            "featureId": {
                "name": "featureId",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            },
        },
        "schemas": {
            "link": link,
            "exception": exception,
            "landingPage": {
                "type": "object",
                "required": ["links"],
                "properties": {
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "links": links,
                },
            },
            "confClasses": {
                "type": "object",
                "required": ["conformsTo"],
                "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
            },
            "collection": collection,
            "collections": {
                "type": "object",
                "required": ["links", "collections"],
                "properties": {
                    "links": links,
                    "collections": {"type": "array", "items": _ref("schemas", "collection")},
                },
            },
            "featureGeoJSON": feature,
            "featureCollectionGeoJSON": {
                "type": "object",
                "required": ["type", "features"],
                "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": _ref("schemas", "featureGeoJSON")},
                    "links": links,
                    "timeStamp": {"type": "string", "format": "date-time"},
                    "numberMatched": {"type": "integer", "minimum": 0},
                    "numberReturned": {"type": "integer", "minimum": 0},
                },
            },
        },
        "responses": {
            "InvalidParameter": {
                "description": "A parameter is unknown or invalid",
                "content": error,
            },
            "NotFound": {"description": "No such collection or feature", "content": error},
            "ServerError": {"description": "A server error", "content": error},
        },
    }
