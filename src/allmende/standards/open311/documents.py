"""GeoReport v2 documents built from the provider protocol's objects (plain data for ``wire``).

Every field of the specification is present; a value the provider does not have is ``null``
(an empty element in XML). Ids and codes are strings, ``lat``/``long`` numbers, datetimes
ISO 8601 with a time zone. Nothing here can carry personal data: :class:`ServiceRequest` has
no field for it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from allmende.core.open311 import Service, ServiceAttribute, ServiceRequest, StatusNote

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def timestamp(value: datetime | None) -> str | None:
    """W3C date-time in UTC to the second (``2010-01-01T00:00:00Z``), as clients parse it."""
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def service(item: Service) -> dict[str, Any]:
    return {
        "service_code": item.code,
        "service_name": item.name,
        "description": item.description or None,
        "metadata": item.metadata,
        "type": item.type,
        "keywords": ", ".join(item.keywords) or None,
        "group": item.group or None,
    }


def attribute(item: ServiceAttribute) -> dict[str, Any]:
    document: dict[str, Any] = {
        "variable": item.variable,
        "code": item.code,
        "datatype": item.datatype,
        "required": item.required,
        "datatype_description": item.datatype_description or None,
        "order": item.order,
        "description": item.description,
    }
    if item.datatype in ("singlevaluelist", "multivaluelist"):
        document["values"] = [{"key": key, "name": name} for key, name in item.values]
    return document


def definition(item: Service) -> dict[str, Any]:
    ordered = sorted(item.attributes, key=lambda a: a.order)
    return {"service_code": item.code, "attributes": [attribute(a) for a in ordered]}


def note(item: StatusNote) -> dict[str, Any]:
    return {"datetime": timestamp(item.at), "description": item.description, "type": item.type}


def request(item: ServiceRequest, *, extensions: bool = False) -> dict[str, Any]:
    document: dict[str, Any] = {
        "service_request_id": item.id,
        "status": item.status,
        "status_notes": item.status_notes,
        "service_name": item.service_name,
        "service_code": item.service_code,
        "description": item.description,
        "agency_responsible": item.agency_responsible,
        "service_notice": item.service_notice,
        "requested_datetime": timestamp(item.requested),
        "updated_datetime": timestamp(item.updated),
        "expected_datetime": timestamp(item.expected),
        "address": item.address,
        "address_id": item.address_id,
        "zipcode": item.zipcode,
        "lat": item.lat,
        "long": item.long,
        "media_url": item.media_url,
    }
    if extensions:
        document["notes"] = [note(n) for n in sorted(item.notes, key=lambda n: n.at)]
    return document


def discovery(
    *, url: str, changeset: str, contact: str, key_service: str, production: bool
) -> dict[str, Any]:
    return {
        "changeset": changeset,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": changeset,
                "type": "production" if production else "test",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
