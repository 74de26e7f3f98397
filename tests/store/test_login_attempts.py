"""Contract tests for LoginAttemptRepo on every backend: storage, first-failure races, purge."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from tests.store._support import OTHER_POOL, POOL, add_pools, add_user, make_user, second_locker_result

from poolgate.store.base import LoginAttempts
from poolgate.store.sql import SqlStore, SqlUnitOfWork
from poolgate.store.sql.auth_repos import LOGIN_ATTEMPT_WINDOW, login_attempts_expiry

NOW = 1_700_000_000.0


@pytest.fixture
def sub(store: SqlStore) -> str:
    add_pools(store)
    return add_user(store, make_user("alice")).sub


def row_count(store: SqlStore) -> int:
    with store.transaction(readonly=True) as uow:
        return int(uow.connection.execute(sa.text("SELECT COUNT(*) FROM login_attempts")).scalar_one())


def test_save_get_reset(store: SqlStore, sub: str) -> None:
    locked = LoginAttempts(failures=6, last_failure_at=NOW, locked_until=NOW + 2.0)
    with store.transaction() as uow:
        assert uow.login_attempts.get(POOL, sub) == LoginAttempts()
        uow.login_attempts.save(POOL, sub, LoginAttempts(failures=1, last_failure_at=NOW - 10.5))
        assert uow.login_attempts.get(POOL, sub) == LoginAttempts(1, NOW - 10.5, None)
        uow.login_attempts.save(POOL, sub, locked)
    with store.transaction() as uow:
        assert uow.login_attempts.get(POOL, sub) == locked
        assert uow.login_attempts.get(POOL, sub, for_update=True) == locked
        assert uow.login_attempts.get(OTHER_POOL, sub) == LoginAttempts()
        uow.login_attempts.reset(POOL, sub)
        uow.login_attempts.reset(POOL, "nobody")
    with store.transaction() as uow:
        assert uow.login_attempts.get(POOL, sub) == LoginAttempts()
    assert row_count(store) == 0


def test_saving_for_a_missing_user_is_an_integrity_error(store: SqlStore, sub: str) -> None:
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as uow:
        uow.login_attempts.save(POOL, "no-such-sub", LoginAttempts(1, NOW))


def test_locking_get_inserts_a_zero_row_on_postgresql_only(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        assert uow.login_attempts.get(POOL, sub, for_update=True) == LoginAttempts()
        # A second lock in the same transaction finds the row it inserted.
        assert uow.login_attempts.get(POOL, sub, for_update=True) == LoginAttempts()
    # SQLite runs write transactions one at a time and needs no row to lock, so a
    # successful sign-in there writes nothing.
    assert row_count(store) == (1 if store.engine.dialect.name == "postgresql" else 0)
    with store.transaction() as uow:
        assert uow.login_attempts.get(POOL, sub) == LoginAttempts()


def test_locking_get_for_a_missing_user_inserts_nothing(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        assert uow.login_attempts.get(POOL, "no-such-sub", for_update=True) == LoginAttempts()
        # The transaction is still usable (no failed statement on PostgreSQL).
        uow.login_attempts.save(POOL, sub, LoginAttempts(1, NOW))
    assert row_count(store) == 1


def test_first_failure_lock_makes_a_second_reader_wait(store: SqlStore, sub: str) -> None:
    def lock(uow: SqlUnitOfWork) -> LoginAttempts:
        return uow.login_attempts.get(POOL, sub, for_update=True)

    def fail(uow: SqlUnitOfWork, seen: LoginAttempts) -> None:
        uow.login_attempts.save(POOL, sub, LoginAttempts(seen.failures + 1, NOW))

    assert second_locker_result(store, lock, fail) == LoginAttempts(1, NOW)


def test_concurrent_first_failures_are_all_counted(store: SqlStore, sub: str) -> None:
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def fail_once(worker: int) -> None:
        barrier.wait()
        try:
            with store.transaction() as uow:
                seen = uow.login_attempts.get(POOL, sub, for_update=True)
                uow.login_attempts.save(POOL, sub, LoginAttempts(seen.failures + 1, NOW + worker))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fail_once, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.transaction() as uow:
        assert uow.login_attempts.get(POOL, sub).failures == 20


def test_expiry_is_the_later_of_window_and_lock() -> None:
    assert login_attempts_expiry(LoginAttempts()) == 0.0
    assert login_attempts_expiry(LoginAttempts(1, NOW)) == NOW + LOGIN_ATTEMPT_WINDOW
    assert login_attempts_expiry(LoginAttempts(9, NOW, NOW + 5.0)) == NOW + LOGIN_ATTEMPT_WINDOW
    assert login_attempts_expiry(LoginAttempts(12, NOW, NOW + 2000.0)) == NOW + 2000.0


def test_stale_records_are_purged(store: SqlStore, sub: str) -> None:
    users = {name: add_user(store, make_user(name)).sub for name in ("stale", "recent", "locked", "zero")}
    with store.transaction() as uow:
        uow.login_attempts.save(POOL, users["stale"], LoginAttempts(3, NOW - LOGIN_ATTEMPT_WINDOW - 1))
        uow.login_attempts.save(POOL, users["recent"], LoginAttempts(3, NOW - 60.0))
        # The last failure is old, but the lock runs on.
        old = NOW - LOGIN_ATTEMPT_WINDOW - 1
        uow.login_attempts.save(POOL, users["locked"], LoginAttempts(12, old, NOW + 30.0))
        # A zero row left by a locking read with no failure saved (PostgreSQL only).
        uow.login_attempts.get(POOL, users["zero"], for_update=True)
    assert store.purge_expired(NOW) == (2 if store.engine.dialect.name == "postgresql" else 1)
    with store.transaction() as uow:
        assert uow.login_attempts.get(POOL, users["stale"]) == LoginAttempts()
        assert uow.login_attempts.get(POOL, users["recent"]).failures == 3
        assert uow.login_attempts.get(POOL, users["locked"]).failures == 12
    assert row_count(store) == 2


def test_records_go_with_their_user_and_pool(store: SqlStore, sub: str) -> None:
    other = add_user(store, make_user("bob")).sub
    with store.transaction() as uow:
        uow.login_attempts.save(POOL, sub, LoginAttempts(2, NOW))
        uow.login_attempts.save(POOL, other, LoginAttempts(4, NOW))
    with store.transaction() as uow:
        uow.users.delete(POOL, sub)
    with store.transaction() as uow:
        assert uow.login_attempts.get(POOL, sub) == LoginAttempts()
        assert uow.login_attempts.get(POOL, other).failures == 4
        uow.pools.delete(POOL)
    assert row_count(store) == 0
