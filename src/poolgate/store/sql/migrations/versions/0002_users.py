"""Users, lookup keys, the ListUsers index, groups, one-time codes and counters.

Revision ID: 0002_users
Revises: 0001_initial
Create Date: 2025-01-02

A frozen snapshot like 0001: it does not import ``tables``, and runs unchanged on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_users"
down_revision: str | None = "0001_initial"
branch_labels: str | None = None
depends_on: str | None = None


def _ident(length: int) -> sa.types.TypeEngine[str]:
    # Identifiers sort bytewise on PostgreSQL too (the "C" collation), as on SQLite.
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _ident_text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["pool_id", "sub"],
        ["users.pool_id", "users.sub"],
        name=f"fk_{table}_pool_id_users",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("pool_id", _ident(55), nullable=False),
        sa.Column("sub", _ident(64), nullable=False),
        sa.Column("username", _ident(128), nullable=False),
        sa.Column("status", _ident(32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("password_enc", sa.LargeBinary(), nullable=True),
        sa.Column("password_set_at", sa.Double(), nullable=True),
        sa.Column("password_history_enc", sa.LargeBinary(), nullable=True),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "sub", name="pk_users"),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["user_pools.id"], name="fk_users_pool_id_user_pools", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_users_pool_username", "users", ["pool_id", "username"])
    op.create_index("ix_users_pool_status", "users", ["pool_id", "status"])
    op.create_table(
        "user_keys",
        sa.Column("pool_id", _ident(55), nullable=False),
        sa.Column("kind", _ident(32), nullable=False),
        sa.Column("key_digest", sa.LargeBinary(32), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("sub", _ident(64), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "kind", "key_digest", name="pk_user_keys"),
        _user_fk("user_keys"),
    )
    op.create_index("ix_user_keys_pool_sub", "user_keys", ["pool_id", "sub"])
    op.create_table(
        "user_search",
        sa.Column("pool_id", _ident(55), nullable=False),
        sa.Column("sub", _ident(64), nullable=False),
        sa.Column("attribute", _ident(32), nullable=False),
        sa.Column("value_head", _ident(256), nullable=False),
        sa.Column("value", _ident_text(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "sub", "attribute", name="pk_user_search"),
        _user_fk("user_search"),
    )
    op.create_index("ix_user_search_lookup", "user_search", ["pool_id", "attribute", "value_head", "sub"])
    op.create_table(
        "groups",
        sa.Column("pool_id", _ident(55), nullable=False),
        sa.Column("name", _ident(128), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("role_arn", sa.String(2048), nullable=True),
        sa.Column("precedence", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "name", name="pk_groups"),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["user_pools.id"], name="fk_groups_pool_id_user_pools", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "group_members",
        sa.Column("pool_id", _ident(55), nullable=False),
        sa.Column("group_name", _ident(128), nullable=False),
        sa.Column("sub", _ident(64), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "group_name", "sub", name="pk_group_members"),
        sa.ForeignKeyConstraint(
            ["pool_id", "group_name"],
            ["groups.pool_id", "groups.name"],
            name="fk_group_members_pool_id_groups",
            ondelete="CASCADE",
        ),
        _user_fk("group_members"),
    )
    op.create_index("ix_group_members_pool_sub", "group_members", ["pool_id", "sub", "group_name"])
    op.create_table(
        "codes",
        sa.Column("pool_id", _ident(55), nullable=False),
        sa.Column("sub", _ident(64), nullable=False),
        sa.Column("purpose", _ident(64), nullable=False),
        sa.Column("code_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "sub", "purpose", name="pk_codes"),
        _user_fk("codes"),
    )
    op.create_index("ix_codes_expires_at", "codes", ["expires_at"])
    op.create_table(
        "counters",
        sa.Column("scope", _ident(64), nullable=False),
        sa.Column("key", _ident(512), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("window_end", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_counters"),
    )
    op.create_index("ix_counters_window_end", "counters", ["window_end"])


def downgrade() -> None:
    op.drop_index("ix_counters_window_end", table_name="counters")
    op.drop_table("counters")
    op.drop_index("ix_codes_expires_at", table_name="codes")
    op.drop_table("codes")
    op.drop_index("ix_group_members_pool_sub", table_name="group_members")
    op.drop_table("group_members")
    op.drop_table("groups")
    op.drop_index("ix_user_search_lookup", table_name="user_search")
    op.drop_table("user_search")
    op.drop_index("ix_user_keys_pool_sub", table_name="user_keys")
    op.drop_table("user_keys")
    op.drop_index("ix_users_pool_status", table_name="users")
    op.drop_index("ix_users_pool_username", table_name="users")
    op.drop_table("users")
