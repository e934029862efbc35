"""The SensorThings entities: Things, Locations, Sensors, Datastreams, Observations, Tasking.

Revision ID: sensing_0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from allmende.storage.base import IdType, JSONType
from allmende.storage.geometry import create_spatial_indexes, geometry_columns

revision = "sensing_0001"
down_revision = None
branch_labels = ("sensing",)
depends_on = "identity_0001"

Micros: Any = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _owned(table: str) -> list[Any]:
    return [
        sa.Column("municipality_id", IdType, nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["identity_municipalities.id"],
            name=op.f(f"fk_{table}_municipality_id_identity_municipalities"),
            ondelete="CASCADE",
        ),
    ]


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> Any:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=unique)


def _statistics() -> list[Any]:
    return [
        sa.Column("phenomenon_time_start", Micros, nullable=True),
        sa.Column("phenomenon_time_end", Micros, nullable=True),
        sa.Column("result_time_start", Micros, nullable=True),
        sa.Column("result_time_end", Micros, nullable=True),
        sa.Column("observation_count", sa.BigInteger(), nullable=False),
        sa.Column("latest_observation_id", IdType, nullable=True),
        sa.Column("latest_phenomenon_time", Micros, nullable=True),
    ]


def upgrade() -> None:
    t = "sensing_things"
    op.create_table(
        t,
        sa.Column("id", IdType, primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", JSONType, nullable=True),
        *_owned(t),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    _index(t, "municipality_id")

    t = "sensing_locations"
    op.create_table(
        t,
        sa.Column("id", IdType, primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("encoding_type", sa.String(200), nullable=False),
        sa.Column("location", JSONType, nullable=False),
        sa.Column("properties", JSONType, nullable=True),
        *_owned(t),
        *geometry_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    _index(t, "municipality_id")
    create_spatial_indexes(op, t)

    t = "sensing_thing_locations"
    op.create_table(
        t,
        sa.Column("thing_id", IdType, nullable=False),
        sa.Column("location_id", IdType, nullable=False),
        _fk(t, "thing_id", "sensing_things"),
        _fk(t, "location_id", "sensing_locations"),
        sa.PrimaryKeyConstraint("thing_id", "location_id", name=op.f(f"pk_{t}")),
    )
    _index(t, "location_id")

    t = "sensing_historical_locations"
    op.create_table(
        t,
        sa.Column("id", IdType, primary_key=True),
        sa.Column("thing_id", IdType, nullable=False),
        sa.Column("time", Micros, nullable=False),
        _fk(t, "thing_id", "sensing_things"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    _index(t, "thing_id")

    t = "sensing_historical_location_locations"
    op.create_table(
        t,
        sa.Column("historical_location_id", IdType, nullable=False),
        sa.Column("location_id", IdType, nullable=False),
        _fk(t, "historical_location_id", "sensing_historical_locations"),
        _fk(t, "location_id", "sensing_locations"),
        sa.PrimaryKeyConstraint("historical_location_id", "location_id", name=op.f(f"pk_{t}")),
    )
    _index(t, "location_id")

    t = "sensing_sensors"
    op.create_table(
        t,
        sa.Column("id", IdType, primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("encoding_type", sa.String(200), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.Column("properties", JSONType, nullable=True),
        *_owned(t),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    _index(t, "municipality_id")

    t = "sensing_observed_properties"
    op.create_table(
        t,
        sa.Column("id", IdType, primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", JSONType, nullable=True),
        *_owned(t),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    _index(t, "municipality_id")

    t = "sensing_datastreams"
    op.create_table(
        t,
        sa.Column("id", IdType, primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("observation_type", sa.Text(), nullable=False),
        sa.Column("unit_of_measurement", JSONType, nullable=False),
        sa.Column("properties", JSONType, nullable=True),
        sa.Column("thing_id", IdType, nullable=False),
        sa.Column("sensor_id", IdType, nullable=False),
        sa.Column("observed_property_id", IdType, nullable=False),
        *_statistics(),
        *_owned(t),
        *geometry_columns(),
        _fk(t, "thing_id", "sensing_things"),
        _fk(t, "sensor_id", "sensing_sensors"),
        _fk(t, "observed_property_id", "sensing_observed_properties"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    for column in ("municipality_id", "thing_id", "sensor_id", "observed_property_id"):
        _index(t, column)
    create_spatial_indexes(op, t)

    t = "sensing_multi_datastreams"
    op.create_table(
        t,
        sa.Column("id", IdType, primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("observation_type", sa.Text(), nullable=False),
        sa.Column("multi_observation_data_types", JSONType, nullable=False),
        sa.Column("unit_of_measurements", JSONType, nullable=False),
        sa.Column("properties", JSONType, nullable=True),
        sa.Column("thing_id", IdType, nullable=False),
        sa.Column("sensor_id", IdType, nullable=False),
        *_statistics(),
        *_owned(t),
        *geometry_columns(),
        _fk(t, "thing_id", "sensing_things"),
        _fk(t, "sensor_id", "sensing_sensors"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    for column in ("municipality_id", "thing_id", "sensor_id"):
        _index(t, column)
    create_spatial_indexes(op, t)

    t = "sensing_multi_datastream_observed_properties"
    op.create_table(
        t,
        sa.Column("multi_datastream_id", IdType, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("observed_property_id", IdType, nullable=False),
        _fk(t, "multi_datastream_id", "sensing_multi_datastreams"),
        _fk(t, "observed_property_id", "sensing_observed_properties"),
        sa.PrimaryKeyConstraint("multi_datastream_id", "position", name=op.f(f"pk_{t}")),
    )
    _index(t, "observed_property_id")

    t = "sensing_features"
    op.create_table(
        t,
        sa.Column("id", IdType, primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("encoding_type", sa.String(200), nullable=False),
        sa.Column("feature", JSONType, nullable=False),
        sa.Column("properties", JSONType, nullable=True),
        sa.Column("location_id", IdType, nullable=True),
        *_owned(t),
        *geometry_columns(),
        _fk(t, "location_id", "sensing_locations", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("location_id", name=op.f(f"uq_{t}_location_id")),
    )
    _index(t, "municipality_id")
    create_spatial_indexes(op, t)

    t = "sensing_observations"
    op.create_table(
        t,
        sa.Column("id", IdType, primary_key=True),
        sa.Column("datastream_id", IdType, nullable=True),
        sa.Column("multi_datastream_id", IdType, nullable=True),
        sa.Column("feature_id", IdType, nullable=False),
        sa.Column("phenomenon_time", Micros, nullable=False),
        sa.Column("phenomenon_time_end", Micros, nullable=False),
        sa.Column("result_time", Micros, nullable=True),
        sa.Column("valid_time_start", Micros, nullable=True),
        sa.Column("valid_time_end", Micros, nullable=True),
        sa.Column("result_kind", sa.SmallInteger(), nullable=False),
        sa.Column("result_number", sa.Float(), nullable=True),
        sa.Column("result_text", sa.Text(), nullable=True),
        sa.Column("result_json", JSONType, nullable=True),
        sa.Column("result_quality", JSONType, nullable=True),
        sa.Column("parameters", JSONType, nullable=True),
        _fk(t, "datastream_id", "sensing_datastreams"),
        _fk(t, "multi_datastream_id", "sensing_multi_datastreams"),
        _fk(t, "feature_id", "sensing_features"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index(
        "ix_sensing_observations_datastream_time",
        t,
        ["datastream_id", "phenomenon_time", "phenomenon_time_end"],
        unique=True,
    )
    op.create_index(
        "ix_sensing_observations_multi_datastream_time",
        t,
        ["multi_datastream_id", "phenomenon_time", "phenomenon_time_end"],
        unique=True,
        sqlite_where=sa.text("multi_datastream_id IS NOT NULL"),
        postgresql_where=sa.text("multi_datastream_id IS NOT NULL"),
    )
    _index(t, "feature_id")

    t = "sensing_actuators"
    op.create_table(
        t,
        sa.Column("id", IdType, primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("encoding_type", sa.String(200), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.Column("properties", JSONType, nullable=True),
        *_owned(t),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    _index(t, "municipality_id")

    t = "sensing_tasking_capabilities"
    op.create_table(
        t,
        sa.Column("id", IdType, primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tasking_parameters", JSONType, nullable=False),
        sa.Column("properties", JSONType, nullable=True),
        sa.Column("thing_id", IdType, nullable=False),
        sa.Column("actuator_id", IdType, nullable=False),
        *_owned(t),
        _fk(t, "thing_id", "sensing_things"),
        _fk(t, "actuator_id", "sensing_actuators"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    for column in ("municipality_id", "thing_id", "actuator_id"):
        _index(t, column)

    t = "sensing_tasks"
    op.create_table(
        t,
        sa.Column("id", IdType, primary_key=True),
        sa.Column("tasking_capability_id", IdType, nullable=False),
        sa.Column("creation_time", Micros, nullable=False),
        sa.Column("tasking_parameters", JSONType, nullable=False),
        _fk(t, "tasking_capability_id", "sensing_tasking_capabilities"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    _index(t, "tasking_capability_id")


def downgrade() -> None:
    for table in (
        "sensing_tasks",
        "sensing_tasking_capabilities",
        "sensing_actuators",
        "sensing_observations",
        "sensing_features",
        "sensing_multi_datastream_observed_properties",
        "sensing_multi_datastreams",
        "sensing_datastreams",
        "sensing_observed_properties",
        "sensing_sensors",
        "sensing_historical_location_locations",
        "sensing_historical_locations",
        "sensing_thing_locations",
        "sensing_locations",
        "sensing_things",
    ):
        op.drop_table(table)
