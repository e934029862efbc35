"""The XML and JSON of GeoReport v2 as written by the adapter."""

from __future__ import annotations

from xml.etree import ElementTree

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from allmende.standards.open311 import wire
from tests.standards.open311.spec import XML_DECLARATION

pytestmark = pytest.mark.unit


def test_lists_become_items_with_the_specified_names() -> None:
    body = wire.to_xml(
        "service_definition",
        {
            "service_code": "x",
            "attributes": [
                {"code": "a", "required": True, "values": [{"key": "1", "name": "Eins"}]}
            ],
        },
    ).decode()
    assert body == (
        f"{XML_DECLARATION}\n<service_definition><service_code>x</service_code><attributes>"
        "<attribute><code>a</code><required>true</required><values><value><key>1</key>"
        "<name>Eins</name></value></values></attribute></attributes></service_definition>"
    )


def test_null_is_an_empty_element_and_numbers_keep_their_digits() -> None:
    body = wire.to_xml("service_requests", [{"lat": 49.123456789, "zipcode": None}])
    root = ElementTree.fromstring(body)  # noqa: S314 - our own output
    assert root.findtext("request/lat") == "49.123456789"
    assert root.find("request/zipcode") is not None and root.findtext("request/zipcode") == ""


@given(st.text())
def test_any_text_gives_well_formed_xml_and_json(text: str) -> None:
    body = wire.to_xml("errors", [{"code": 400, "description": text}])
    root = ElementTree.fromstring(body)  # noqa: S314 - our own output
    kept = root.findtext("error/description") or ""
    # Only characters XML cannot carry are dropped (and XML reads a CR as a line feed).
    assert set(kept) <= set(text.replace("\r", "\n"))
    if "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        assert orjson.loads(wire.to_json([text])) == [text]


def test_content_types() -> None:
    assert (
        wire.respond("json", "x", []).headers["content-type"] == "application/json; charset=utf-8"
    )
    assert wire.respond("xml", "services", []).headers["content-type"] == "text/xml; charset=utf-8"
