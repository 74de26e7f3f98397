"""Initial schema: meta, access keys, user pools, app clients and the outbox.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01

This file is a frozen snapshot; it must not import ``tables`` (which keeps
changing). It runs unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _ident(length: int) -> sa.types.TypeEngine[str]:
    # Identifiers sort bytewise on PostgreSQL too (the "C" collation), as on SQLite.
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", _ident(128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_meta"),
    )
    op.create_table(
        "access_keys",
        sa.Column("access_key_id", _ident(128), nullable=False),
        sa.Column("secret_enc", sa.LargeBinary(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("revoked_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("access_key_id", name="pk_access_keys"),
    )
    op.create_table(
        "user_pools",
        sa.Column("id", _ident(55), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_pools"),
    )
    op.create_table(
        "user_pool_clients",
        sa.Column("client_id", _ident(128), nullable=False),
        sa.Column("user_pool_id", _ident(55), nullable=False),
        sa.Column("client_name", sa.String(128), nullable=False),
        sa.Column("secret_enc", sa.LargeBinary(), nullable=True),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name="pk_user_pool_clients"),
        sa.ForeignKeyConstraint(
            ["user_pool_id"],
            ["user_pools.id"],
            name="fk_user_pool_clients_user_pool_id_user_pools",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_user_pool_clients_user_pool_id", "user_pool_clients", ["user_pool_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("user_pool_id", _ident(55), nullable=False),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("destination", sa.String(2048), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("code", sa.String(64), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_expires_at", "outbox", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_expires_at", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_user_pool_clients_user_pool_id", table_name="user_pool_clients")
    op.drop_table("user_pool_clients")
    op.drop_table("user_pools")
    op.drop_table("access_keys")
    op.drop_table("meta")
