"""Typed attributes of object types, defined and checked with JSON Schema.

A type's schema is an object schema whose properties are strings, numbers, integers or booleans
(what forms, CSV files and map popups can carry); each may have a ``title``, ``enum``, bounds
and a ``format``. Unknown attributes are refused unless the schema allows them explicitly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError
from jsonschema.exceptions import ValidationError as SchemaViolation

from allmende.modules.assets.catalogue import N_
from allmende.sdk import FieldError, ValidationFailed

SIMPLE_TYPES = ("string", "number", "integer", "boolean")
MAX_SCHEMA_CHARS = 20_000
MAX_PROPERTIES = 60


def check_schema(schema: Any, public: Any, *, field: str = "body.attribute_schema") -> None:
    """Refuse a schema that is not an object schema of simple, named properties."""
    if not isinstance(schema, Mapping):
        raise ValidationFailed.one(field, "must be a JSON Schema object")
    if len(json.dumps(schema)) > MAX_SCHEMA_CHARS:
        raise ValidationFailed.one(field, f"must be at most {MAX_SCHEMA_CHARS} characters as JSON")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValidationFailed.one(field, f"is not a valid JSON Schema: {exc.message}") from exc
    if schema.get("type") != "object":
        raise ValidationFailed.one(f"{field}.type", "must be 'object'")
    if "$ref" in json.dumps(schema):
        raise ValidationFailed.one(field, "must not use $ref")
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping) or len(properties) > MAX_PROPERTIES:
        raise ValidationFailed.one(
            f"{field}.properties", f"must be an object of at most {MAX_PROPERTIES} attributes"
        )
    for name, definition in properties.items():
        where = f"{field}.properties.{name}"
        if not _attribute_name(name):
            raise ValidationFailed.one(where, "names are 1-40 letters, digits or '_'")
        if not isinstance(definition, Mapping) or definition.get("type") not in SIMPLE_TYPES:
            raise ValidationFailed.one(f"{where}.type", f"must be one of {', '.join(SIMPLE_TYPES)}")
    if not isinstance(public, list) or not all(isinstance(p, str) for p in public):
        raise ValidationFailed.one("body.public_attributes", "must be a list of attribute names")
    unknown = sorted(set(public) - set(properties))
    if unknown:
        raise ValidationFailed.one(
            "body.public_attributes", f"names unknown attributes: {', '.join(unknown)}"
        )


def _attribute_name(name: str) -> bool:
    return 0 < len(name) <= 40 and all(c.isalnum() or c == "_" for c in name) and name.isascii()


def normalise_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema as stored: unknown attributes refused unless allowed explicitly."""
    result = dict(schema)
    result.setdefault("properties", {})
    result.setdefault("additionalProperties", False)
    return result


def validate(
    schema: Mapping[str, Any], values: Any, *, field: str = "body.attributes"
) -> dict[str, Any]:
    """Check ``values`` against the schema; every violation is named with its attribute."""
    if not isinstance(values, Mapping):
        raise ValidationFailed.one(field, "must be an object")
    for name, value in values.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationFailed.one(f"{field}.{name}", "must be a finite number")
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = [
        _field_error(error, field)
        for error in sorted(validator.iter_errors(dict(values)), key=lambda e: list(e.path))
    ]
    if errors:
        detail = "; ".join(f"{e.field}: {e.reason}" for e in errors[:5])
        raise ValidationFailed(detail=detail, errors=errors)
    return dict(values)


def _field_error(error: SchemaViolation, field: str) -> FieldError:
    path = [str(p) for p in error.path]
    if error.validator == "required" and isinstance(error.instance, Mapping):
        missing = [r for r in error.validator_value if r not in error.instance]
        return FieldError(".".join([field, *path, *missing[:1]]), N_("is required"))
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in known)
        return FieldError(
            ".".join([field, *path, *extra[:1]]), N_("is not an attribute of this type")
        )
    return FieldError(".".join([field, *path]), _reason(error))


def _reason(error: SchemaViolation) -> str:
    kind = error.validator
    value = error.validator_value
    reasons = {
        "type": f"must be of type {value}",
        "enum": "must be one of " + ", ".join(map(str, value)) if isinstance(value, list) else "",
        "minimum": f"must be at least {value}",
        "maximum": f"must be at most {value}",
        "exclusiveMinimum": f"must be more than {value}",
        "exclusiveMaximum": f"must be less than {value}",
        "maxLength": f"must be at most {value} characters",
        "minLength": f"must be at least {value} characters",
        "pattern": f"must match the pattern {value}",
        "format": f"must be a valid {value}",
    }
    return reasons.get(str(kind)) or error.message[:200]


def properties(schema: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    props = schema.get("properties", {})
    return {str(k): dict(v) for k, v in props.items()} if isinstance(props, Mapping) else {}


def coerce_text(schema: Mapping[str, Any], name: str, text: str, *, field: str) -> Any:
    """A value from a form field or a CSV cell, converted to the attribute's type."""
    definition = properties(schema).get(name)
    kind = definition.get("type") if definition else "string"
    text = text.strip()
    try:
        if kind == "integer":
            number = float(text.replace(",", "."))
            if not number.is_integer():
                raise ValueError
            return int(number)
        if kind == "number":
            number = float(text.replace(",", "."))
            if not math.isfinite(number):
                raise ValueError
            return number
    except ValueError as exc:
        raise ValidationFailed.one(
            field, f"must be {'an integer' if kind == 'integer' else 'a number'}"
        ) from exc
    if kind == "boolean":
        lowered = text.lower()
        if lowered in ("true", "1", "yes", "ja", "wahr", "x", "on"):
            return True
        if lowered in ("false", "0", "no", "nein", "falsch", "off"):
            return False
        raise ValidationFailed.one(field, N_("must be true or false (ja/nein)"))
    return text


def public_values(attributes: Mapping[str, Any], public: list[str]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if k in public}


def queryable_types(schema: Mapping[str, Any], public: list[str]) -> dict[str, str]:
    return {
        name: str(definition.get("type"))
        for name, definition in properties(schema).items()
        if name in public and definition.get("type") in SIMPLE_TYPES
    }


# --- attributes as rows of a form -----------------------------------------------------------


@dataclass(frozen=True)
class AttributeRow:
    """One attribute as staff define it in a form: texts as typed (numbers parsed here)."""

    name: str
    title: str = ""
    type: str = "string"
    required: bool = False
    public: bool = False
    allowed: str = ""  # allowed values, separated by commas
    minimum: str = ""
    maximum: str = ""


def rows_of(schema: Mapping[str, Any], public: list[str]) -> list[AttributeRow]:
    """The schema's attributes as form rows (the inverse of :func:`schema_of`)."""
    required = set(schema.get("required", []))
    return [
        AttributeRow(
            name=name,
            title=str(p.get("title", "")),
            type=str(p.get("type", "string")),
            required=name in required,
            public=name in public,
            allowed=", ".join(str(v) for v in p.get("enum", [])),
            minimum=_bound_text(p.get("minimum")),
            maximum=_bound_text(p.get("maximum")),
        )
        for name, p in properties(schema).items()
    ]


def _bound_text(value: Any) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


#: The keywords the form rows set; a stored attribute keeps its others (``maxLength`` …).
ROW_KEYWORDS = frozenset({"type", "title", "enum", "minimum", "maximum"})


def schema_of(
    rows: list[AttributeRow], *, base: Mapping[str, Any] | None = None, field: str = "attributes"
) -> tuple[dict[str, Any], list[str]]:
    """An object schema and the public attribute names from form rows; every fault of every
    row is named at its field (``attributes.2.name`` …). Rows without a name are left out.
    ``base``: the stored schema, whose attributes keep the keywords the rows do not set."""
    before = properties(base or {})
    errors: list[FieldError] = []
    props: dict[str, Any] = {}
    required: list[str] = []
    public: list[str] = []
    for i, row in enumerate(rows):
        where = f"{field}.{i}"
        if not row.name:
            if row.title or row.allowed or row.minimum or row.maximum:
                errors.append(FieldError(f"{where}.name", N_("give the attribute a name")))
            continue
        if not _attribute_name(row.name):
            errors.append(
                FieldError(
                    f"{where}.name", N_("use up to 40 letters, digits or '_', without spaces")
                )
            )
        elif row.name in props:
            errors.append(FieldError(f"{where}.name", N_("is used twice")))
        if row.type not in SIMPLE_TYPES:
            errors.append(FieldError(f"{where}.type", N_("choose a type from the list")))
            continue
        kept = before.get(row.name, {})
        definition: dict[str, Any] = {
            k: v for k, v in kept.items() if k not in ROW_KEYWORDS and kept.get("type") == row.type
        }
        definition["type"] = row.type
        if row.title:
            if len(row.title) > 200:
                errors.append(FieldError(f"{where}.title", N_("is too long")))
            definition["title"] = row.title
        allowed = [v.strip() for v in row.allowed.split(",") if v.strip()]
        if allowed:
            if row.type != "string":
                errors.append(
                    FieldError(f"{where}.allowed", N_("allowed values are for text attributes"))
                )
            elif len(allowed) != len(set(allowed)):
                errors.append(FieldError(f"{where}.allowed", N_("a value is listed twice")))
            else:
                definition["enum"] = allowed
        bounds = {}
        for bound in ("minimum", "maximum"):
            raw = getattr(row, bound).replace(",", ".")
            if not raw:
                continue
            if row.type not in ("number", "integer"):
                errors.append(FieldError(f"{where}.{bound}", N_("bounds are for numbers")))
                continue
            try:
                number = float(raw)
            except ValueError:
                number = math.nan
            if not math.isfinite(number) or (row.type == "integer" and not number.is_integer()):
                reason = (
                    N_("must be a whole number")
                    if row.type == "integer"
                    else N_("must be a number")
                )
                errors.append(FieldError(f"{where}.{bound}", reason))
                continue
            bounds[bound] = int(number) if row.type == "integer" else number
        if len(bounds) == 2 and bounds["minimum"] > bounds["maximum"]:
            errors.append(FieldError(f"{where}.maximum", N_("must not be less than the minimum")))
        definition.update(bounds)
        props[row.name] = definition
        if row.required:
            required.append(row.name)
        if row.public:
            public.append(row.name)
    if len(props) > MAX_PROPERTIES:
        errors.append(FieldError(field, N_("too many attributes")))
    if errors:
        raise ValidationFailed(
            detail="; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors
        )
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema, public
