"""Auth sessions, login attempts, signing keys and token sessions.

Revision ID: 0003_auth_tokens
Revises: 0002_users
Create Date: 2025-01-03

A frozen snapshot like 0001 and 0002: it does not import ``tables``, and runs
unchanged on SQLite and PostgreSQL. It only adds tables, so existing data is kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_auth_tokens"
down_revision: str | None = "0002_users"
branch_labels: str | None = None
depends_on: str | None = None


def _ident(length: int) -> sa.types.TypeEngine[str]:
    # Identifiers sort bytewise on PostgreSQL too (the "C" collation), as on SQLite.
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def _pool_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["pool_id"], ["user_pools.id"], name=f"fk_{table}_pool_id_user_pools", ondelete="CASCADE"
    )


def _client_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["client_id"],
        ["user_pool_clients.client_id"],
        name=f"fk_{table}_client_id_user_pool_clients",
        ondelete="CASCADE",
    )


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["pool_id", "sub"],
        ["users.pool_id", "users.sub"],
        name=f"fk_{table}_pool_id_users",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "auth_sessions",
        sa.Column("id", _ident(128), nullable=False),
        sa.Column("pool_id", _ident(55), nullable=False),
        sa.Column("client_id", _ident(128), nullable=False),
        sa.Column("sub", _ident(64), nullable=True),
        sa.Column("challenge", sa.String(64), nullable=False),
        sa.Column("state_enc", sa.LargeBinary(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auth_sessions"),
        _pool_fk("auth_sessions"),
        _client_fk("auth_sessions"),
    )
    op.create_index("ix_auth_sessions_client_id", "auth_sessions", ["client_id"])
    op.create_index("ix_auth_sessions_expires_at", "auth_sessions", ["expires_at"])
    op.create_table(
        "login_attempts",
        sa.Column("pool_id", _ident(55), nullable=False),
        sa.Column("sub", _ident(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.Double(), nullable=True),
        sa.Column("locked_until", sa.Double(), nullable=True),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "sub", name="pk_login_attempts"),
        _user_fk("login_attempts"),
    )
    op.create_index("ix_login_attempts_expires_at", "login_attempts", ["expires_at"])
    op.create_table(
        "signing_keys",
        sa.Column("pool_id", _ident(55), nullable=False),
        sa.Column("kid", _ident(128), nullable=False),
        sa.Column("use", sa.String(16), nullable=False),
        sa.Column("private_enc", sa.LargeBinary(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("retired_at", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("pool_id", "kid", name="pk_signing_keys"),
        _pool_fk("signing_keys"),
    )
    op.create_table(
        "token_sessions",
        sa.Column("refresh_hash", _ident(128), nullable=False),
        sa.Column("pool_id", _ident(55), nullable=False),
        sa.Column("client_id", _ident(128), nullable=False),
        sa.Column("sub", _ident(64), nullable=False),
        sa.Column("origin_jti", _ident(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("auth_time", sa.Double(), nullable=False),
        sa.Column("issued_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.Column("device_key", sa.String(128), nullable=True),
        sa.Column("revoked_at", sa.Double(), nullable=True),
        sa.Column("replaced_by", _ident(128), nullable=True),
        sa.Column("grace_until", sa.Double(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("refresh_hash", name="pk_token_sessions"),
        _pool_fk("token_sessions"),
        _client_fk("token_sessions"),
        _user_fk("token_sessions"),
    )
    op.create_index("ix_token_sessions_client_id", "token_sessions", ["client_id"])
    op.create_index("ix_token_sessions_expires_at", "token_sessions", ["expires_at"])
    op.create_index("ix_token_sessions_pool_origin", "token_sessions", ["pool_id", "origin_jti"])
    op.create_index("ix_token_sessions_pool_sub", "token_sessions", ["pool_id", "sub"])


def downgrade() -> None:
    op.drop_index("ix_token_sessions_pool_sub", table_name="token_sessions")
    op.drop_index("ix_token_sessions_pool_origin", table_name="token_sessions")
    op.drop_index("ix_token_sessions_expires_at", table_name="token_sessions")
    op.drop_index("ix_token_sessions_client_id", table_name="token_sessions")
    op.drop_table("token_sessions")
    op.drop_table("signing_keys")
    op.drop_index("ix_login_attempts_expires_at", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_index("ix_auth_sessions_expires_at", table_name="auth_sessions")
    op.drop_index("ix_auth_sessions_client_id", table_name="auth_sessions")
    op.drop_table("auth_sessions")
