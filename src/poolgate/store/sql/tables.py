"""SQLAlchemy Core tables: the current schema, as the repositories see it.

The migrations in ``migrations/versions`` build this schema; a test compares the
migrated database with this metadata, so the two cannot drift apart silently.

Conventions:

* Times are epoch seconds (UTC) in ``DOUBLE PRECISION`` / ``REAL`` columns.
* Configuration documents are JSON text, stored exactly as serialised.
* Secrets are ciphertexts (``LargeBinary``) made by :class:`MasterKey`; the
  :data:`ENCRYPTED_COLUMNS` registry lists each one with the AAD it is bound to,
  so key rotation and the master-key check cover new secrets automatically.
* Identifier columns use the "C" collation on PostgreSQL, so ``ORDER BY id``
  (pagination) and prefix range scans (ListUsers filters) see the same byte order
  as SQLite.
* Rows that belong to a user reference ``users (pool_id, sub)`` with
  ``ON DELETE CASCADE``, and ``users`` references its pool the same way, so
  deleting a pool or a user needs one statement.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def ident(length: int) -> sa.types.TypeEngine[str]:
    """An identifier type that sorts bytewise on every backend."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def ident_text() -> sa.types.TypeEngine[str]:
    """Unbounded text that compares bytewise on every backend (for range scans)."""
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def epoch() -> sa.types.TypeEngine[float]:
    """Epoch seconds as a double-precision float."""
    return sa.Double()


meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", ident(128), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

access_keys = sa.Table(
    "access_keys",
    metadata,
    sa.Column("access_key_id", ident(128), primary_key=True),
    sa.Column("secret_enc", sa.LargeBinary(), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("created_at", epoch(), nullable=False),
    sa.Column("revoked_at", epoch(), nullable=True),
)

user_pools = sa.Table(
    "user_pools",
    metadata,
    sa.Column("id", ident(55), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("config", sa.Text(), nullable=False),
    sa.Column("created_at", epoch(), nullable=False),
    sa.Column("updated_at", epoch(), nullable=False),
)

user_pool_clients = sa.Table(
    "user_pool_clients",
    metadata,
    sa.Column("client_id", ident(128), primary_key=True),
    sa.Column(
        "user_pool_id",
        ident(55),
        sa.ForeignKey("user_pools.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("client_name", sa.String(128), nullable=False),
    sa.Column("secret_enc", sa.LargeBinary(), nullable=True),
    sa.Column("config", sa.Text(), nullable=False),
    sa.Column("created_at", epoch(), nullable=False),
    sa.Column("updated_at", epoch(), nullable=False),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("user_pool_id", ident(55), nullable=False),
    sa.Column("username", sa.String(128), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("destination", sa.String(2048), nullable=False),
    sa.Column("purpose", sa.String(64), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("code", sa.String(64), nullable=True),
    sa.Column("created_at", epoch(), nullable=False),
    sa.Column("expires_at", epoch(), nullable=False, index=True),
)


# The ListUsers filter index keeps the first SEARCH_HEAD_CHARS characters of each value
# in an indexed column; 256 characters of UTF-8 stay well inside PostgreSQL's b-tree row
# limit (about 2,700 bytes) whatever the script, while attribute values may be 2,048.
SEARCH_HEAD_CHARS = 256

users = sa.Table(
    "users",
    metadata,
    sa.Column(
        "pool_id",
        ident(55),
        sa.ForeignKey("user_pools.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("sub", ident(64), primary_key=True),
    sa.Column("username", ident(128), nullable=False),
    sa.Column("status", ident(32), nullable=False),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("attributes", sa.Text(), nullable=False),
    sa.Column("created_at", epoch(), nullable=False),
    sa.Column("updated_at", epoch(), nullable=False),
    sa.Column("password_enc", sa.LargeBinary(), nullable=True),
    sa.Column("password_set_at", epoch(), nullable=True),
    sa.Column("password_history_enc", sa.LargeBinary(), nullable=True),
    sa.Column("settings", sa.Text(), nullable=False),
    sa.Index("ix_users_pool_username", "pool_id", "username"),
    sa.Index("ix_users_pool_status", "pool_id", "status"),
)

# Lookup keys (username, aliases) with the database enforcing their uniqueness per pool.
# The primary key holds the SHA-256 of the key rather than the key itself, so a long
# e-mail address cannot exceed the index row limit; ``key`` keeps the readable value.
user_keys = sa.Table(
    "user_keys",
    metadata,
    sa.Column("pool_id", ident(55), primary_key=True),
    sa.Column("kind", ident(32), primary_key=True),
    sa.Column("key_digest", sa.LargeBinary(32), primary_key=True),
    sa.Column("key", sa.Text(), nullable=False),
    sa.Column("sub", ident(64), nullable=False),
    sa.ForeignKeyConstraint(["pool_id", "sub"], ["users.pool_id", "users.sub"], ondelete="CASCADE"),
    sa.Index("ix_user_keys_pool_sub", "pool_id", "sub"),
)

# One row per (user, searchable attribute) that the user has, in its searchable form
# (see ``user_search``), so ListUsers filters are index range scans.
user_search = sa.Table(
    "user_search",
    metadata,
    sa.Column("pool_id", ident(55), primary_key=True),
    sa.Column("sub", ident(64), primary_key=True),
    sa.Column("attribute", ident(32), primary_key=True),
    sa.Column("value_head", ident(SEARCH_HEAD_CHARS), nullable=False),
    sa.Column("value", ident_text(), nullable=False),
    sa.ForeignKeyConstraint(["pool_id", "sub"], ["users.pool_id", "users.sub"], ondelete="CASCADE"),
    sa.Index("ix_user_search_lookup", "pool_id", "attribute", "value_head", "sub"),
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column(
        "pool_id",
        ident(55),
        sa.ForeignKey("user_pools.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("name", ident(128), primary_key=True),
    sa.Column("description", sa.Text(), nullable=True),
    sa.Column("role_arn", sa.String(2048), nullable=True),
    sa.Column("precedence", sa.Integer(), nullable=True),
    sa.Column("created_at", epoch(), nullable=False),
    sa.Column("updated_at", epoch(), nullable=False),
)

group_members = sa.Table(
    "group_members",
    metadata,
    sa.Column("pool_id", ident(55), primary_key=True),
    sa.Column("group_name", ident(128), primary_key=True),
    sa.Column("sub", ident(64), primary_key=True),
    sa.ForeignKeyConstraint(["pool_id", "group_name"], ["groups.pool_id", "groups.name"], ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["pool_id", "sub"], ["users.pool_id", "users.sub"], ondelete="CASCADE"),
    sa.Index("ix_group_members_pool_sub", "pool_id", "sub", "group_name"),
)

codes = sa.Table(
    "codes",
    metadata,
    sa.Column("pool_id", ident(55), primary_key=True),
    sa.Column("sub", ident(64), primary_key=True),
    sa.Column("purpose", ident(64), primary_key=True),
    sa.Column("code_hash", sa.Text(), nullable=False),
    sa.Column("created_at", epoch(), nullable=False),
    sa.Column("expires_at", epoch(), nullable=False, index=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["pool_id", "sub"], ["users.pool_id", "users.sub"], ondelete="CASCADE"),
)

# Fixed-window event counters (rate limits, lockouts); not tied to a pool.
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("scope", ident(64), primary_key=True),
    sa.Column("key", ident(512), primary_key=True),
    sa.Column("count", sa.Integer(), nullable=False),
    sa.Column("window_end", epoch(), nullable=False, index=True),
)

# Server-side state behind an auth ``Session`` string. ``id`` is the handle's hash and
# ``state_enc`` the engine's JSON document, encrypted (it holds the SRP secret ``b``).
# ``sub`` has no foreign key: a session may exist before its user is known.
auth_sessions = sa.Table(
    "auth_sessions",
    metadata,
    sa.Column("id", ident(128), primary_key=True),
    sa.Column("pool_id", ident(55), sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False),
    sa.Column(
        "client_id",
        ident(128),
        sa.ForeignKey("user_pool_clients.client_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("sub", ident(64), nullable=True),
    sa.Column("challenge", sa.String(64), nullable=False),
    sa.Column("state_enc", sa.LargeBinary(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("created_at", epoch(), nullable=False),
    sa.Column("expires_at", epoch(), nullable=False, index=True),
)

# Failed sign-ins per user (the lockout rule). ``expires_at`` is derived by the
# repository: the later of 15 minutes after the last failure and the end of the lock,
# after which the record means nothing and may be purged.
login_attempts = sa.Table(
    "login_attempts",
    metadata,
    sa.Column("pool_id", ident(55), primary_key=True),
    sa.Column("sub", ident(64), primary_key=True),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("last_failure_at", epoch(), nullable=True),
    sa.Column("locked_until", epoch(), nullable=True),
    sa.Column("expires_at", epoch(), nullable=False, index=True),
    sa.ForeignKeyConstraint(["pool_id", "sub"], ["users.pool_id", "users.sub"], ondelete="CASCADE"),
)

# Token signing key pairs of each pool; the private key is encrypted PEM.
signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column(
        "pool_id",
        ident(55),
        sa.ForeignKey("user_pools.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("kid", ident(128), primary_key=True),
    sa.Column("use", sa.String(16), nullable=False),
    sa.Column("private_enc", sa.LargeBinary(), nullable=False),
    sa.Column("public_jwk", sa.Text(), nullable=False),
    sa.Column("created_at", epoch(), nullable=False),
    sa.Column("retired_at", epoch(), nullable=True),
)

# One row per refresh token (a sign-in, plus one per rotation), keyed by the token's
# hash. Revocation is by ``origin_jti`` (every token of a sign-in) or by user.
token_sessions = sa.Table(
    "token_sessions",
    metadata,
    sa.Column("refresh_hash", ident(128), primary_key=True),
    sa.Column("pool_id", ident(55), sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False),
    sa.Column(
        "client_id",
        ident(128),
        sa.ForeignKey("user_pool_clients.client_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("sub", ident(64), nullable=False),
    sa.Column("origin_jti", ident(64), nullable=False),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("auth_time", epoch(), nullable=False),
    sa.Column("issued_at", epoch(), nullable=False),
    sa.Column("expires_at", epoch(), nullable=False, index=True),
    sa.Column("device_key", sa.String(128), nullable=True),
    sa.Column("revoked_at", epoch(), nullable=True),
    sa.Column("replaced_by", ident(128), nullable=True),
    sa.Column("grace_until", epoch(), nullable=True),
    sa.Column("extra", sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(["pool_id", "sub"], ["users.pool_id", "users.sub"], ondelete="CASCADE"),
    sa.Index("ix_token_sessions_pool_origin", "pool_id", "origin_jti"),
    sa.Index("ix_token_sessions_pool_sub", "pool_id", "sub"),
)

# Devices of users (device tracking). A pending device (NewDeviceMetadata handed out, no
# ConfirmDevice yet) has ``expires_at``; a confirmed one has the SRP salt and the encrypted
# verifier and no expiry. ``pending_session`` is the id of the DEVICE_SRP_AUTH auth session
# last issued for it (no foreign key: sessions are spent and purged on their own).
devices = sa.Table(
    "devices",
    metadata,
    sa.Column("pool_id", ident(55), sa.ForeignKey("user_pools.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("device_key", ident(64), primary_key=True),
    sa.Column("sub", ident(64), nullable=False),
    sa.Column("group_key", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("name", sa.String(1024), nullable=True),
    sa.Column("salt", sa.String(128), nullable=True),
    sa.Column("verifier_enc", sa.LargeBinary(), nullable=True),
    sa.Column("created_at", epoch(), nullable=False),
    sa.Column("updated_at", epoch(), nullable=False),
    sa.Column("confirmed_at", epoch(), nullable=True),
    sa.Column("last_authenticated_at", epoch(), nullable=True),
    sa.Column("last_ip", sa.String(64), nullable=True),
    sa.Column("expires_at", epoch(), nullable=True, index=True),
    sa.Column("pending_session", ident(128), nullable=True),
    sa.ForeignKeyConstraint(["pool_id", "sub"], ["users.pool_id", "users.sub"], ondelete="CASCADE"),
    sa.Index("ix_devices_pool_sub", "pool_id", "sub", "device_key"),
)


# The auth event history of threat protection (``poolgate.security.events``): one row per
# sign-in attempt. It references only the pool: an event may be written just as its user is
# deleted, and a new user never reuses a ``sub``. ``details`` is JSON text holding the risk,
# the challenge responses and the context data.
auth_events = sa.Table(
    "auth_events",
    metadata,
    sa.Column("event_id", ident(64), primary_key=True),
    sa.Column("pool_id", ident(55), sa.ForeignKey("user_pools.id", ondelete="CASCADE"), nullable=False),
    sa.Column("sub", ident(64), nullable=False),
    sa.Column("username", sa.String(128), nullable=False),
    sa.Column("event_type", sa.String(32), nullable=False),
    sa.Column("created_at", epoch(), nullable=False),
    sa.Column("response", sa.String(16), nullable=False),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Column("device", sa.Text(), nullable=True),
    sa.Column("user_agent", sa.Text(), nullable=True),
    sa.Column("analytics_endpoint_id", sa.String(256), nullable=True),
    sa.Column("feedback", sa.String(16), nullable=True),
    sa.Column("feedback_provider", sa.String(32), nullable=True),
    sa.Column("feedback_at", epoch(), nullable=True),
    sa.Column("details", sa.Text(), nullable=False),
    sa.Index("ix_auth_events_pool_sub", "pool_id", "sub", "created_at"),
    sa.Index("ix_auth_events_pool_ip", "pool_id", "ip", "created_at"),
    sa.Index("ix_auth_events_created_at", "created_at"),
)


# (table, column) pairs: rows whose time in that column is before "now" are expired and
# deleted by ``SqlStore.purge_expired``. A token session's ``expires_at`` is its refresh
# token's expiry; once it is gone, so is the record that its ``origin_jti`` was revoked.
EXPIRING_TABLES: tuple[tuple[sa.Table, str], ...] = (
    (outbox, "expires_at"),
    (codes, "expires_at"),
    (counters, "window_end"),
    (auth_sessions, "expires_at"),
    (login_attempts, "expires_at"),
    (token_sessions, "expires_at"),
    (devices, "expires_at"),
)

# Tables emptied by ``SqlStore.reset``, children before parents. Tables that
# belong to a pool (users, groups, ...) go before ``user_pools``.
RESET_TABLES: tuple[sa.Table, ...] = (
    auth_events,
    devices,
    token_sessions,
    login_attempts,
    auth_sessions,
    signing_keys,
    outbox,
    counters,
    codes,
    group_members,
    groups,
    user_search,
    user_keys,
    users,
    user_pool_clients,
    user_pools,
)


@dataclass(frozen=True, slots=True)
class EncryptedColumn:
    """A column holding ciphertexts, and how to name the AAD each one is bound to.

    The AAD is ``"<purpose>:<key values joined by ':'>"``, for example
    ``b"client_secret:4c2a..."``.
    """

    table: sa.Table
    column: str
    purpose: str
    key_columns: tuple[str, ...]

    def aad(self, *key_values: str) -> bytes:
        """The associated data for the row with these key values."""
        if len(key_values) != len(self.key_columns):
            raise ValueError(f"{self.purpose} is keyed by {self.key_columns}")
        return ":".join((self.purpose, *key_values)).encode("utf-8")


CLIENT_SECRET = EncryptedColumn(user_pool_clients, "secret_enc", "client_secret", ("client_id",))
ACCESS_KEY_SECRET = EncryptedColumn(access_keys, "secret_enc", "access_key", ("access_key_id",))
# The SRP verifier is the password, so it is a secret too; so are the earlier ones.
USER_PASSWORD = EncryptedColumn(users, "password_enc", "user_password", ("pool_id", "sub"))
USER_PASSWORD_HISTORY = EncryptedColumn(
    users, "password_history_enc", "user_password_history", ("pool_id", "sub")
)
AUTH_SESSION_STATE = EncryptedColumn(auth_sessions, "state_enc", "auth_session_state", ("id",))
SIGNING_KEY_PRIVATE = EncryptedColumn(signing_keys, "private_enc", "signing_key", ("pool_id", "kid"))
# A device verifier stands in for the device's password.
DEVICE_VERIFIER = EncryptedColumn(devices, "verifier_enc", "device_verifier", ("pool_id", "device_key"))

# Every encrypted column; ``rotate_master_key`` re-encrypts all of them.
ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (
    ACCESS_KEY_SECRET,
    CLIENT_SECRET,
    USER_PASSWORD,
    USER_PASSWORD_HISTORY,
    AUTH_SESSION_STATE,
    SIGNING_KEY_PRIVATE,
    DEVICE_VERIFIER,
)

# Meta keys with a fixed meaning.
META_CLOCK_OFFSET = "clock_offset"
META_MASTER_KEY_CHECK = "master_key_check"
MASTER_KEY_CHECK_AAD = b"meta:master_key_check"
MASTER_KEY_CHECK_PLAINTEXT = b"poolgate master key check v1"
