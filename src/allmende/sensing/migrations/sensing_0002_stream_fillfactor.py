"""Room for HOT updates in the (Multi)Datastream tables on PostgreSQL.

Every batch of Observations updates its streams' statistics. With half of each page kept free,
PostgreSQL writes the new row version on the same page and touches no index (a HOT update),
which halves the cost of that update. SQLite has no such setting.

Revision ID: sensing_0002
Revises: sensing_0001
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "sensing_0002"
down_revision = "sensing_0001"
branch_labels = None
depends_on = None

TABLES = ("sensing_datastreams", "sensing_multi_datastreams")


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
