"""Attribute validation against a type's JSON Schema: any input is either accepted or refused
with a field name, never anything else."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allmende.core.errors import ValidationFailed
from allmende.modules.assets.register import attributes

pytestmark = pytest.mark.unit

SCHEMA = attributes.normalise_schema(
    {
        "type": "object",
        "properties": {
            "species": {"type": "string", "maxLength": 20},
            "year": {"type": "integer", "minimum": 1600, "maximum": 2100},
            "height": {"type": "number", "minimum": 0},
            "fenced": {"type": "boolean"},
            "surface": {"type": "string", "enum": ["sand", "bark"]},
            "checked": {"type": "string", "format": "date"},
        },
        "required": ["species"],
    }
)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=2),
)


@given(
    st.dictionaries(
        st.sampled_from(["species", "year", "height", "fenced", "surface", "checked", "other"]),
        VALUES,
    )
)
@settings(max_examples=200, deadline=None)
def test_any_input_is_accepted_or_refused_with_a_field(values: dict) -> None:
    errors: list = []
    try:
        attributes.validate(SCHEMA, values)
    except ValidationFailed as exc:
        errors = exc.errors or [None]  # type: ignore[list-item]
    assert all(e is not None and e.field.startswith("body.attributes") for e in errors)


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({}, "body.attributes.species", "is required"),
        ({"species": "x", "year": 1500}, "body.attributes.year", "at least 1600"),
        ({"species": "x", "year": 1990.5}, "body.attributes.year", "type integer"),
        ({"species": "x", "surface": "lava"}, "body.attributes.surface", "one of sand, bark"),
        ({"species": "x", "checked": "31.12.2020"}, "body.attributes.checked", "valid date"),
        ({"species": "x", "colour": "red"}, "body.attributes.colour", "not an attribute"),
        ({"species": "x", "height": float("nan")}, "body.attributes.height", "finite"),
    ],
)
def test_refusals_name_the_attribute(values: dict, field: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        attributes.validate(SCHEMA, values)
    assert caught.value.errors[0].field == field
    assert reason in caught.value.errors[0].reason


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("1.985", "number", 1.985),
        ("14,5", "number", 14.5),
        ("1985", "integer", 1985),
        ("ja", "boolean", True),
        ("nein", "boolean", False),
    ],
)
def test_text_cells_are_typed(text: str, kind: str, expected: object) -> None:
    schema = {"type": "object", "properties": {"a": {"type": kind}}}
    assert attributes.coerce_text(schema, "a", text, field="a") == expected
