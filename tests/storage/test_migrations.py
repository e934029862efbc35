"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Index

import allmende.identity.models  # noqa: F401 - registers the kernel's tables
from allmende.storage.base import Base
from allmende.storage.database import Database
from allmende.storage.migrate import pending_heads

pytestmark = pytest.mark.integration


def _for_other_dialect(diff: tuple[object, ...], dialect: str) -> bool:
    """An index declared for one backend only (GiST on PostgreSQL, bbox on SQLite)."""
    item = diff[1] if len(diff) > 1 else None
    if not isinstance(item, Index):
        return False
    declared = {i.name: i for t in Base.metadata.tables.values() for i in t.indexes}
    ddl_if = getattr(declared.get(item.name), "_ddl_if", None)  # autogenerate copies drop it
    return ddl_if is not None and ddl_if.dialect not in (None, dialect)


def test_models_and_migrations_agree(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [
            d
            for d in compare_metadata(context, Base.metadata)
            if not _for_other_dialect(d, database.dialect)
            and not (d[0] == "remove_table" and d[1].name == "spatial_ref_sys")  # type: ignore[union-attr]
        ]
    assert diffs == []


def test_no_pending_heads_after_upgrade(
    database: Database, database_url: str, migration_locations: list[Path]
) -> None:
    assert pending_heads(database_url, migration_locations, database.engine) == set()


def test_a_module_left_off_leaves_no_pending_heads(
    database: Database, database_url: str, migration_locations: list[Path]
) -> None:
    """Its applied migrations are unknown to an installation without it: no reason to stop."""
    without = [p for p in migration_locations if "allmende_notices" not in str(p)]
    assert len(without) == len(migration_locations) - 1
    assert pending_heads(database_url, without, database.engine) == set()
