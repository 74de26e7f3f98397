"""Growth mode's bulk loader: N extra users written straight into Poolgate's database.

    python -m benchmarks.preload --database-url URL --master-key KEY --pool-id ID --count 1000000

Rows are built with Poolgate's own code, so they are exactly what the server would
write: ``UserCodec.values`` for the ``users`` row (the verifier encrypted with the
master key, bound to the pool and ``sub``), ``attributes.username_keys`` plus
``user_repo.key_digest`` for ``user_keys``, and ``user_search.search_rows`` for the
ListUsers index. Only the writing differs from ``SqlUserRepo.add``: rows go in
batches (``executemany`` on SQLite, ``COPY`` on PostgreSQL) inside a few large
transactions, instead of one statement per row and one transaction per user.

Every preloaded user is ``pre<7 digits>`` with e-mail ``pre<7 digits>@example.com``
(unique), status CONFIRMED, enabled, and a password verifier. Computing a million SRP
verifiers would take over an hour, so one verifier (for ``pre0000000``) is computed
once and copied; it is still encrypted per user. Only the measured users (created
through the API) ever sign in.

The pool must exist and the server should be stopped while loading (Poolgate may
cache what it read); afterwards the loader runs ANALYZE (SQLite) or VACUUM ANALYZE
(PostgreSQL) so the planner knows the tables' new sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

PASSWORD = "Bench-Passw0rd!42"
PREFIX = "pre"


def _columns(table: Any) -> list[str]:
    return [column.name for column in table.columns]


def load_users(
    url: str,
    master_key_text: str,
    pool_id: str,
    count: int,
    *,
    batch: int = 10_000,
    per_transaction: int = 250_000,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Insert ``count`` users into ``pool_id``; return timings and row counts."""
    from poolgate.security.crypto import MasterKey
    from poolgate.srp import make_verifier, pool_name_from_pool_id
    from poolgate.store.sql.store import SqlStore
    from poolgate.store.sql.tables import user_keys, user_search, users
    from poolgate.store.sql.user_repo import UserCodec, key_digest
    from poolgate.store.sql.user_search import search_rows
    from poolgate.users.attributes import username_keys
    from poolgate.users.model import PasswordVerifier, User, UserStatus

    say = progress or (lambda _text: None)
    key = MasterKey.from_text(master_key_text)
    store = SqlStore(url, key)
    started = time.perf_counter()
    try:
        with store.transaction(readonly=True) as uow:
            pool = uow.pools.get(pool_id)
            before = uow.users.count(pool_id)
        if pool is None:
            raise SystemExit(f"no pool {pool_id} in {url}")
        salt, verifier_hex = make_verifier(pool_name_from_pool_id(pool_id), f"{PREFIX}0000000", PASSWORD)
        verifier = PasswordVerifier(salt, verifier_hex)
        codec = UserCodec(key)
        tables = [
            (users, _columns(users)),
            (user_keys, _columns(user_keys)),
            (user_search, _columns(user_search)),
        ]
        postgres = store.engine.dialect.name == "postgresql"
        fairy = store.engine.raw_connection()
        raw = fairy.driver_connection
        assert raw is not None
        writer = _PostgresWriter(raw) if postgres else _SqliteWriter(raw)
        rows_written = {table.name: 0 for table, _ in tables}
        build_s = write_s = 0.0
        now = time.time()
        done = 0
        writer.begin()
        in_transaction = 0
        while done < count:
            n = min(batch, count - done)
            t0 = time.perf_counter()
            batch_rows: list[list[tuple[Any, ...]]] = [[], [], []]
            subs = sorted(str(uuid.uuid4()) for _ in range(n))
            for offset, sub in enumerate(subs):
                name = f"{PREFIX}{done + offset:07d}"
                attrs = {"sub": sub, "email": f"{name}@example.com", "email_verified": "true"}
                user = User(
                    pool_id,
                    name,
                    sub,
                    UserStatus.CONFIRMED,
                    True,
                    attrs,
                    now,
                    now,
                    password=verifier,
                    password_set_at=now,
                )
                values = codec.values(user)
                batch_rows[0].append(tuple(values[c] for c in tables[0][1]))
                for kind, lookup in username_keys(pool, name, attrs):
                    batch_rows[1].append((pool_id, kind, key_digest(lookup), lookup, sub))
                for row in search_rows(pool_id, sub, attrs):
                    batch_rows[2].append(tuple(row[c] for c in tables[2][1]))
            t1 = time.perf_counter()
            for (table, columns), rows in zip(tables, batch_rows, strict=True):
                writer.write(table.name, columns, rows)
                rows_written[table.name] += len(rows)
            write_s += time.perf_counter() - t1
            build_s += t1 - t0
            done += n
            in_transaction += n
            if in_transaction >= per_transaction or done == count:
                writer.commit()
                in_transaction = 0
                elapsed = time.perf_counter() - started
                say(f"  preload: {done:,}/{count:,} users in {elapsed:.1f} s ({done / elapsed:,.0f} users/s)")
                if done < count:
                    writer.begin()
        loaded_s = time.perf_counter() - started
        t2 = time.perf_counter()
        writer.analyse()
        analyse_s = time.perf_counter() - t2
        fairy.close()
        with store.transaction(readonly=True) as uow:
            after = uow.users.count(pool_id)
    finally:
        store.close()
    total_s = time.perf_counter() - started
    say(
        f"  preload: {count:,} users written in {loaded_s:.1f} s (building rows {build_s:.1f} s, "
        f"writing {write_s:.1f} s), {'VACUUM ANALYZE' if postgres else 'ANALYZE'} {analyse_s:.1f} s; "
        f"the pool now has {after:,} users"
    )
    return {
        "users": count,
        "pool_users_before": before,
        "pool_users_after": after,
        "rows": rows_written,
        "load_s": round(loaded_s, 2),
        "build_rows_s": round(build_s, 2),
        "write_rows_s": round(write_s, 2),
        "analyse_s": round(analyse_s, 2),
        "total_s": round(total_s, 2),
        "users_per_s": round(count / loaded_s, 1) if loaded_s else None,
        "database": "postgresql" if postgres else "sqlite",
        "method": "COPY FROM STDIN" if postgres else "executemany",
        "batch": batch,
        "per_transaction": per_transaction,
    }


class _SqliteWriter:
    """``executemany`` in explicit transactions (Poolgate's engine turns sqlite3's own off)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        cur = conn.cursor()
        # Only this loading connection: a throwaway benchmark database needs no sync per commit.
        cur.execute("PRAGMA synchronous = OFF")
        cur.execute("PRAGMA cache_size = -1048576")  # 1 GiB, so index pages stay cached
        cur.close()

    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            self.conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def analyse(self) -> None:
        self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class _PostgresWriter:
    """``COPY ... FROM STDIN`` through psycopg, one transaction per ``per_transaction`` users."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.cur = conn.cursor()

    def begin(self) -> None:
        pass  # psycopg opens a transaction with the first statement

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        names = ", ".join(f'"{c}"' for c in columns)
        with self.cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)

    def commit(self) -> None:
        self.conn.commit()

    def analyse(self) -> None:
        self.conn.commit()
        autocommit = self.conn.autocommit
        self.conn.autocommit = True
        try:
            for table in ("users", "user_keys", "user_search"):
                self.cur.execute(f'VACUUM ANALYZE "{table}"')
        finally:
            self.conn.autocommit = autocommit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.preload",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument(
        "--master-key",
        default=os.environ.get("POOLGATE_MASTER_KEY"),
        help="the server's master key [POOLGATE_MASTER_KEY]",
    )
    parser.add_argument("--pool-id", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--per-transaction", type=int, default=250_000)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line at the end")
    args = parser.parse_args(argv)
    if not args.master_key:
        parser.error("give --master-key or set POOLGATE_MASTER_KEY")
    stats = load_users(
        args.database_url,
        args.master_key,
        args.pool_id,
        args.count,
        batch=args.batch,
        per_transaction=args.per_transaction,
        progress=lambda text: print(text, flush=True),
    )
    if args.json:
        print("PRELOAD-RESULT " + json.dumps(stats), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
