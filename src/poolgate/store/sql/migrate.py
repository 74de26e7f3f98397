"""Run the alembic migrations programmatically; no ``alembic.ini`` is needed.

Every replica may call :func:`upgrade` at start-up. The whole upgrade runs in
one transaction that first takes a lock, so concurrent callers queue and the
later ones find the schema already at head:

* PostgreSQL: ``pg_advisory_xact_lock`` (released at commit or rollback), then
  the DDL, which PostgreSQL runs transactionally;
* SQLite: ``BEGIN EXCLUSIVE`` with a long busy timeout; SQLite DDL is
  transactional too.

To write a new migration, add a file to ``migrations/versions`` by hand (see
``0001_initial.py``) or call ``alembic.command.revision(alembic_config(url=...),
"message", autogenerate=True)`` against a database at head.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from poolgate.store.sql.engine import BEGIN_OPTION, create_store_engine

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")

# The advisory-lock id: the ASCII bytes of "poolgate" read as a 64-bit integer.
PG_MIGRATION_LOCK = int.from_bytes(b"poolgate", "big")

# How long a replica waits on SQLite for another one's migration to finish.
SQLITE_MIGRATION_TIMEOUT = 120.0


def alembic_config(connection: sa.Connection | None = None, url: str | None = None) -> Config:
    """An alembic ``Config`` for our migrations, bound to a connection or a URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def _engine_for(target: str | Engine) -> tuple[Engine, bool]:
    """The engine to use and whether we created it (and so must dispose of it)."""
    if isinstance(target, Engine):
        return target, False
    return create_store_engine(target, pool_size=1, busy_timeout=SQLITE_MIGRATION_TIMEOUT), True


def upgrade(target: str | Engine, revision: str = "head") -> None:
    """Migrate the database at ``target`` (a URL, or an engine from ``create_store_engine``).

    Creates an SQLite file's folder if needed. Safe to run repeatedly and from
    several processes at once. The PostgreSQL schema used is the first one on
    the connection's ``search_path``, which must exist.
    """
    engine, owned = _engine_for(target)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.execution_options(**{BEGIN_OPTION: "EXCLUSIVE"})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(PG_MIGRATION_LOCK)))
                command.upgrade(alembic_config(conn), revision)
    finally:
        if owned:
            engine.dispose()


def current_revision(target: str | Engine) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    engine, owned = _engine_for(target)
    try:
        with engine.connect() as conn:
            conn.execution_options(**{BEGIN_OPTION: "DEFERRED"})
            with conn.begin():
                return MigrationContext.configure(conn).get_current_revision()
    finally:
        if owned:
            engine.dispose()
