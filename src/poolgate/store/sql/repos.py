"""Repositories: the ``store.base`` protocols implemented with SQLAlchemy Core.

Each repository works on the connection of the current unit of work, so it never
commits; :class:`~poolgate.store.sql.store.SqlStore` owns the transaction.
Secrets are encrypted with the master key on the way in and decrypted on the
way out; the AAD of each secret names its column and row (see ``tables``).

Uniqueness violations are detected with ``INSERT ... ON CONFLICT DO NOTHING``
rather than by catching ``IntegrityError``: on PostgreSQL a failed statement
aborts the whole transaction, whereas a skipped insert leaves it usable, so a
caller may catch :class:`DuplicateError` and carry on (retry with a new id).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from poolgate.pools.model import AppClient, UserPool
from poolgate.security.crypto import MasterKey
from poolgate.store.base import ConfigSnapshot, DuplicateError, OutboxMessage, StoredAccessKey
from poolgate.store.sql.fast import Sql, select_by
from poolgate.store.sql.tables import (
    ACCESS_KEY_SECRET,
    CLIENT_SECRET,
    access_keys,
    meta,
    outbox,
    user_pool_clients,
    user_pools,
    users,
)


def dialect_insert(conn: sa.Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT with the ``ON CONFLICT`` clauses of the connection's database."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"Poolgate does not support the {conn.dialect.name} database")


def insert_if_absent(conn: sa.Connection, table: sa.Table, values: Mapping[str, Any]) -> bool:
    """Insert one row unless it breaks a uniqueness rule; True if it was inserted.

    The transaction stays usable either way. Other integrity failures (a foreign
    key naming a missing row) still raise ``IntegrityError``.
    """
    stmt = dialect_insert(conn, table).values(dict(values)).on_conflict_do_nothing()
    # SQLAlchemy reports an INSERT's row count only when asked to keep it.
    result = conn.execute(stmt, execution_options={"preserve_rowcount": True})
    return bool(result.rowcount == 1)


def insert_unique(
    conn: sa.Connection, table: sa.Table, values: Mapping[str, Any], what: str, *, kind: str | None = None
) -> None:
    """Insert one row; raise :class:`DuplicateError` (with ``kind``) if it breaks a
    uniqueness rule. The transaction stays usable after a duplicate."""
    if not insert_if_absent(conn, table, values):
        raise DuplicateError(f"{what} already exists", kind=kind)


def upsert(conn: sa.Connection, table: sa.Table, key: str | Sequence[str], values: Mapping[str, Any]) -> None:
    """Insert a row, or update every other column if its primary key ``key`` (a column
    name, or several) exists."""
    key_names = [key] if isinstance(key, str) else list(key)
    stmt = dialect_insert(conn, table).values(dict(values))
    updates = {name: stmt.excluded[name] for name in values if name not in key_names}
    index = [table.c[name] for name in key_names]
    conn.execute(stmt.on_conflict_do_update(index_elements=index, set_=updates))


def dump_config(config: Mapping[str, Any]) -> str:
    """Serialise a configuration document; key order is kept as given."""
    return json.dumps(dict(config), ensure_ascii=False, separators=(",", ":"))


def load_config(text: str | bytes) -> dict[str, Any]:
    """Parse a configuration document written by :func:`dump_config`."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        # orjson refuses what json.dumps can write but strict JSON cannot hold (NaN,
        # integers beyond 64 bits); the standard parser reads those.
        value = json.loads(text)
    if not isinstance(value, dict):
        raise TypeError("a stored configuration document is not a JSON object")
    return value


# The ``meta`` row whose value changes (to a new random string) in every transaction that
# changes a pool, an app client or a signing key; see :class:`ConfigRows`.
CONFIG_EPOCH_KEY: Final = "config_epoch"
_READ_EPOCH = Sql('SELECT "value" FROM "meta" WHERE "key" = :key')
_WRITE_EPOCH = Sql(
    'INSERT INTO "meta" ("key", "value") VALUES (:key, :value) '
    'ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value"'
)
_CACHE_LIMIT = 4096


class SharedConfigCache:
    """The process's copies of configuration rows (pools, app clients, signing keys), all
    valid for one value of the config epoch. Shared by every transaction of a store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._epoch: str | None = None
        self._rows: dict[tuple[str, str], Any] = {}

    def rows(self, epoch: str) -> dict[tuple[str, str], Any]:
        """The rows kept for ``epoch``; a different epoch drops everything kept so far."""
        with self._lock:
            if epoch != self._epoch or len(self._rows) > _CACHE_LIMIT:
                self._epoch = epoch
                self._rows = {}
            return self._rows

    def peek(self, entries: Sequence[tuple[str, str]]) -> tuple[str, list[Any]] | None:
        """The epoch last read and the rows kept under it for ``entries``, without reading
        anything; None unless every entry is kept (and exists)."""
        with self._lock:
            if self._epoch is None:
                return None
            values = [self._rows.get(entry) for entry in entries]
            if any(value is None for value in values):
                return None
            return self._epoch, values

    def remember(self, epoch: str, entry: tuple[str, str], value: Any) -> None:
        """Keep ``value`` under ``entry`` if ``epoch`` is still the current one."""
        with self._lock:
            if epoch == self._epoch:
                self._rows[entry] = value


class ConfigRows:
    """One transaction's view of :class:`SharedConfigCache`.

    Every sign-in reads its pool, its app client and the pool's signing keys; they change
    rarely, so their rows are kept in memory and reused while the config epoch (one row of
    ``meta``) keeps its value. The epoch is read once per transaction, before any cached
    row is used, so a row used is never older than the epoch it is filed under; every
    transaction that writes one of those tables writes a new random epoch (:meth:`changed`),
    so other processes and threads stop using their copies once it commits. A transaction
    that rolls back leaves an epoch nobody will read again.

    For pools and clients the rows are kept, not the objects built from them: those carry
    mutable configuration dicts, and each caller gets its own. Signing keys are frozen values
    and are kept built (``SqlSigningKeyRepo.list``).
    """

    __slots__ = ("_conn", "_epoch", "_shared")

    def __init__(self, conn: sa.Connection, shared: SharedConfigCache) -> None:
        self._conn = conn
        self._shared = shared
        self._epoch: str | None = None

    def epoch(self) -> str:
        """The config epoch this transaction sees (read once)."""
        if self._epoch is None:
            found = _READ_EPOCH.one(self._conn, {"key": CONFIG_EPOCH_KEY})
            self._epoch = "" if found is None else str(found[0])
        return self._epoch

    def get(self, kind: str, key: str, load: Callable[[], Any]) -> Any:
        """The cached row(s) of ``(kind, key)``, loaded with ``load`` on a miss."""
        rows = self._shared.rows(self.epoch())
        entry = (kind, key)
        if entry in rows:
            return rows[entry]
        value = load()
        rows[entry] = value
        return value

    def changed(self) -> None:
        """Record that this transaction changes configuration rows."""
        self._epoch = uuid.uuid4().hex
        _WRITE_EPOCH.run(self._conn, {"key": CONFIG_EPOCH_KEY, "value": self._epoch})


_POOL_BY_ID = select_by(user_pools, "id")
_CLIENT_BY_ID = select_by(user_pool_clients, "client_id")


class SqlPoolRepo:
    """User pools in ``user_pools``."""

    def __init__(self, conn: sa.Connection, config: ConfigRows) -> None:
        self._conn = conn
        self._config = config

    def add(self, pool: UserPool) -> None:
        self._config.changed()
        insert_unique(self._conn, user_pools, _pool_values(pool), f"user pool {pool.id}")

    def get(self, pool_id: str) -> UserPool | None:
        row = self._config.get("pool", pool_id, lambda: _POOL_BY_ID.one(self._conn, {"id": pool_id}))
        return None if row is None else _pool_from_row(row)

    def update(self, pool: UserPool) -> None:
        self._config.changed()
        values = _pool_values(pool)
        del values["id"], values["created_at"]
        self._conn.execute(sa.update(user_pools).where(user_pools.c.id == pool.id).values(values))

    def delete(self, pool_id: str) -> None:
        # Clients, users, groups and everything of the users go with the pool: ON DELETE
        # CASCADE (see ``tables``).
        self._config.changed()
        self._conn.execute(sa.delete(user_pools).where(user_pools.c.id == pool_id))

    def list(self, limit: int, after: str | None) -> Sequence[UserPool]:
        query = sa.select(user_pools).order_by(user_pools.c.id).limit(limit)
        if after is not None:
            query = query.where(user_pools.c.id > after)
        return [_pool_from_row(row) for row in self._conn.execute(query)]

    def count_users(self, pool_id: str) -> int:
        return count_pool_users(self._conn, pool_id)


def count_pool_users(conn: sa.Connection, pool_id: str) -> int:
    """The number of users in the pool."""
    query = sa.select(sa.func.count()).select_from(users).where(users.c.pool_id == pool_id)
    return int(conn.execute(query).scalar_one())


def _pool_values(pool: UserPool) -> dict[str, Any]:
    return {
        "id": pool.id,
        "name": pool.name,
        "config": dump_config(pool.config),
        "created_at": pool.created_at,
        "updated_at": pool.updated_at,
    }


def _pool_from_row(row: Any) -> UserPool:
    return UserPool(
        id=str(row.id),
        name=str(row.name),
        created_at=float(row.created_at),
        updated_at=float(row.updated_at),
        config=load_config(row.config),
    )


class SqlClientRepo:
    """App clients in ``user_pool_clients``; client secrets are encrypted."""

    def __init__(self, conn: sa.Connection, key: MasterKey, config: ConfigRows) -> None:
        self._conn = conn
        self._key = key
        self._config = config

    def add(self, client: AppClient) -> None:
        what = f"app client {client.client_id}"
        self._config.changed()
        insert_unique(self._conn, user_pool_clients, self._values(client), what)

    def get(self, client_id: str) -> AppClient | None:
        row = self._config.get(
            "client", client_id, lambda: _CLIENT_BY_ID.one(self._conn, {"client_id": client_id})
        )
        return None if row is None else self._from_row(row)

    def update(self, client: AppClient) -> None:
        self._config.changed()
        values = self._values(client)
        del values["client_id"], values["user_pool_id"], values["created_at"]
        query = sa.update(user_pool_clients).where(user_pool_clients.c.client_id == client.client_id)
        self._conn.execute(query.values(values))

    def delete(self, client_id: str) -> None:
        self._config.changed()
        self._conn.execute(sa.delete(user_pool_clients).where(user_pool_clients.c.client_id == client_id))

    def list(self, pool_id: str, limit: int, after: str | None) -> Sequence[AppClient]:
        c = user_pool_clients.c
        query = sa.select(user_pool_clients).where(c.user_pool_id == pool_id).order_by(c.client_id)
        if after is not None:
            query = query.where(c.client_id > after)
        return [self._from_row(row) for row in self._conn.execute(query.limit(limit))]

    def _values(self, client: AppClient) -> dict[str, Any]:
        secret = None
        if client.client_secret is not None:
            aad = CLIENT_SECRET.aad(client.client_id)
            secret = self._key.encrypt(client.client_secret.encode("utf-8"), aad)
        return {
            "client_id": client.client_id,
            "user_pool_id": client.user_pool_id,
            "client_name": client.client_name,
            "secret_enc": secret,
            "config": dump_config(client.config),
            "created_at": client.created_at,
            "updated_at": client.updated_at,
        }

    def _from_row(self, row: Any) -> AppClient:
        return _client_from_row(row, self._key)


def _client_from_row(row: Any, key: MasterKey) -> AppClient:
    client_id = str(row.client_id)
    secret = None
    if row.secret_enc is not None:
        secret = key.decrypt(bytes(row.secret_enc), CLIENT_SECRET.aad(client_id)).decode("utf-8")
    return AppClient(
        client_id=client_id,
        user_pool_id=str(row.user_pool_id),
        client_name=str(row.client_name),
        created_at=float(row.created_at),
        updated_at=float(row.updated_at),
        client_secret=secret,
        config=load_config(row.config),
    )


def cached_snapshot(
    cache: SharedConfigCache, key: MasterKey, pool_id: str | None, client_id: str
) -> ConfigSnapshot | None:
    """The client (of ``pool_id`` when given) and its pool from the process's cache, with the
    epoch they were read under; None unless both are kept and exist (``store.base.ConfigSnapshots``).

    The snapshot is built once per epoch and then shared by the calls that use it: unlike the
    rows the repositories hand out, its pool and client are read-only for their users (the
    sign-in engine, which never changes a configuration; ``config`` is a ``Mapping``)."""
    memo = ("snapshot", f"{pool_id or ''}/{client_id}")
    kept = cache.peek([memo])
    if kept is not None:
        snapshot: ConfigSnapshot = kept[1][0]
        return snapshot
    found = cache.peek([("client", client_id)])
    if found is None:
        return None
    owner = str(found[1][0].user_pool_id)
    if pool_id is not None and owner != pool_id:
        return None
    # Both rows again, in one look, so that they belong to the same epoch.
    both = cache.peek([("client", client_id), ("pool", owner)])
    if both is None:
        return None
    epoch, (client_row, pool_row) = both
    built = ConfigSnapshot(_pool_from_row(pool_row), _client_from_row(client_row, key), epoch)
    cache.remember(epoch, memo, built)
    return built


class SqlAccessKeyRepo:
    """SigV4 access keys in ``access_keys``; the secret access key is encrypted."""

    def __init__(self, conn: sa.Connection, key: MasterKey) -> None:
        self._conn = conn
        self._key = key

    def add(self, key: StoredAccessKey) -> None:
        aad = ACCESS_KEY_SECRET.aad(key.access_key_id)
        values = {
            "access_key_id": key.access_key_id,
            "secret_enc": self._key.encrypt(key.secret_access_key.encode("utf-8"), aad),
            "description": key.description,
            "created_at": key.created_at,
            "revoked_at": None,
        }
        insert_unique(self._conn, access_keys, values, f"access key {key.access_key_id}")

    def get(self, access_key_id: str) -> StoredAccessKey | None:
        c = access_keys.c
        query = sa.select(access_keys).where(c.access_key_id == access_key_id, c.revoked_at.is_(None))
        row = self._conn.execute(query).one_or_none()
        return None if row is None else self._from_row(row)

    def list(self) -> Sequence[StoredAccessKey]:
        c = access_keys.c
        query = sa.select(access_keys).where(c.revoked_at.is_(None)).order_by(c.created_at, c.access_key_id)
        return [self._from_row(row) for row in self._conn.execute(query)]

    def revoke(self, access_key_id: str, when: float) -> bool:
        c = access_keys.c
        query = (
            sa.update(access_keys)
            .where(c.access_key_id == access_key_id, c.revoked_at.is_(None))
            .values(revoked_at=when)
        )
        return self._conn.execute(query).rowcount == 1

    def _from_row(self, row: sa.Row[Any]) -> StoredAccessKey:
        access_key_id = str(row.access_key_id)
        aad = ACCESS_KEY_SECRET.aad(access_key_id)
        return StoredAccessKey(
            access_key_id=access_key_id,
            secret_access_key=self._key.decrypt(bytes(row.secret_enc), aad).decode("utf-8"),
            created_at=float(row.created_at),
            description=str(row.description),
        )


class SqlMetaRepo:
    """Server-wide settings in ``meta``."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def get(self, key: str) -> str | None:
        value = self._conn.execute(sa.select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()
        return None if value is None else str(value)

    def set(self, key: str, value: str) -> None:
        upsert(self._conn, meta, "key", {"key": key, "value": value})

    def delete(self, key: str) -> None:
        """Remove a setting if present."""
        self._conn.execute(sa.delete(meta).where(meta.c.key == key))


class SqlOutboxRepo:
    """Delivered messages in ``outbox``, kept until they expire."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

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
        self._conn.execute(
            sa.insert(outbox).values(
                user_pool_id=user_pool_id,
                username=username,
                channel=channel,
                destination=destination,
                purpose=purpose,
                message=message,
                code=code,
                created_at=created_at,
                expires_at=expires_at,
            )
        )

    def list(self, user_pool_id: str | None, username: str | None) -> Sequence[OutboxMessage]:
        query = sa.select(outbox).order_by(outbox.c.id)
        if user_pool_id is not None:
            query = query.where(outbox.c.user_pool_id == user_pool_id)
        if username is not None:
            query = query.where(outbox.c.username == username)
        return [
            OutboxMessage(
                id=int(row.id),
                user_pool_id=str(row.user_pool_id),
                username=str(row.username),
                channel=str(row.channel),
                destination=str(row.destination),
                purpose=str(row.purpose),
                message=str(row.message),
                code=None if row.code is None else str(row.code),
                created_at=float(row.created_at),
                expires_at=float(row.expires_at),
            )
            for row in self._conn.execute(query)
        ]
