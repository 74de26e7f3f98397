"""Repository protocols and the unit of work.

Every API call runs inside one :class:`UnitOfWork`: the transaction commits when
the ``with`` block ends normally and rolls back on any exception, so a failed
call leaves nothing half-written. Secrets pass through these interfaces in plain
text; the SQL implementation encrypts them at rest with the master key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from poolgate.devices.model import Device
from poolgate.pools.model import AppClient, UserPool
from poolgate.security.model import AuthEvent
from poolgate.tokens.model import SigningKey, TokenSession
from poolgate.users.model import Group, StoredCode, User, UserFilter


class DuplicateError(Exception):
    """A uniqueness rule enforced by the database was violated.

    ``kind`` names the rule when the store knows it: for users, the lookup-key kind that
    collided (``"username"``, ``"email"``, ``"phone_number"``, ``"preferred_username"``).
    """

    def __init__(self, message: str = "", *, kind: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind


class StaleConfig(Exception):
    """The configuration a call took from the process's cache (``ConfigSnapshots``) had
    changed by its first transaction; the call starts again from a fresh read."""


@dataclass(frozen=True, slots=True)
class ConfigSnapshot:
    """A pool and app client as the process's cache holds them, and the config epoch under
    which they were read."""

    pool: UserPool
    client: AppClient
    epoch: str


class ConfigSnapshots(Protocol):
    """Pools and clients without a transaction, checked by the call's first transaction.

    A store that caches configuration rows per config epoch (``poolgate.store.sql.repos``)
    can hand them out before any transaction opens; the first transaction the call then
    opens (:meth:`expecting`) reads the epoch and raises :class:`StaleConfig` if it moved."""

    def snapshot(self, pool_id: str | None, client_id: str) -> ConfigSnapshot | None:
        """The client (of ``pool_id`` when given) and its pool, if both are cached and
        exist; None otherwise (the caller then reads them in a transaction)."""

    def expecting(self, snapshot: ConfigSnapshot) -> AbstractContextManager[None]:
        """Within the block, the first transaction opened in this context checks the epoch
        (``StaleConfig`` when it moved). A ``CognitoError`` leaving the block before any
        transaction checked it is checked on the way out: ``StaleConfig`` if the snapshot
        was stale (the error may have come from the stale configuration)."""


# A user lookup key: (kind, folded value). The core computes them (it knows the pool's
# case sensitivity and alias rules); the store keeps them unique per pool.
UserKey = tuple[str, str]


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


class UserRepo(Protocol):
    def add(self, user: User, keys: Sequence[UserKey]) -> None:
        """Store a new user with its lookup keys; DuplicateError(kind=...) if a key is taken."""

    def get(self, pool_id: str, sub: str) -> User | None:
        """The user with this ``sub``, or None."""

    def find(self, pool_id: str, kind: str, key: str) -> User | None:
        """The user holding the lookup key ``(kind, key)``, or None."""

    def update(self, user: User, keys: Sequence[UserKey] | None = None) -> None:
        """Replace a stored user (matched by pool and sub); with ``keys``, replace its lookup
        keys too (DuplicateError(kind=...) if one is held by another user)."""

    def delete(self, pool_id: str, sub: str) -> None:
        """Delete the user, its keys, codes and group memberships."""

    def list(
        self, pool_id: str, *, limit: int, after: str | None, filter: UserFilter | None = None
    ) -> Sequence[User]:
        """Users ordered by sub, starting after the sub ``after``, optionally filtered.

        Filter attributes: ``username``, ``sub``, ``email``, ``phone_number``, ``name``,
        ``given_name``, ``family_name``, ``preferred_username``, ``cognito:user_status``
        and ``status`` (``Enabled``/``Disabled``); ``=`` is equality, ``^=`` a prefix."""

    def count(self, pool_id: str) -> int:
        """The number of users in the pool."""


class GroupRepo(Protocol):
    def add(self, group: Group) -> None:
        """Store a new group; DuplicateError if the name is taken in the pool."""

    def get(self, pool_id: str, name: str) -> Group | None:
        """The group, or None."""

    def update(self, group: Group) -> None:
        """Replace a stored group's description, role and precedence."""

    def delete(self, pool_id: str, name: str) -> None:
        """Delete the group and its memberships."""

    def list(self, pool_id: str, *, limit: int, after: str | None) -> Sequence[Group]:
        """Groups ordered by name, starting after the name ``after``."""

    def add_member(self, pool_id: str, name: str, sub: str) -> None:
        """Add the user to the group (no-op if already a member)."""

    def remove_member(self, pool_id: str, name: str, sub: str) -> None:
        """Remove the user from the group (no-op if not a member)."""

    def groups_of(self, pool_id: str, sub: str, *, limit: int, after: str | None) -> Sequence[Group]:
        """The user's groups ordered by name."""

    def members(self, pool_id: str, name: str, *, limit: int, after: str | None) -> Sequence[User]:
        """The group's users ordered by sub."""


class CodeRepo(Protocol):
    def put(self, code: StoredCode) -> None:
        """Store a code, replacing any earlier one for the same (pool, sub, purpose)."""

    def get(self, pool_id: str, sub: str, purpose: str) -> StoredCode | None:
        """The pending code, or None."""

    def count_attempt(
        self, pool_id: str, sub: str, purpose: str, *, now: float, limit: int
    ) -> StoredCode | None:
        """Atomically count one attempt at the pending code, if it has not expired at ``now``
        and fewer than ``limit`` attempts were counted; return it with the new count, else None.
        Several transactions (and processes) counting at once are counted one after another,
        each tested against the limit: checking and counting is this one step. The count is
        part of the caller's transaction."""

    def delete(self, pool_id: str, sub: str, purpose: str) -> None:
        """Forget the code (used, or superseded)."""


class CounterRepo(Protocol):
    def increment(self, scope: str, key: str, *, now: float, window: float) -> int:
        """Atomically count one event in a fixed window that starts at the first event and
        lasts ``window`` seconds; an expired window restarts at 1. Returns the count."""

    def get(self, scope: str, key: str, *, now: float) -> int:
        """The count in the current window (0 if none or expired)."""

    def reset(self, scope: str, key: str) -> None:
        """Forget the counter."""


@dataclass(frozen=True, slots=True)
class StoredAuthSession:
    """Server-side state behind an auth ``Session`` string (and a SRP ``SECRET_BLOCK``).

    ``id`` is the random handle's hash; ``state`` is the engine's JSON document (SRP ``b``,
    steps passed, ...), encrypted at rest. ``challenge`` is the challenge it waits for.
    """

    id: str
    user_pool_id: str
    client_id: str
    sub: str | None
    challenge: str
    state: Mapping[str, Any]
    attempts: int
    created_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class LoginAttempts:
    """Failed sign-ins of one user, for the lockout rule (auth-flows.md §10)."""

    failures: int = 0
    last_failure_at: float | None = None
    locked_until: float | None = None


class AuthSessionRepo(Protocol):
    def add(self, session: StoredAuthSession) -> None:
        """Store a new auth session."""

    def get(self, session_id: str, *, for_update: bool = False) -> StoredAuthSession | None:
        """The session (expired ones included; the caller checks), locking the row if asked."""

    def update(self, session: StoredAuthSession) -> None:
        """Replace the stored session (challenge, state, attempts, expiry)."""

    def delete(self, session_id: str) -> None:
        """Spend the session."""


class LoginAttemptRepo(Protocol):
    def get(self, pool_id: str, sub: str, *, for_update: bool = False) -> LoginAttempts:
        """The user's record (a zero record if none), locking it for this transaction if asked,
        so parallel sign-ins on several processes count one after another."""

    def save(self, pool_id: str, sub: str, attempts: LoginAttempts) -> None:
        """Write the user's record."""

    def reset(self, pool_id: str, sub: str) -> None:
        """Forget the failures (after a successful sign-in)."""


class SigningKeyRepo(Protocol):
    def add(self, key: SigningKey) -> None:
        """Store a key (the private key is encrypted at rest)."""

    def list(self, pool_id: str) -> Sequence[SigningKey]:
        """All keys of the pool, active and retired, oldest first."""

    def retire(self, pool_id: str, kid: str, when: float) -> None:
        """Mark a key retired: it signs nothing new but stays published."""

    def delete(self, pool_id: str, kid: str) -> None:
        """Remove a retired key once no token it signed can still be valid."""


class TokenSessionRepo(Protocol):
    def add(self, session: TokenSession) -> None:
        """Store a token session (one per sign-in, one more per rotation)."""

    def get(self, refresh_hash: str, *, for_update: bool = False) -> TokenSession | None:
        """The record of a refresh token, by the token's hash."""

    def update(self, session: TokenSession) -> None:
        """Replace a record (revocation, rotation)."""

    def origin_revoked(self, pool_id: str, origin_jti: str) -> bool:
        """True if a session with this origin_jti was revoked (access tokens of it are refused)."""

    def revoke_user(self, pool_id: str, sub: str, when: float) -> int:
        """Revoke every unrevoked session of the user; return how many."""

    def end_device(self, pool_id: str, device_key: str, when: float) -> int:
        """End every unrevoked, unexpired session bound to the device (ForgetDevice): its
        ``expires_at`` becomes ``when``, so its refresh token stops working while the sign-in's
        access tokens stay valid. Revoked sessions keep their expiry (their records refuse the
        access tokens of their sign-in). Returns how many changed."""


class DeviceRepo(Protocol):
    """Devices of users (``poolgate.devices.model``); the verifier is encrypted at rest."""

    def add(self, device: Device) -> None:
        """Store a new device; DuplicateError if the pool already has its key."""

    def get(self, pool_id: str, device_key: str, *, for_update: bool = False) -> Device | None:
        """The device (pending or confirmed, expired ones included), locking its row for this
        transaction if asked."""

    def update(self, device: Device) -> None:
        """Replace a stored device (matched by pool and key); does nothing if it is gone."""

    def delete(self, pool_id: str, device_key: str) -> None:
        """Forget the device (no-op if there is none)."""

    def list(self, pool_id: str, sub: str, *, limit: int, after: str | None) -> Sequence[Device]:
        """The user's confirmed devices ordered by key, starting after the key ``after``."""

    def group_key(self, pool_id: str, sub: str) -> str | None:
        """The ``DeviceGroupKey`` of any device of the user, or None if it has none."""


class AuthEventRepo(Protocol):
    """The auth event history of threat protection (``poolgate.security.model``)."""

    def add(self, event: AuthEvent) -> None:
        """Store a new event; DuplicateError if its id is taken."""

    def update(self, event: AuthEvent) -> None:
        """Replace the stored event with the same ``event_id`` (no-op if it is gone)."""

    def get(self, pool_id: str, event_id: str) -> AuthEvent | None:
        """The event, or None."""

    def for_user(
        self, pool_id: str, sub: str, *, limit: int, before: str | None = None
    ) -> Sequence[AuthEvent]:
        """The user's events, newest first, after the cursor ``before`` (an event id)."""

    def since_for_ip(self, pool_id: str, ip: str, since: float) -> Sequence[AuthEvent]:
        """Events of any user of the pool from ``ip`` created at or after ``since``."""

    def purge_before(self, before: float) -> int:
        """Delete the events of every pool created before ``before``; return how many."""


class UnitOfWork(Protocol):
    pools: PoolRepo
    clients: ClientRepo
    access_keys: AccessKeyRepo
    meta: MetaRepo
    outbox: OutboxRepo
    users: UserRepo
    groups: GroupRepo
    codes: CodeRepo
    counters: CounterRepo
    auth_sessions: AuthSessionRepo
    login_attempts: LoginAttemptRepo
    signing_keys: SigningKeyRepo
    token_sessions: TokenSessionRepo
    devices: DeviceRepo
    auth_events: AuthEventRepo


class Store(Protocol):
    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[UnitOfWork]:
        """Open one transaction; commit on normal exit, roll back on exception.

        ``readonly`` promises no writes, which lets SQLite run it beside a writer."""

    def ping(self) -> None:
        """Raise if the database cannot be reached."""

    def purge_expired(self, now: float) -> int:
        """Delete expired rows (sessions, codes, tokens, pending devices, outbox); return how
        many."""

    def reset(self) -> None:
        """Delete all pools, clients and their data (testing API only)."""
