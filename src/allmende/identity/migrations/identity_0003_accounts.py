"""Accounts people make themselves: when the owner confirmed the e-mail address.

Accounts made before this revision were made by administrators and count as confirmed.

Revision ID: identity_0003
Revises: identity_0001
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from allmende.storage.base import UTCDateTime

revision = "identity_0003"
down_revision = "identity_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("identity_users") as batch:
        batch.add_column(sa.Column("email_confirmed_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE identity_users SET email_confirmed_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("identity_users") as batch:
        batch.drop_column("email_confirmed_at")
