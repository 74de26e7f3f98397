"""The auth event history (threat protection): one row per sign-in attempt.

Revision ID: 0005_auth_events
Revises: 0004_devices
Create Date: 2025-01-05

A frozen snapshot like the earlier revisions: it does not import ``tables``, and runs
unchanged on SQLite and PostgreSQL. It only adds a table, so existing data is kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_auth_events"
down_revision: str | None = "0004_devices"
branch_labels: str | None = None
depends_on: str | None = None


def _ident(length: int) -> sa.types.TypeEngine[str]:
    # Identifiers sort bytewise on PostgreSQL too (the "C" collation), as on SQLite.
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "auth_events",
        sa.Column("event_id", _ident(64), nullable=False),
        sa.Column("pool_id", _ident(55), nullable=False),
        sa.Column("sub", _ident(64), nullable=False),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("response", sa.String(16), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("device", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("analytics_endpoint_id", sa.String(256), nullable=True),
        sa.Column("feedback", sa.String(16), nullable=True),
        sa.Column("feedback_provider", sa.String(32), nullable=True),
        sa.Column("feedback_at", sa.Double(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_auth_events"),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["user_pools.id"], name="fk_auth_events_pool_id_user_pools", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_auth_events_pool_sub", "auth_events", ["pool_id", "sub", "created_at"])
    op.create_index("ix_auth_events_pool_ip", "auth_events", ["pool_id", "ip", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_auth_events_pool_ip", table_name="auth_events")
    op.drop_index("ix_auth_events_pool_sub", table_name="auth_events")
    op.drop_table("auth_events")
