"""Helpers for the Open311 tests: posting like a client, reading XML as the spec shapes it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import jsonschema
from httpx import Response

from allmende.core.timeutil import utcnow
from allmende.storage.database import Database
from tests.standards.open311 import spec
from tests.support import reports_module
from tests.support.client import TestClient
from tests.support.region import Region

A = "a-stadt.example"
B = "b-dorf.example"
V2 = "/open311/v2"


def post(client: TestClient, key: str | None, fmt: str = "json", **fields: Any) -> Response:
    form: dict[str, Any] = {"jurisdiction_id": A, "lat": "49.45", "long": "8.62", **fields}
    if key is not None:
        form["api_key"] = key
    form = {k: v for k, v in form.items() if v is not None}
    return client.post(f"{V2}/requests.{fmt}", data=form)


def tree_damage(client: TestClient, region: Region, **fields: Any) -> Response:
    return post(
        client,
        region.key_open311,
        service_code="tree-damage",
        **{"attribute[severity]": "high", **fields},
    )


def valid(document: Any, schema: dict[str, Any]) -> Any:
    jsonschema.validate(document, schema)
    return document


def xml(response: Response) -> ElementTree.Element:
    """The body as the specification wants XML: declaration, UTF-8, no namespace."""
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith(spec.XML_DECLARATION)
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own answer
    assert "}" not in root.tag and not root.attrib
    return root


def xml_list(response: Response, root_name: str) -> list[dict[str, str | None]]:
    """The items of a list document, each as child tag → text; checks every element name."""
    root = xml(response)
    assert root.tag == root_name
    item_name, allowed = spec.XML_LISTS[root_name]
    items = []
    for item in root:
        assert item.tag == item_name
        children = {child.tag: child.text for child in item}
        assert set(children) <= set(allowed), set(children) - set(allowed)
        items.append(children)
    return items


def add_report(
    database: Database,
    municipality_id: int,
    *,
    requested: datetime | None = None,
    service_code: str = "pothole",
    status: str = "open",
    public: bool = True,
    **values: Any,
) -> int:
    """A report written straight into the provider's table (old dates, closed, internal)."""
    when = requested or utcnow()

    def write(session: Any) -> int:
        report = reports_module.Report(
            municipality_id=municipality_id,
            service_code=service_code,
            status=status,
            public=public,
            requested_at=when,
            updated_at=when + timedelta(hours=1),
            attributes={},
            **values,
        )
        session.add(report)
        session.flush()
        return int(report.id)

    return database.write(write)
