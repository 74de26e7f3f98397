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
  (pagination) gives the same byte order as SQLite.
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


# Tables whose rows carry an ``expires_at`` column and are deleted by
# ``SqlStore.purge_expired``. Add new expiring tables (auth sessions, codes,
# refresh tokens) here.
EXPIRING_TABLES: tuple[sa.Table, ...] = (outbox,)

# Tables emptied by ``SqlStore.reset``, children before parents. Tables that
# belong to a pool (users, groups, ...) go before ``user_pools``.
RESET_TABLES: tuple[sa.Table, ...] = (outbox, user_pool_clients, user_pools)


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

# Every encrypted column; ``rotate_master_key`` re-encrypts all of them.
ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (ACCESS_KEY_SECRET, CLIENT_SECRET)

# Meta keys with a fixed meaning.
META_CLOCK_OFFSET = "clock_offset"
META_MASTER_KEY_CHECK = "master_key_check"
MASTER_KEY_CHECK_AAD = b"meta:master_key_check"
MASTER_KEY_CHECK_PLAINTEXT = b"poolgate master key check v1"
