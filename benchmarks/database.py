"""A fresh PostgreSQL database per benchmark run (``--database-url``).

The URL names the server and an existing database to connect to (``postgres`` if it
names none); each run creates ``bench_<random>`` beside it with psycopg, points the
server at that, and drops it afterwards (``WITH (FORCE)``, so a server that did not
stop cleanly cannot keep it alive).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url


def _admin_conninfo(url: str) -> str:
    parsed = make_url(url)
    parts = {
        "host": parsed.host or "127.0.0.1",
        "port": str(parsed.port or 5432),
        "user": parsed.username or "postgres",
        "dbname": parsed.database or "postgres",
    }
    if parsed.password:
        parts["password"] = parsed.password
    return " ".join(f"{k}={v}" for k, v in parts.items())


def is_postgres(url: str | None) -> bool:
    return url is not None and bool(url) and make_url(url).get_backend_name() == "postgresql"


@contextmanager
def fresh_database(url: str, label: str = "bench") -> Iterator[str]:
    """Create a new empty database on the server of ``url``; yield its URL; drop it after."""
    import psycopg

    name = f"{label}_{secrets.token_hex(4)}"
    conninfo = _admin_conninfo(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
