"""Hand-written SQL for the statements every sign-in, refresh and access-token call runs.

Building a SQLAlchemy Core statement, computing its cache key and wrapping its result cost
about 0.2 ms per statement on these machines, several times what SQLite spends running it
(benchmarks/README.md, "Profile findings"). The statements on the hot paths are therefore
written once as SQL text here and run on the connection's DBAPI cursor, inside the
transaction SQLAlchemy opened, so commit, rollback and pooling stay SQLAlchemy's.

The text uses ``:name`` parameters, which ``sqlite3`` takes as they are; for psycopg they are
rewritten once to ``%(name)s``. Identifiers are always double-quoted (valid in both). Rows
come back as named tuples with the columns in the order the statement lists them, so the
codecs that read SQLAlchemy rows by attribute read these too.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

_PARAM = re.compile(r":([a-z_][a-z0-9_]*)")


def quote(name: str) -> str:
    """``name`` as a double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def columns_of(table: sa.Table) -> list[str]:
    """The table's column names, in its declared order."""
    return [column.name for column in table.columns]


def select_list(table: sa.Table, alias: str | None = None) -> str:
    """``"a", "b", ...`` (or ``t."a", ...``) for every column of ``table``."""
    lead = f"{alias}." if alias else ""
    return ", ".join(lead + quote(name) for name in columns_of(table))


class Sql:
    """One statement, written for both databases.

    ``columns`` names what a SELECT returns (the row type's fields); leave it empty for a
    statement that returns nothing.
    """

    __slots__ = ("_pg", "_row", "_sqlite")

    def __init__(self, text: str, columns: Sequence[str] = (), *, postgresql_suffix: str = "") -> None:
        self._sqlite = text
        self._pg = (
            _PARAM.sub(lambda match: f"%({match.group(1)})s", text.replace("%", "%%")) + postgresql_suffix
        )
        self._row: Any = namedtuple("Row", list(columns)) if columns else None  # noqa: PYI024 - fields known at run time

    def _cursor(self, conn: sa.Connection, params: Any, *, many: bool = False) -> Any:
        """A cursor that has run the statement once with ``params`` (a mapping), or once per
        mapping of ``params`` with ``many``; DBAPI errors come out as SQLAlchemy's."""
        dialect = conn.dialect
        text = self._pg if dialect.name == "postgresql" else self._sqlite
        cursor = conn.connection.cursor()
        try:
            if many:
                cursor.executemany(text, params)
            else:
                cursor.execute(text, params)
        except dialect.loaded_dbapi.Error as exc:
            cursor.close()
            # The same exception classes SQLAlchemy raises (IntegrityError, OperationalError...).
            raise sa.exc.DBAPIError.instance(
                text, params, exc, dialect.loaded_dbapi.Error, dialect=dialect
            ) from exc
        return cursor

    def run(self, conn: sa.Connection, params: Mapping[str, Any]) -> int:
        """Execute; return the number of rows changed."""
        cursor = self._cursor(conn, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def run_many(self, conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per parameter set (``executemany``)."""
        self._cursor(conn, rows, many=True).close()

    def one(self, conn: sa.Connection, params: Mapping[str, Any]) -> Any | None:
        """The first row, or None."""
        cursor = self._cursor(conn, params)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return self._row._make(row) if self._row is not None else row

    def all(self, conn: sa.Connection, params: Mapping[str, Any]) -> list[Any]:
        """Every row."""
        cursor = self._cursor(conn, params)
        try:
            rows: Iterable[Any] = cursor.fetchall()
        finally:
            cursor.close()
        if self._row is None:
            return list(rows)
        make = self._row._make
        return [make(row) for row in rows]


def select_by(table: sa.Table, *keys: str, for_update: bool = False, order_by: str = "") -> Sql:
    """``SELECT <every column> FROM table WHERE key1 = :key1 AND ...`` (``FOR UPDATE`` is added
    on PostgreSQL only; SQLite has no row locks and serialises writers instead)."""
    where = " AND ".join(f"{quote(key)} = :{key}" for key in keys)
    text = f"SELECT {select_list(table)} FROM {quote(table.name)} WHERE {where}"
    if order_by:
        text += f" ORDER BY {order_by}"
    return Sql(text, columns_of(table), postgresql_suffix=" FOR UPDATE" if for_update else "")


def insert_into(table: sa.Table, *, ignore_conflicts: bool = False) -> Sql:
    """``INSERT`` of every column, optionally ``ON CONFLICT DO NOTHING`` (then ``run``
    returns 1 or 0)."""
    names = columns_of(table)
    text = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join(':' + n for n in names)})"
    )
    return Sql(text + " ON CONFLICT DO NOTHING" if ignore_conflicts else text)


def insert_ignoring_conflicts(table: sa.Table) -> Sql:
    """``INSERT ... ON CONFLICT DO NOTHING`` of every column (``run`` returns 1 or 0)."""
    return insert_into(table, ignore_conflicts=True)
