"""Repository protocols and the unit of work.

Every API call runs inside one :class:`UnitOfWork`: the transaction commits when
the ``with`` block ends normally and rolls back on any exception, so a failed
call leaves nothing half-written. Secrets pass through these interfaces in plain
text; the SQL implementation encrypts them at rest with the master key.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from poolgate.pools.model import AppClient, UserPool


class DuplicateError(Exception):
    """A uniqueness rule enforced by the database was violated."""


@dataclass(frozen=True, slots=True)
class StoredAccessKey:
    access_key_id: str
    secret_access_key: str
    created_at: float
    description: str = ""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A message Poolgate 'sent' (code, invitation, notification), readable by tests."""

    id: int
    user_pool_id: str
    username: str
    channel: str  # EMAIL | SMS
    destination: str
    purpose: str
    message: str
    code: str | None
    created_at: float
    expires_at: float


class PoolRepo(Protocol):
    def add(self, pool: UserPool) -> None:
        """Store a new pool."""

    def get(self, pool_id: str) -> UserPool | None:
        """Return the pool, or None."""

    def update(self, pool: UserPool) -> None:
        """Replace a stored pool's name and config."""

    def delete(self, pool_id: str) -> None:
        """Delete the pool and everything that belongs to it."""

    def list(self, limit: int, after: str | None) -> Sequence[UserPool]:
        """Pools ordered by id, starting after the id ``after``."""

    def count_users(self, pool_id: str) -> int:
        """The number of users in the pool."""


class ClientRepo(Protocol):
    def add(self, client: AppClient) -> None:
        """Store a new app client."""

    def get(self, client_id: str) -> AppClient | None:
        """Return the client by its id, whatever its pool, or None."""

    def update(self, client: AppClient) -> None:
        """Replace a stored client's name, secret and config."""

    def delete(self, client_id: str) -> None:
        """Delete the client."""

    def list(self, pool_id: str, limit: int, after: str | None) -> Sequence[AppClient]:
        """Clients of the pool ordered by id, starting after the id ``after``."""


class AccessKeyRepo(Protocol):
    def add(self, key: StoredAccessKey) -> None:
        """Store a new access key (the secret is encrypted at rest)."""

    def get(self, access_key_id: str) -> StoredAccessKey | None:
        """Return an active key, or None if unknown or revoked."""

    def list(self) -> Sequence[StoredAccessKey]:
        """All active keys."""

    def revoke(self, access_key_id: str, when: float) -> bool:
        """Revoke a key; False if there was no such active key."""


class MetaRepo(Protocol):
    def get(self, key: str) -> str | None:
        """A server-wide setting (clock offset, schema facts), or None."""

    def set(self, key: str, value: str) -> None:
        """Write a server-wide setting."""


class OutboxRepo(Protocol):
    def add(
        self,
        *,
        user_pool_id: str,
        username: str,
        channel: str,
        destination: str,
        purpose: str,
        message: str,
        code: str | None,
        created_at: float,
        expires_at: float,
    ) -> None:
        """Record a delivered message."""

    def list(self, user_pool_id: str | None, username: str | None) -> Sequence[OutboxMessage]:
        """Messages, oldest first, optionally filtered by pool and user."""


class UnitOfWork(Protocol):
    pools: PoolRepo
    clients: ClientRepo
    access_keys: AccessKeyRepo
    meta: MetaRepo
    outbox: OutboxRepo


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[UnitOfWork]:
        """Open one transaction; commit on normal exit, roll back on exception."""

    def ping(self) -> None:
        """Raise if the database cannot be reached."""

    def purge_expired(self, now: float) -> int:
        """Delete expired rows (sessions, codes, tokens, outbox); return how many."""

    def reset(self) -> None:
        """Delete all pools, clients and their data (testing API only)."""
