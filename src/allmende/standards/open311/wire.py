"""The two representations of GeoReport v2: XML, and JSON as its mechanical mapping.

A document is plain data: a list (the XML root holds one element per item) or a dict (an
element per key). The element names of list items follow the specification (``services`` →
``service``, ``service_requests`` → ``request`` …). XML is UTF-8 with the declaration exactly
as clients compare it, no namespace; characters XML 1.0 cannot carry are dropped.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from xml.etree.ElementTree import Element, SubElement, tostring

import orjson
from starlette.responses import Response

Format = Literal["json", "xml"]
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

#: The element name of one item of each list in the specification (and its extensions).
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def to_json(document: Any) -> bytes:
    return orjson.dumps(document)


def to_xml(root: str, document: Any) -> bytes:
    element = Element(root)
    _fill(element, root, document)
    return (XML_DECLARATION + tostring(element, encoding="unicode")).encode("utf-8")


def _fill(element: Element, name: str, value: Any) -> None:
    if isinstance(value, list | tuple):
        item_name = ITEM_NAMES[name]
        for item in value:
            _fill(SubElement(element, item_name), item_name, item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _fill(SubElement(element, key), key, item)
    else:
        element.text = _text(value)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def respond(fmt: Format, root: str, document: Any, *, status_code: int = 200) -> Response:
    """``document`` as JSON, or as XML under the element ``root``."""
    if fmt == "xml":
        body, media_type = to_xml(root, document), XML_TYPE
    else:
        body, media_type = to_json(document), JSON_TYPE
    # Set the header ourselves: Starlette would not add the charset to application/json.
    return Response(body, status_code=status_code, headers={"Content-Type": media_type})
