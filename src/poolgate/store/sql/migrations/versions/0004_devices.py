"""Devices of users (device tracking and device SRP).

Revision ID: 0004_devices
Revises: 0003_auth_tokens
Create Date: 2025-01-04

A frozen snapshot like the earlier revisions: it does not import ``tables``, and runs
unchanged on SQLite and PostgreSQL. It only adds a table, so existing data is kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_devices"
down_revision: str | None = "0003_auth_tokens"
branch_labels: str | None = None
depends_on: str | None = None


def _ident(length: int) -> sa.types.TypeEngine[str]:
    # Identifiers sort bytewise on PostgreSQL too (the "C" collation), as on SQLite.
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("pool_id", _ident(55), nullable=False),
        sa.Column("device_key", _ident(64), nullable=False),
        sa.Column("sub", _ident(64), nullable=False),
        sa.Column("group_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("name", sa.String(1024), nullable=True),
        sa.Column("salt", sa.String(128), nullable=True),
        sa.Column("verifier_enc", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("confirmed_at", sa.Double(), nullable=True),
        sa.Column("last_authenticated_at", sa.Double(), nullable=True),
        sa.Column("last_ip", sa.String(64), nullable=True),
        sa.Column("expires_at", sa.Double(), nullable=True),
        sa.Column("pending_session", _ident(128), nullable=True),
        sa.PrimaryKeyConstraint("pool_id", "device_key", name="pk_devices"),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["user_pools.id"], name="fk_devices_pool_id_user_pools", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["pool_id", "sub"],
            ["users.pool_id", "users.sub"],
            name="fk_devices_pool_id_users",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_devices_expires_at", "devices", ["expires_at"])
    op.create_index("ix_devices_pool_sub", "devices", ["pool_id", "sub", "device_key"])


def downgrade() -> None:
    op.drop_index("ix_devices_pool_sub", table_name="devices")
    op.drop_index("ix_devices_expires_at", table_name="devices")
    op.drop_table("devices")
