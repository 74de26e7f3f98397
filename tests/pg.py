"""Throwaway PostgreSQL schemas for tests. PostgreSQL is required: an unreachable server is a
test failure with a clear message, never a skip."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def base_url() -> str:
    return os.environ.get("POOLGATE_TEST_PG_URL", DEFAULT_URL)


def _libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def fresh_schema() -> Iterator[str]:
    """Yield a SQLAlchemy URL whose search_path is a new, empty schema; drop it afterwards."""
    url = base_url()
    schema = f"pgtest_{uuid.uuid4().hex[:12]}"
    try:
        conn = psycopg.connect(_libpq_url(url), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise AssertionError(
            f"PostgreSQL is unreachable at {url} ({exc}). The suite needs it: start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
            "or point POOLGATE_TEST_PG_URL at a server."
        ) from None
    with conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(_libpq_url(url), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
