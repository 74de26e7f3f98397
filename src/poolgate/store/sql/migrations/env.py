"""Alembic environment for Poolgate's schema.

``migrate.upgrade`` passes an open connection (inside its locked transaction)
in ``config.attributes["connection"]``; otherwise the ``sqlalchemy.url`` main
option is used. Offline mode renders SQL for review instead of running it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from poolgate.store.sql.tables import metadata


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from poolgate.store.sql.engine import create_store_engine

    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set the sqlalchemy.url option or pass a connection")
    engine = create_store_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
