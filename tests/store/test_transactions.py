"""Transaction behaviour: rollback, and many writers at once (threads and processes)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from poolgate.pools.model import AppClient, UserPool
from poolgate.security.crypto import MasterKey
from poolgate.store.sql import SqlStore


class Boom(Exception):
    pass


def test_exception_rolls_back_everything(store: SqlStore) -> None:
    with pytest.raises(Boom), store.transaction() as uow:
        uow.pools.add(UserPool("us-east-1_p", "p", 1.0, 1.0, {}))
        uow.clients.add(AppClient("c", "us-east-1_p", "c", 1.0, 1.0, "secret", {}))
        uow.meta.set("half", "written")
        uow.outbox.add(
            user_pool_id="us-east-1_p",
            username="u",
            channel="SMS",
            destination="+15550100",
            purpose="p",
            message="m",
            code=None,
            created_at=1.0,
            expires_at=2.0,
        )
        raise Boom
    with store.transaction() as uow:
        assert uow.pools.get("us-east-1_p") is None
        assert uow.clients.get("c") is None
        assert uow.meta.get("half") is None
        assert uow.outbox.list(None, None) == []


def _increment(store: SqlStore, name: str) -> None:
    """Read-modify-write a counter; loses updates unless writers are serialised."""
    with store.transaction() as uow:
        value = int(uow.meta.get(name) or "0")
        time.sleep(0.0005)
        uow.meta.set(name, str(value + 1))


def test_concurrent_inserts_from_threads(store: SqlStore) -> None:
    def work(worker: int) -> None:
        for i in range(20):
            with store.transaction() as uow:
                uow.pools.add(UserPool(f"us-east-1_w{worker:02d}n{i:02d}", "p", 1.0, 1.0, {}))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    with store.transaction() as uow:
        assert len(uow.pools.list(1000, None)) == 160


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_threads_never_see_database_is_locked(store: SqlStore) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                _increment(store, "counter")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.transaction() as uow:
        assert uow.meta.get("counter") == "200"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_reader_runs_while_a_writer_holds_the_lock(store: SqlStore) -> None:
    with store.transaction() as uow:
        uow.meta.set("k", "committed")
    with store.transaction() as writer:
        writer.meta.set("k", "pending")
        started = time.monotonic()
        # A deferred (read-only) transaction does not wait for the write lock.
        result: list[str | None] = []

        def read() -> None:
            with store.transaction(readonly=True) as reader:
                result.append(reader.meta.get("k"))

        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
        assert result == ["committed"]
        assert time.monotonic() - started < 2


_WORKER = """
import sys, time
from poolgate.security.crypto import MasterKey
from poolgate.store.sql import SqlStore
url, key = sys.argv[1], MasterKey.from_text(sys.argv[2])
with SqlStore(url, key) as store:
    for _ in range(int(sys.argv[3])):
        with store.transaction() as uow:
            value = int(uow.meta.get("counter") or "0")
            time.sleep(0.001)
            uow.meta.set("counter", str(value + 1))
"""


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_processes_never_see_database_is_locked(store: SqlStore, master_key: MasterKey) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, store.url, master_key.to_text(), "30"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outcomes = [(proc.wait(timeout=120), proc.communicate()) for proc in procs]
    for code, (_out, err) in outcomes:
        assert code == 0, err
    with store.transaction() as uow:
        assert uow.meta.get("counter") == "120"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_connection_settings(store: SqlStore) -> None:
    with store.transaction(readonly=True) as uow:
        conn = uow.connection
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
