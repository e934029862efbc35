"""OpenAPI 3.1 fragments for the JSON operations (the XML twins say the same in XML)."""

from __future__ import annotations

from typing import Any

_STRING = {"type": "string"}
_NULLABLE_STRING = {"type": ["string", "null"]}
_DATETIME = {"type": "string", "format": "date-time"}
_NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}

ERRORS: dict[str, Any] = {
    "type": "array",
    "description": "Open311 errors",
    "items": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "description": _STRING},
        "required": ["code", "description"],
    },
}

SERVICES: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "service_code": _STRING,
            "service_name": _STRING,
            "description": _NULLABLE_STRING,
            "metadata": {"type": "boolean"},
            "type": {"type": "string", "enum": ["realtime", "batch", "blackbox"]},
            "keywords": _NULLABLE_STRING,
            "group": _NULLABLE_STRING,
        },
        "required": ["service_code", "service_name", "metadata", "type"],
    },
}

DEFINITION: dict[str, Any] = {
    "type": "object",
    "properties": {
        "service_code": _STRING,
        "attributes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "variable": {"type": "boolean"},
                    "code": _STRING,
                    "datatype": {
                        "type": "string",
                        "enum": [
                            "string",
                            "number",
                            "datetime",
                            "text",
                            "singlevaluelist",
                            "multivaluelist",
                        ],
                    },
                    "required": {"type": "boolean"},
                    "datatype_description": _NULLABLE_STRING,
                    "order": {"type": "integer", "minimum": 1},
                    "description": _STRING,
                    "values": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"key": _STRING, "name": _STRING},
                            "required": ["key", "name"],
                        },
                    },
                },
                "required": ["variable", "code", "datatype", "required", "order", "description"],
            },
        },
    },
    "required": ["service_code", "attributes"],
}

_NOTE = {
    "type": "object",
    "properties": {"datetime": _DATETIME, "description": _STRING, "type": _STRING},
    "required": ["datetime", "description", "type"],
}

REQUESTS: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "service_request_id": _STRING,
            "status": {"type": "string", "enum": ["open", "closed"]},
            "status_notes": _NULLABLE_STRING,
            "service_name": _STRING,
            "service_code": _STRING,
            "description": _NULLABLE_STRING,
            "agency_responsible": _NULLABLE_STRING,
            "service_notice": _NULLABLE_STRING,
            "requested_datetime": _DATETIME,
            "updated_datetime": _NULLABLE_DATETIME,
            "expected_datetime": _NULLABLE_DATETIME,
            "address": _NULLABLE_STRING,
            "address_id": _NULLABLE_STRING,
            "zipcode": _NULLABLE_STRING,
            "lat": {"type": ["number", "null"]},
            "long": {"type": ["number", "null"]},
            "media_url": _NULLABLE_STRING,
            "notes": {"type": "array", "items": _NOTE, "description": "with extensions=true"},
        },
        "required": ["service_request_id", "status", "service_code", "requested_datetime"],
    },
}

SUBMITTED: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "service_request_id": _STRING,
            "token": _STRING,
            "service_notice": _NULLABLE_STRING,
            "account_id": _NULLABLE_STRING,
        },
    },
}

TOKENS: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"service_request_id": _STRING, "token": _STRING},
        "required": ["service_request_id", "token"],
    },
}

DISCOVERY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "changeset": _STRING,
        "contact": _STRING,
        "key_service": _STRING,
        "endpoints": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "specification": _STRING,
                    "url": _STRING,
                    "changeset": _STRING,
                    "type": {"type": "string", "enum": ["production", "test"]},
                    "formats": {"type": "array", "items": _STRING},
                },
                "required": ["specification", "url", "changeset", "type", "formats"],
            },
        },
    },
    "required": ["changeset", "contact", "key_service", "endpoints"],
}

POST_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "api_key": {**_STRING, "description": "Or send it as Bearer / X-API-Key header"},
        "jurisdiction_id": _STRING,
        "service_code": _STRING,
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "long": {"type": "number", "minimum": -180, "maximum": 180},
        "address_string": _STRING,
        "address_id": _STRING,
        "email": _STRING,
        "device_id": _STRING,
        "account_id": _STRING,
        "first_name": _STRING,
        "last_name": _STRING,
        "phone": _STRING,
        "description": {"type": "string", "maxLength": 4000},
        "media_url": _STRING,
    },
    "required": ["service_code"],
    "additionalProperties": {
        "type": "string",
        "description": "attribute[CODE]=value, attribute[CODE][]=value for lists",
    },
}


def query_parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": _STRING,
        "description": description,
    }


JURISDICTION = query_parameter(
    "jurisdiction_id", "The municipality; required where the region has several"
)
REQUEST_FILTERS = [
    JURISDICTION,
    query_parameter("service_request_id", "Comma-separated ids; overrides every other filter"),
    query_parameter("service_code", "Comma-separated service codes"),
    query_parameter("start_date", "Earliest requested_datetime (W3C date-time with zone)"),
    query_parameter("end_date", "Latest requested_datetime; at most 90 days after start_date"),
    query_parameter("status", "open, closed or both (comma separated)"),
    query_parameter("page", "Extension: page number from 1"),
    query_parameter("page_size", "Extension: results per page (1–1000, default 1000)"),
    query_parameter("extensions", "Extension: true adds the notes history"),
]
