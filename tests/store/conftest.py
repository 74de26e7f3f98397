"""Fixtures for the store contract suites: every test runs on SQLite and PostgreSQL.

The SQLite database is a file in the test's temporary folder (not ``:memory:``),
so WAL and several connections are real. Each PostgreSQL test gets a fresh
schema, selected through ``search_path`` in the URL and dropped afterwards.
PostgreSQL tests fail, never skip, when the server is unreachable; deselect
them with ``-m "not postgres"`` for a quick local run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from poolgate.security.crypto import MasterKey
from poolgate.store.sql import SqlStore, upgrade

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_URL = os.environ.get("POOLGATE_TEST_PG_URL", DEFAULT_PG_URL)

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """The PostgreSQL URL, after checking the server answers."""
    engine = sa.create_engine(PG_URL, poolclass=NullPool)
    problem = None
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        problem = str(exc.orig).strip()
    finally:
        engine.dispose()
    if problem is not None:
        where = make_url(PG_URL).render_as_string(hide_password=True)
        pytest.fail(
            f"PostgreSQL is unreachable at {where} ({problem}). Start it, point "
            "POOLGATE_TEST_PG_URL at a server, or deselect with -m 'not postgres'.",
            pytrace=False,
        )
    return PG_URL


def _pg_schema_url(admin_url: str) -> Iterator[str]:
    name = f"poolgate_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        url = make_url(admin_url).update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind under test: "sqlite" or "postgres"."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL naming an empty database (not yet migrated)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'poolgate.sqlite3'}"
        return
    yield from _pg_schema_url(request.getfixturevalue("pg_admin_url"))


@pytest.fixture
def migrated_url(db_url: str) -> str:
    """A URL naming a database migrated to head."""
    upgrade(db_url)
    return db_url


@pytest.fixture
def master_key() -> MasterKey:
    return MasterKey.generate()


@pytest.fixture
def store(migrated_url: str, master_key: MasterKey) -> Iterator[SqlStore]:
    """A migrated store on the backend under test."""
    with SqlStore(migrated_url, master_key) as opened:
        yield opened
