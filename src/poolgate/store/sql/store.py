"""``SqlStore``: transactions, housekeeping and master-key management over one engine.

Typical start-up, done once per process::

    upgrade(url)                      # migrations, safe to run from every replica
    store = SqlStore(url, master_key)
    store.check_master_key()          # refuse to run with the wrong key
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import Self

import sqlalchemy as sa

from poolgate.errors import CognitoError
from poolgate.security.crypto import MasterKey, WrongMasterKeyError
from poolgate.store.base import (
    AccessKeyRepo,
    AuthEventRepo,
    AuthSessionRepo,
    ClientRepo,
    CodeRepo,
    ConfigSnapshot,
    CounterRepo,
    DeviceRepo,
    DuplicateError,
    GroupRepo,
    LoginAttemptRepo,
    MetaRepo,
    OutboxRepo,
    PoolRepo,
    SigningKeyRepo,
    StaleConfig,
    TokenSessionRepo,
    UserRepo,
)
from poolgate.store.sql.auth_event_repo import SqlAuthEventRepo
from poolgate.store.sql.auth_repos import SqlAuthSessionRepo, SqlLoginAttemptRepo
from poolgate.store.sql.codes_counters import SqlCodeRepo, SqlCounterRepo
from poolgate.store.sql.device_repo import SqlDeviceRepo
from poolgate.store.sql.engine import BEGIN_OPTION, create_store_engine, is_memory_sqlite, is_sqlite_url
from poolgate.store.sql.group_repo import SqlGroupRepo
from poolgate.store.sql.repos import (
    ConfigRows,
    SharedConfigCache,
    SqlAccessKeyRepo,
    SqlClientRepo,
    SqlMetaRepo,
    SqlOutboxRepo,
    SqlPoolRepo,
    cached_snapshot,
    insert_unique,
)
from poolgate.store.sql.tables import (
    ENCRYPTED_COLUMNS,
    EXPIRING_TABLES,
    MASTER_KEY_CHECK_AAD,
    MASTER_KEY_CHECK_PLAINTEXT,
    META_CLOCK_OFFSET,
    META_MASTER_KEY_CHECK,
    RESET_TABLES,
    EncryptedColumn,
    meta,
)
from poolgate.store.sql.token_repos import SqlSigningKeyRepo, SqlTokenSessionRepo
from poolgate.store.sql.user_repo import SqlUserRepo


class SqlUnitOfWork:
    """The repositories of one open transaction, all sharing ``connection``."""

    __slots__ = (
        "access_keys",
        "auth_events",
        "auth_sessions",
        "clients",
        "codes",
        "config",
        "connection",
        "counters",
        "devices",
        "groups",
        "login_attempts",
        "meta",
        "outbox",
        "pools",
        "signing_keys",
        "token_sessions",
        "users",
    )

    # The UnitOfWork Protocol's attributes, declared again by the class that implements it.
    # pylint: disable=duplicate-code
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

    def __init__(
        self, connection: sa.Connection, master_key: MasterKey, config_cache: SharedConfigCache | None = None
    ) -> None:
        self.connection = connection
        config = ConfigRows(connection, config_cache or SharedConfigCache())
        self.config = config
        self.pools = SqlPoolRepo(connection, config)
        self.clients = SqlClientRepo(connection, master_key, config)
        self.access_keys = SqlAccessKeyRepo(connection, master_key)
        self.meta = SqlMetaRepo(connection)
        self.outbox = SqlOutboxRepo(connection)
        self.users = SqlUserRepo(connection, master_key)
        self.groups = SqlGroupRepo(connection, master_key)
        self.codes = SqlCodeRepo(connection)
        self.counters = SqlCounterRepo(connection)
        self.auth_sessions = SqlAuthSessionRepo(connection, master_key)
        self.login_attempts = SqlLoginAttemptRepo(connection)
        self.signing_keys = SqlSigningKeyRepo(connection, master_key, config)
        self.token_sessions = SqlTokenSessionRepo(connection)
        self.devices = SqlDeviceRepo(connection, master_key)
        self.auth_events = SqlAuthEventRepo(connection)


def _mismatch(current: str, expected: str) -> WrongMasterKeyError:
    return WrongMasterKeyError(
        "the master key does not match the one this database was written with "
        f"(fingerprint {current}, expected {expected}); every process sharing a "
        "database must use the same POOLGATE_MASTER_KEY",
        current=current,
        expected=expected,
    )


def _open_check_value(key: MasterKey, stored: str) -> None:
    """Raise ``WrongMasterKeyError`` unless ``key`` opens the stored check value."""
    try:
        blob = base64.b64decode(stored.encode("ascii"), validate=True)
        plaintext = key.decrypt(blob, MASTER_KEY_CHECK_AAD)
    except WrongMasterKeyError as exc:
        raise _mismatch(exc.current, exc.expected) from None
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"the stored {META_MASTER_KEY_CHECK} value is corrupt: {exc}") from exc
    if plaintext != MASTER_KEY_CHECK_PLAINTEXT:
        raise _mismatch(key.fingerprint, "unknown")


def _new_check_value(key: MasterKey) -> str:
    return base64.b64encode(key.encrypt(MASTER_KEY_CHECK_PLAINTEXT, MASTER_KEY_CHECK_AAD)).decode("ascii")


def _select_ciphertexts(
    conn: sa.Connection, column: EncryptedColumn, limit: int | None
) -> list[tuple[list[str], bytes]]:
    """(key values, ciphertext) of every row of ``column`` holding a secret."""
    table = column.table
    keys = [table.c[name] for name in column.key_columns]
    secret = table.c[column.column]
    query = sa.select(*keys, secret).where(secret.is_not(None))
    if limit is not None:  # noqa: SIM108 - each branch has its reason
        # Any row will do: no ORDER BY, which on a large table made start-up sort it (SQLite
        # took over a second with a million users).
        query = query.limit(limit)
    else:
        query = query.order_by(*keys)
    return [([str(value) for value in row[:-1]], bytes(row[-1])) for row in conn.execute(query)]


# The config epoch a call's snapshot was taken under, while no transaction of the call has
# checked it yet (``SqlStore.expecting``); one mutable cell per call, cleared by the check.
_UNCHECKED_EPOCH: ContextVar[list[str | None] | None] = ContextVar("poolgate_unchecked_epoch", default=None)


class SqlStore:
    """The SQL implementation of ``store.base.Store`` on SQLite or PostgreSQL.

    The schema must exist (see ``migrate.upgrade``). An in-memory SQLite store
    (``sqlite://``) keeps one shared connection and runs one transaction at a time.
    """

    def __init__(self, url: str, master_key: MasterKey, *, pool_size: int = 5) -> None:
        self.url = url
        self.master_key = master_key
        self.engine = create_store_engine(url, pool_size=pool_size)
        self._memory_lock = threading.RLock() if is_memory_sqlite(url) else None
        self._config_cache = SharedConfigCache()
        # SQLite has one writer at a time. Writers of this process queue on a lock instead of
        # holding a pooled connection while SQLite retries BEGIN IMMEDIATE with sleeps (which
        # made p99 latency explode and, past the busy timeout, failed requests under load).
        # Other processes sharing the file still meet SQLite's own busy timeout.
        self._write_lock = threading.RLock() if is_sqlite_url(url) and self._memory_lock is None else None

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def upgrade(self) -> None:
        """Run the migrations on this store's own engine (needed for in-memory SQLite)."""
        from poolgate.store.sql.migrate import upgrade

        with self._serialised():
            upgrade(self.engine)

    def _serialised(self) -> AbstractContextManager[object]:
        return self._memory_lock if self._memory_lock is not None else nullcontext()

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[SqlUnitOfWork]:
        """Open one transaction; commit on normal exit, roll back on exception.

        On SQLite a transaction takes the write lock when it begins, so writers
        queue (up to the busy timeout) instead of failing; pass ``readonly=True``
        for a transaction that only reads, to run alongside a writer.
        """
        writer = self._write_lock if (self._write_lock is not None and not readonly) else nullcontext()
        with self._serialised(), writer, self.engine.connect() as conn:
            if readonly:
                conn.execution_options(**{BEGIN_OPTION: "DEFERRED"})
            with conn.begin():
                uow = SqlUnitOfWork(conn, self.master_key, self._config_cache)
                unchecked = _UNCHECKED_EPOCH.get()
                if unchecked is not None and unchecked[0] is not None:
                    if uow.config.epoch() != unchecked[0]:
                        raise StaleConfig("the configuration changed since the snapshot")
                    unchecked[0] = None
                yield uow

    # -- ConfigSnapshots ------------------------------------------------------------------------

    def snapshot(self, pool_id: str | None, client_id: str) -> ConfigSnapshot | None:
        """See ``store.base.ConfigSnapshots``: from the rows this process keeps per epoch."""
        return cached_snapshot(self._config_cache, self.master_key, pool_id, client_id)

    @contextmanager
    def expecting(self, snapshot: ConfigSnapshot) -> Iterator[None]:
        """See ``store.base.ConfigSnapshots``."""
        cell: list[str | None] = [snapshot.epoch]
        token = _UNCHECKED_EPOCH.set(cell)
        try:
            yield
        except CognitoError:
            if cell[0] is not None:
                # Refused before any transaction looked at the epoch: perhaps because of the
                # stale configuration. An empty read-only transaction checks it.
                with self.transaction(readonly=True):
                    pass
            raise
        finally:
            _UNCHECKED_EPOCH.reset(token)

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.transaction(readonly=True) as uow:
            uow.connection.execute(sa.text("SELECT 1"))

    def purge_expired(self, now: float) -> int:
        """Delete the rows of every expiring table (outbox, codes, counters, auth and
        token sessions, stale login attempts, pending devices) whose expiry time is before ``now``;
        return how many."""
        deleted = 0
        with self.transaction() as uow:
            for table, column in EXPIRING_TABLES:
                result = uow.connection.execute(sa.delete(table).where(table.c[column] < now))
                deleted += result.rowcount
        return deleted

    def reset(self) -> None:
        """Delete all pools and everything in them (clients, users, groups, codes,
        sessions, login attempts, signing keys, devices, auth events), counters, the outbox and the clock
        offset.

        Access keys and the other meta settings (the master-key check) are kept.
        """
        with self.transaction() as uow:
            uow.config.changed()
            for table in RESET_TABLES:
                uow.connection.execute(sa.delete(table))
            uow.connection.execute(sa.delete(meta).where(meta.c.key == META_CLOCK_OFFSET))

    def clock_offset(self) -> float:
        """The testing clock offset in seconds (0.0 if never set)."""
        with self.transaction(readonly=True) as uow:
            value = uow.meta.get(META_CLOCK_OFFSET)
        return 0.0 if value is None else float(value)

    def set_clock_offset(self, seconds: float) -> None:
        """Store the testing clock offset every process reads."""
        with self.transaction() as uow:
            uow.meta.set(META_CLOCK_OFFSET, repr(float(seconds)))

    def check_master_key(self) -> None:
        """Make sure this process's master key is the one the database was written with.

        On first use this stores an encrypted check value; afterwards it must
        decrypt. Raises ``WrongMasterKeyError`` (naming both fingerprints) if the
        check value, or a secret stored before the check existed, cannot be
        decrypted with the current key.
        """
        with self.transaction() as uow:
            conn = uow.connection
            stored = uow.meta.get(META_MASTER_KEY_CHECK)
            if stored is None:
                self._verify_existing_secrets(conn)
                values = {"key": META_MASTER_KEY_CHECK, "value": _new_check_value(self.master_key)}
                try:
                    insert_unique(conn, meta, values, "the master key check value")
                except DuplicateError:
                    # Another process wrote its check value first; verify against it.
                    stored = uow.meta.get(META_MASTER_KEY_CHECK)
            if stored is not None:
                _open_check_value(self.master_key, stored)
                self._verify_existing_secrets(conn)

    def _verify_existing_secrets(self, conn: sa.Connection) -> None:
        for column in ENCRYPTED_COLUMNS:
            for key_values, blob in _select_ciphertexts(conn, column, limit=1):
                try:
                    self.master_key.decrypt(blob, column.aad(*key_values))
                except WrongMasterKeyError as exc:
                    raise _mismatch(exc.current, exc.expected) from None


def rotate_master_key(
    store_url: str,
    old: MasterKey,
    new: MasterKey,
    *,
    also: Callable[[SqlUnitOfWork, MasterKey, MasterKey], int] | None = None,
) -> int:
    """Re-encrypt every stored secret and the check value from ``old`` to ``new``.

    Everything happens in one transaction (on PostgreSQL the tables involved are
    locked against writers), so a failure leaves the database under ``old``.
    Stop the servers first: a process still using ``old`` cannot read the result.
    ``also`` re-encrypts secrets kept outside the encrypted columns (TOTP secrets in
    user settings: ``poolgate.mfa.rotation``); it runs first, in the same transaction.
    Returns how many secrets were re-encrypted (the check value not counted).
    Raises ``WrongMasterKeyError`` if ``old`` is not the database's key.
    """
    store = SqlStore(store_url, old, pool_size=1)
    try:
        count = 0
        with store.transaction() as uow:
            conn = uow.connection
            if conn.dialect.name == "postgresql":
                names = sorted({column.table.name for column in ENCRYPTED_COLUMNS} | {meta.name})
                quoted = ", ".join(conn.dialect.identifier_preparer.quote(name) for name in names)
                conn.execute(sa.text(f"LOCK TABLE {quoted} IN EXCLUSIVE MODE"))
            stored = uow.meta.get(META_MASTER_KEY_CHECK)
            if stored is not None:
                _open_check_value(old, stored)
            uow.config.changed()
            if also is not None:
                count += also(uow, old, new)
            for column in ENCRYPTED_COLUMNS:
                count += _reencrypt_column(conn, column, old, new)
            uow.meta.set(META_MASTER_KEY_CHECK, _new_check_value(new))
        return count
    finally:
        store.close()


def _reencrypt_column(conn: sa.Connection, column: EncryptedColumn, old: MasterKey, new: MasterKey) -> int:
    table = column.table
    updates: list[dict[str, str | bytes]] = []
    for key_values, blob in _select_ciphertexts(conn, column, limit=None):
        aad = column.aad(*key_values)
        try:
            plaintext = old.decrypt(blob, aad)
        except WrongMasterKeyError as exc:
            raise _mismatch(exc.current, exc.expected) from None
        params: dict[str, str | bytes] = {
            f"k_{name}": value for name, value in zip(column.key_columns, key_values, strict=True)
        }
        params["new_secret"] = new.encrypt(plaintext, aad)
        updates.append(params)
    if updates:
        condition = sa.and_(*(table.c[name] == sa.bindparam(f"k_{name}") for name in column.key_columns))
        statement = sa.update(table).where(condition).values({column.column: sa.bindparam("new_secret")})
        conn.execute(statement, updates)
    return len(updates)
