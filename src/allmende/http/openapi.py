"""The OpenAPI document: errors documented as RFC 9457 problems, as they are answered."""

from __future__ import annotations

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


def install_openapi(app: FastAPI) -> None:
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
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                # Any request may carry a wrong credential (checked on every endpoint) or a
                # malformed value (a NUL character, a number beyond the storable range).
                responses.setdefault("401", {"description": "Missing, wrong or expired credential"})
                responses.setdefault("400", {"description": "Malformed request"})
                if "requestBody" in operation:
                    responses.setdefault("413", {"description": "Body too large"})
                if "requestBody" in operation or operation.get("parameters"):
                    responses.setdefault("422", {"description": "Invalid input"})
                for status, response in responses.items():
                    if str(status).startswith(("4", "5")):
                        response["content"] = {"application/problem+json": {"schema": PROBLEM_REF}}
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
