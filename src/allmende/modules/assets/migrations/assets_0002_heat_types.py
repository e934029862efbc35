"""Object types for heat adaptation and land cover: cool places, drinking fountains, shade,
buildings, water bodies and green spaces.

Revision ID: assets_0002
Revises: assets_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from allmende.sdk import JSONType, UTCDateTime, utcnow

revision = "assets_0002"
down_revision = "assets_0001"
branch_labels = None
depends_on = None


def N_(message: str) -> str:  # noqa: N802 - marks the built-in names for the catalogue
    return message


def _string(title: str) -> dict[str, Any]:
    return {"type": "string", "title": title, "maxLength": 200}


def _number(title: str, minimum: float, maximum: float) -> dict[str, Any]:
    return {"type": "number", "title": title, "minimum": minimum, "maximum": maximum}


def _boolean(title: str) -> dict[str, Any]:
    return {"type": "boolean", "title": title}


def _schema(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "additionalProperties": False}


#: key, name, geometry kind, schema, public attributes
TYPES: tuple[tuple[str, str, str, dict[str, Any], tuple[str, ...]], ...] = (
    (
        "cool_place",
        N_("Cool place"),
        "any",
        _schema(
            {
                "place_kind": _string("Art (Bibliothek, Kirche, Kühlraum …)"),
                "opening_hours": _string("Öffnungszeiten"),
                "accessible": _boolean("Barrierefrei"),
                "drinking_water": _boolean("Trinkwasser"),
                "seats": _number("Sitzplätze", 0, 10_000),
            }
        ),
        ("place_kind", "opening_hours", "accessible", "drinking_water", "seats"),
    ),
    (
        "drinking_fountain",
        N_("Drinking fountain"),
        "point",
        _schema({"opening_hours": _string("Betriebszeit"), "accessible": _boolean("Barrierefrei")}),
        ("opening_hours", "accessible"),
    ),
    (
        "shade",
        N_("Shade"),
        "any",
        _schema(
            {
                "shade_kind": _string("Art (Bäume, Sonnensegel, Überdachung)"),
                "opening_hours": _string("Zugänglich"),
                "seats": _number("Sitzplätze", 0, 10_000),
            }
        ),
        ("shade_kind", "opening_hours", "seats"),
    ),
    (
        "building",
        N_("Building"),
        "polygon",
        _schema({"height_m": _number("Höhe (m)", 0, 500), "storeys": _number("Geschosse", 0, 200)}),
        ("height_m", "storeys"),
    ),
    ("water_body", N_("Water body"), "polygon", _schema({}), ()),
    (
        "green_space",
        N_("Green space"),
        "polygon",
        _schema({"green_kind": _string("Art (Park, Wiese, Friedhof …)")}),
        ("green_kind",),
    ),
)


def upgrade() -> None:
    types = sa.table(
        "assets_types",
        sa.column("key", sa.String),
        sa.column("name", sa.String),
        sa.column("description", sa.Text),
        sa.column("geometry_kind", sa.String),
        sa.column("attribute_schema", JSONType),
        sa.column("public_attributes", JSONType),
        sa.column("public", sa.Boolean),
        sa.column("bookable", sa.Boolean),
        sa.column("adoptable", sa.Boolean),
        sa.column("created_at", UTCDateTime()),
    )
    now = utcnow()
    op.bulk_insert(
        types,
        [
            {
                "key": key,
                "name": name,
                "description": "",
                "geometry_kind": kind,
                "attribute_schema": schema,
                "public_attributes": list(public),
                "public": True,
                "bookable": False,
                "adoptable": False,
                "created_at": now,
            }
            for key, name, kind, schema, public in TYPES
        ],
    )


def downgrade() -> None:
    keys = ", ".join(f"'{key}'" for key, *_ in TYPES)
    op.execute(f"DELETE FROM assets_types WHERE municipality_id IS NULL AND key IN ({keys})")  # noqa: S608 - fixed keys
