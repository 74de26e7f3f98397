"""One-time codes in ``codes`` and fixed-window counters in ``counters``.

Both need read-modify-write steps that stay correct with several processes: each
is a single statement (``UPDATE ... RETURNING``, ``INSERT ... ON CONFLICT DO
UPDATE ... RETURNING``), which SQLite (3.35 and later) and PostgreSQL run
atomically, so no row is read first and no update is lost.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from poolgate.store.sql.repos import dialect_insert, upsert
from poolgate.store.sql.tables import codes, counters
from poolgate.users.model import StoredCode


def _code_from_row(row: sa.Row[Any]) -> StoredCode:
    return StoredCode(
        user_pool_id=str(row.pool_id),
        sub=str(row.sub),
        purpose=str(row.purpose),
        code_hash=str(row.code_hash),
        created_at=float(row.created_at),
        expires_at=float(row.expires_at),
        attempts=int(row.attempts),
    )


class SqlCodeRepo:
    """The ``CodeRepo`` protocol: at most one pending code per (pool, user, purpose)."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def put(self, code: StoredCode) -> None:
        """Store the code, replacing an earlier one; ``IntegrityError`` if there is no
        such user."""
        values = {
            "pool_id": code.user_pool_id,
            "sub": code.sub,
            "purpose": code.purpose,
            "code_hash": code.code_hash,
            "created_at": code.created_at,
            "expires_at": code.expires_at,
            "attempts": code.attempts,
        }
        upsert(self._conn, codes, ("pool_id", "sub", "purpose"), values)

    def get(self, pool_id: str, sub: str, purpose: str) -> StoredCode | None:
        row = self._conn.execute(sa.select(codes).where(self._key(pool_id, sub, purpose))).one_or_none()
        return None if row is None else _code_from_row(row)

    def count_attempt(
        self, pool_id: str, sub: str, purpose: str, *, now: float, limit: int
    ) -> StoredCode | None:
        """One ``UPDATE ... WHERE attempts < limit ... RETURNING``: a second transaction
        counting on the same row waits for the first (PostgreSQL's row lock; SQLite runs
        writers one at a time) and then tests the limit against its count."""
        c = codes.c
        statement = (
            sa.update(codes)
            .where(self._key(pool_id, sub, purpose), c.expires_at > now, c.attempts < limit)
            .values(attempts=c.attempts + 1)
            .returning(*codes.c)
        )
        row = self._conn.execute(statement).one_or_none()
        return None if row is None else _code_from_row(row)

    def delete(self, pool_id: str, sub: str, purpose: str) -> None:
        self._conn.execute(sa.delete(codes).where(self._key(pool_id, sub, purpose)))

    @staticmethod
    def _key(pool_id: str, sub: str, purpose: str) -> sa.ColumnElement[bool]:
        c = codes.c
        return sa.and_(c.pool_id == pool_id, c.sub == sub, c.purpose == purpose)


class SqlCounterRepo:
    """The ``CounterRepo`` protocol.

    A window is ``[first event, first event + window)``: at ``now >= window_end`` the
    counter is expired, reads as 0, and the next event starts a new window at 1.
    Expired rows are deleted by ``SqlStore.purge_expired``.
    """

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def increment(self, scope: str, key: str, *, now: float, window: float) -> int:
        c = counters.c
        insert = dialect_insert(self._conn, counters).values(
            scope=scope, key=key, count=1, window_end=now + window
        )
        expired = c.window_end <= now
        statement = insert.on_conflict_do_update(
            index_elements=[c.scope, c.key],
            set_={
                "count": sa.case((expired, 1), else_=c.count + 1),
                "window_end": sa.case((expired, now + window), else_=c.window_end),
            },
        ).returning(c.count)
        return int(self._conn.execute(statement).scalar_one())

    def get(self, scope: str, key: str, *, now: float) -> int:
        c = counters.c
        query = sa.select(c.count).where(c.scope == scope, c.key == key, c.window_end > now)
        count = self._conn.execute(query).scalar_one_or_none()
        return 0 if count is None else int(count)

    def reset(self, scope: str, key: str) -> None:
        c = counters.c
        self._conn.execute(sa.delete(counters).where(c.scope == scope, c.key == key))
