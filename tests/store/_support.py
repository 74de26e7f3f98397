"""Builders shared by the contract suites, and a check that row locks make writers queue."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from poolgate.pools.model import AppClient, UserPool
from poolgate.store.sql import SqlStore, SqlUnitOfWork
from poolgate.users.model import PasswordVerifier, User, UserStatus

POOL = "us-east-1_users"
OTHER_POOL = "us-east-1_other"
CLIENT = "client0000000000000000000001"

T = TypeVar("T")

# How long the first of two lockers holds its lock before writing and committing.
HOLD_SECONDS = 0.3


def add_pools(store: SqlStore, *pool_ids: str) -> None:
    """Create empty pools (``POOL`` and ``OTHER_POOL`` unless told otherwise)."""
    with store.transaction() as uow:
        for pool_id in pool_ids or (POOL, OTHER_POOL):
            uow.pools.add(UserPool(pool_id, "pool", 1.0, 1.0, {}))


def make_user(
    username: str,
    *,
    pool_id: str = POOL,
    sub: str | None = None,
    status: UserStatus = UserStatus.CONFIRMED,
    enabled: bool = True,
    attributes: Mapping[str, str] | None = None,
    password: PasswordVerifier | None = None,
    history: tuple[PasswordVerifier, ...] = (),
    settings: Mapping[str, Any] | None = None,
) -> User:
    """A user whose ``sub`` is random unless given; ``attributes`` gains the ``sub``."""
    sub = sub or str(uuid.uuid4())
    return User(
        user_pool_id=pool_id,
        username=username,
        sub=sub,
        status=status,
        enabled=enabled,
        attributes={"sub": sub, **(attributes or {})},
        created_at=1_700_000_000.5,
        updated_at=1_700_000_000.5,
        password=password,
        password_set_at=None if password is None else 1_700_000_000.5,
        password_history=history,
        settings=dict(settings or {}),
    )


def username_key(user: User) -> tuple[str, str]:
    """The ``username`` lookup key, folded as a case-insensitive pool would."""
    return ("username", user.username.lower())


def add_user(store: SqlStore, user: User, *extra_keys: tuple[str, str]) -> User:
    """Store ``user`` with its username key and ``extra_keys`` in one transaction."""
    with store.transaction() as uow:
        uow.users.add(user, [username_key(user), *extra_keys])
    return user


def add_client(store: SqlStore, client_id: str = CLIENT, pool_id: str = POOL) -> str:
    """Create an app client without a secret; return its id."""
    with store.transaction() as uow:
        uow.clients.add(AppClient(client_id, pool_id, "app", 1.0, 1.0, None, {}))
    return client_id


def second_locker_result(
    store: SqlStore, lock: Callable[[SqlUnitOfWork], T], write: Callable[[SqlUnitOfWork, T], None]
) -> T:
    """Run ``lock`` in two transactions on two threads, the second starting while the first
    holds its lock; the first then waits, calls ``write`` and commits.

    Asserts that the second ``lock`` returned only after the first transaction finished,
    and returns what it read (which should show the first one's write).
    """
    held = threading.Event()
    finished: list[float] = []

    def first() -> None:
        with store.transaction() as uow:
            value = lock(uow)
            held.set()
            time.sleep(HOLD_SECONDS)
            write(uow, value)
            finished.append(time.monotonic())

    def second() -> tuple[T, float]:
        assert held.wait(timeout=5), "the first transaction never took its lock"
        with store.transaction() as uow:
            value = lock(uow)
            return value, time.monotonic()

    with ThreadPoolExecutor(2) as pool:
        first_done = pool.submit(first)
        second_done = pool.submit(second)
        first_done.result(timeout=10)
        value, read_at = second_done.result(timeout=10)
    assert read_at >= finished[0], "the second locker did not wait for the first to commit"
    return value
