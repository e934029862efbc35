"""Alembic environment: runs inside the connection the caller opened (see storage/migrate.py)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

config = context.config
target_metadata = config.attributes.get("target_metadata")


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.attributes["url"])
        with engine.begin() as own:
            _migrate(own)
        engine.dispose()
        return
    _migrate(connection)


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_include,
    )
    with context.begin_transaction():
        context.run_migrations()


def _include(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    # PostGIS owns these tables; they are not ours to migrate.
    return not (type_ == "table" and name in {"spatial_ref_sys"})


run()
