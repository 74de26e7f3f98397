"""Engine construction for SQLite and PostgreSQL.

SQLite needs care to behave well with several threads and processes:

* WAL journal, so readers never block the writer;
* ``busy_timeout``, so a connection waiting for the write lock retries instead
  of failing at once with "database is locked";
* ``synchronous=FULL`` (from ``POOLGATE_SQLITE_SYNCHRONOUS``, default FULL): in WAL mode
  SQLite then syncs the log at every commit, so an acknowledged write survives power loss
  as well as a crash; ``NORMAL`` syncs only at checkpoints, and the last commits before
  a power cut may be lost (never the database's integrity);
* ``foreign_keys=ON`` (off by default in SQLite), for ``ON DELETE CASCADE``;
* write transactions that start with ``BEGIN IMMEDIATE``. A deferred
  transaction that first reads and then writes cannot wait for the lock (SQLite
  returns SQLITE_BUSY at once, to avoid a deadlock), so we take the write lock up
  front. Python's ``sqlite3`` would emit a plain deferred ``BEGIN`` itself, so its
  transaction handling is switched off and we emit our own ``BEGIN``, following
  the SQLAlchemy recipe "Using SQLAlchemy to emit BEGIN in lieu of SQLite's
  transaction control".

A connection can choose how its next transaction begins with the execution
option :data:`BEGIN_OPTION` (``"IMMEDIATE"``, ``"DEFERRED"`` or ``"EXCLUSIVE"``).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import StaticPool

from poolgate.config import parse_sqlite_synchronous, sqlite_synchronous_from_env
from poolgate.private_files import prepare_sqlite_file

BEGIN_OPTION = "poolgate_sqlite_begin"
_BEGIN_MODES = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})
_BEGIN_SQL = {mode: f"BEGIN {mode}" for mode in _BEGIN_MODES}
DEFAULT_BUSY_TIMEOUT = 30.0


def is_sqlite_url(url: str | URL) -> bool:
    """True if the URL names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def is_memory_sqlite(url: str | URL) -> bool:
    """True for an in-memory SQLite database (``sqlite://`` or ``sqlite:///:memory:``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    return database in ("", ":memory:") or "mode=memory" in str(parsed.query.get("mode", ""))


def ensure_sqlite_folder(url: str | URL) -> None:
    """Create the folder an SQLite database file lives in (0700) and the file itself (0600).

    Done before SQLite opens the file, which would otherwise create it readable by everyone;
    its -wal and -shm files take the database file's mode (see ``poolgate.private_files``).
    """
    if not is_sqlite_url(url) or is_memory_sqlite(url):
        return
    database = make_url(url).database
    if database and not database.startswith("file:"):
        prepare_sqlite_file(Path(database).expanduser())


def create_store_engine(
    url: str | URL,
    *,
    pool_size: int = 5,
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    default_begin: str = "IMMEDIATE",
    synchronous: str | None = None,
) -> Engine:
    """Return an engine configured as described in the module docstring.

    On SQLite, ``default_begin`` says how transactions begin unless a connection
    overrides it; ``synchronous`` (``"FULL"`` or ``"NORMAL"``) defaults to
    ``POOLGATE_SQLITE_SYNCHRONOUS``, else FULL. An in-memory SQLite database lives in one shared connection
    (``StaticPool``), so callers must not use it from two threads at once.
    """
    if default_begin not in _BEGIN_MODES:
        raise ValueError(f"default_begin must be one of {sorted(_BEGIN_MODES)}")
    if not is_sqlite_url(url):
        return sa.create_engine(url, pool_size=pool_size, max_overflow=max(pool_size, 10), pool_pre_ping=True)
    ensure_sqlite_folder(url)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": busy_timeout, "check_same_thread": False}}
    if is_memory_sqlite(url):
        kwargs["poolclass"] = StaticPool
    else:
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = max(pool_size, 10)
    engine = sa.create_engine(url, **kwargs)
    mode = sqlite_synchronous_from_env() if synchronous is None else parse_sqlite_synchronous(synchronous)
    _install_sqlite_hooks(engine, busy_timeout, default_begin, mode)
    return engine


def _enable_wal(cursor: Any, busy_timeout: float) -> None:
    """Switch the database to WAL, retrying while another connection holds a lock.

    Changing the journal mode needs an exclusive lock and SQLite reports
    "database is locked" at once, without using the busy timeout, when several
    connections open a brand-new database together; so we retry here.
    """
    deadline = time.monotonic() + busy_timeout
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            locked = "locked" in str(exc) or "busy" in str(exc)
            if not locked or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _install_sqlite_hooks(engine: Engine, busy_timeout: float, default_begin: str, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Turn off the sqlite3 module's own BEGIN; the "begin" hook below emits it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            _enable_wal(cursor, busy_timeout)
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get(BEGIN_OPTION, default_begin)
        if mode not in _BEGIN_MODES:
            raise ValueError(f"{BEGIN_OPTION} must be one of {sorted(_BEGIN_MODES)}, not {mode!r}")
        # Straight to sqlite3: SQLAlchemy's statement machinery would cost more than the BEGIN.
        try:
            conn.connection.driver_connection.execute(_BEGIN_SQL[mode])  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            raise sa.exc.DBAPIError.instance(
                _BEGIN_SQL[mode], (), exc, sqlite3.Error, dialect=conn.dialect
            ) from exc
