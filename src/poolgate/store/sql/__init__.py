"""The SQL store: SQLAlchemy Core tables, repositories, and alembic migrations, on SQLite
(the default, in the data folder) and PostgreSQL (for several processes).

Storage package: implements ``poolgate.store.base``; imports ``poolgate.pools.model``,
``poolgate.security.crypto``, ``poolgate.config`` and ``poolgate.private_files``, never the web or
protocol layers.
"""

from __future__ import annotations

from poolgate.security.crypto import MasterKey, WrongMasterKeyError
from poolgate.store.sql.migrate import current_revision, head_revision, upgrade
from poolgate.store.sql.store import SqlStore, SqlUnitOfWork, rotate_master_key

__all__ = [
    "MasterKey",
    "SqlStore",
    "SqlUnitOfWork",
    "WrongMasterKeyError",
    "current_revision",
    "head_revision",
    "memory_store",
    "rotate_master_key",
    "upgrade",
]


def memory_store(master_key: MasterKey | None = None) -> SqlStore:
    """A migrated in-memory SQLite store, for unit tests."""
    store = SqlStore("sqlite://", master_key or MasterKey.generate())
    store.upgrade()
    return store
