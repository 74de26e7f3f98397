"""Contract tests for CodeRepo and CounterRepo on every backend, including races."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from tests.store._support import POOL, add_pools, add_user, make_user

from poolgate.store.base import UnitOfWork
from poolgate.store.sql import SqlStore
from poolgate.users.model import StoredCode


@pytest.fixture
def sub(store: SqlStore) -> str:
    add_pools(store, POOL)
    return add_user(store, make_user("coder")).sub


def make_code(
    sub: str,
    purpose: str = "SignUp",
    *,
    code_hash: str = "sha256:abc",
    created_at: float = 1000.0,
    expires_at: float = 1600.0,
    attempts: int = 0,
) -> StoredCode:
    return StoredCode(POOL, sub, purpose, code_hash, created_at, expires_at, attempts)


def test_code_put_get_replace_delete(store: SqlStore, sub: str) -> None:
    code = make_code(sub)
    with store.transaction() as uow:
        assert uow.codes.get(POOL, sub, "SignUp") is None
        uow.codes.put(code)
        uow.codes.put(make_code(sub, "ForgotPassword", code_hash="other"))
    with store.transaction() as uow:
        assert uow.codes.get(POOL, sub, "SignUp") == code
        newer = make_code(sub, code_hash="sha256:def", created_at=2000.0, expires_at=2600.0, attempts=0)
        uow.codes.count_attempt(POOL, sub, "SignUp", now=1100.0, limit=5)
        # A new code replaces the old one, failed attempts included.
        uow.codes.put(newer)
    with store.transaction() as uow:
        assert uow.codes.get(POOL, sub, "SignUp") == newer
        uow.codes.delete(POOL, sub, "SignUp")
        uow.codes.delete(POOL, sub, "SignUp")
    with store.transaction() as uow:
        assert uow.codes.get(POOL, sub, "SignUp") is None
        assert uow.codes.get(POOL, sub, "ForgotPassword").code_hash == "other"  # type: ignore[union-attr]


def test_code_for_a_missing_user_is_an_integrity_error(store: SqlStore, sub: str) -> None:
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as uow:
        uow.codes.put(make_code("no-such-sub"))


def _attempts(uow: UnitOfWork, sub: str, purpose: str = "SignUp", *, now: float = 1100.0) -> int | None:
    counted = uow.codes.count_attempt(POOL, sub, purpose, now=now, limit=5)
    return None if counted is None else counted.attempts


def test_count_attempt_counts_up_to_the_limit(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        assert _attempts(uow, sub) is None
        uow.codes.put(make_code(sub))
        assert [_attempts(uow, sub) for _ in range(6)] == [1, 2, 3, 4, 5, None]
        assert uow.codes.get(POOL, sub, "SignUp").attempts == 5  # type: ignore[union-attr]
        assert _attempts(uow, sub, "Other") is None
        uow.codes.put(make_code(sub, "Late"))
        # Expired at its expiry time: not counted.
        assert _attempts(uow, sub, "Late", now=1600.0) is None
        assert uow.codes.get(POOL, sub, "Late").attempts == 0  # type: ignore[union-attr]


def test_concurrent_attempts_never_pass_the_limit(store: SqlStore, sub: str) -> None:
    """Issue 15 item 8: testing the limit and counting is one step, so 20 transactions counting
    at once (each held open a moment after its count) get exactly 5 attempts between them."""
    with store.transaction() as uow:
        uow.codes.put(make_code(sub))
    results = _run_concurrently(20, lambda: _in_transaction(store, "attempt", sub))
    assert sorted(r for r in results if r) == [1, 2, 3, 4, 5]
    assert results.count(0) == 15


def test_expired_codes_are_purged(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.codes.put(make_code(sub, "old", expires_at=100.0))
        uow.codes.put(make_code(sub, "edge", expires_at=200.0))
        uow.codes.put(make_code(sub, "new", expires_at=300.0))
    assert store.purge_expired(200.0) == 1
    with store.transaction() as uow:
        assert uow.codes.get(POOL, sub, "old") is None
        assert uow.codes.get(POOL, sub, "edge") is not None


def test_counter_window(store: SqlStore) -> None:
    with store.transaction() as uow:
        counters = uow.counters
        assert counters.get("login", "alice", now=0.0) == 0
        assert counters.increment("login", "alice", now=100.0, window=60.0) == 1
        assert counters.increment("login", "alice", now=130.0, window=60.0) == 2
        # The window is fixed from the first event: it does not slide.
        assert counters.increment("login", "alice", now=159.9, window=60.0) == 3
        assert counters.get("login", "alice", now=159.9) == 3
        assert counters.increment("login", "bob", now=100.0, window=60.0) == 1
        assert counters.increment("other", "alice", now=100.0, window=60.0) == 1
        # At the end of the window it has expired: reads 0, and the next event restarts at 1.
        assert counters.get("login", "alice", now=160.0) == 0
        assert counters.increment("login", "alice", now=160.0, window=10.0) == 1
        assert counters.increment("login", "alice", now=169.0, window=10.0) == 2
        assert counters.get("login", "alice", now=169.0) == 2
        assert counters.get("login", "alice", now=170.0) == 0
        counters.reset("login", "alice")
        counters.reset("login", "nobody")
        assert counters.get("login", "alice", now=169.0) == 0
        assert counters.get("login", "bob", now=150.0) == 1


def test_concurrent_increments_count_every_event(store: SqlStore) -> None:
    results = _run_concurrently(20, lambda: _in_transaction(store, "increment", ""))
    assert sorted(results) == list(range(1, 21))
    with store.transaction() as uow:
        assert uow.counters.get("race", "key", now=1001.0) == 20


def test_expired_counters_are_purged(store: SqlStore) -> None:
    with store.transaction() as uow:
        uow.counters.increment("s", "old", now=0.0, window=100.0)
        uow.counters.increment("s", "new", now=0.0, window=300.0)
    assert store.purge_expired(200.0) == 1
    with store.transaction() as uow:
        rows = uow.connection.execute(sa.text("SELECT key FROM counters")).scalars().all()
        assert rows == ["new"]


def _in_transaction(store: SqlStore, what: str, sub: str) -> int:
    with store.transaction() as uow:
        if what == "attempt":
            counted = _attempts(uow, sub)
            time.sleep(0.02)
            return 0 if counted is None else counted
        return uow.counters.increment("race", "key", now=1000.0, window=60.0)


def _run_concurrently(count: int, work: Callable[[], int]) -> list[int]:
    """Run ``work`` in ``count`` threads released together; return what each returned."""
    barrier = threading.Barrier(count)
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            value = work()
        except BaseException as exc:  # noqa: BLE001 - reported below
            with lock:
                errors.append(exc)
            return
        with lock:
            results.append(value)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results
