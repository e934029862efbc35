"""The OpenAPI document: errors documented as RFC 9457 problems, as they are answered, or in
the format of the standard that owns the path (Open311, OGC API)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
                "required": ["field", "reason"],
            },
        },
    },
    "required": ["title", "status"],
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


@dataclass(frozen=True)
class StandardErrors:
    """Errors under ``prefix`` answer in a standard's own format, documented as ``schema``."""

    prefix: str
    name: str
    schema: dict[str, Any] = field(hash=False)
    media_type: str = "application/json"


def install_openapi(app: FastAPI, standards: Sequence[StandardErrors] = ()) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = PROBLEM_SCHEMA
        for standard in standards:
            components[standard.name] = standard.schema
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for path, path_item in schema.get("paths", {}).items():
            owner = next((s for s in standards if path.startswith(s.prefix)), None)
            error_content = (
                {owner.media_type: {"schema": {"$ref": f"#/components/schemas/{owner.name}"}}}
                if owner is not None
                else {"application/problem+json": {"schema": PROBLEM_REF}}
            )
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                # Any request may carry a wrong credential (checked on every endpoint) or a
                # malformed value (a NUL character, a number beyond the storable range).
                responses.setdefault("401", {"description": "Missing, wrong or expired credential"})
                responses.setdefault("400", {"description": "Malformed request"})
                if "requestBody" in operation:
                    responses.setdefault("413", {"description": "Body too large"})
                if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                    # A path parameter may name something that does not exist (or is hidden).
                    responses.setdefault("404", {"description": "Not found"})
                if "requestBody" in operation or operation.get("parameters"):
                    responses.setdefault("422", {"description": "Invalid input"})
                for status, response in responses.items():
                    if str(status).startswith(("4", "5")):
                        response["content"] = error_content
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
