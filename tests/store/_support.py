"""Builders shared by the user, group and code contract suites."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from poolgate.pools.model import UserPool
from poolgate.store.sql import SqlStore
from poolgate.users.model import PasswordVerifier, User, UserStatus

POOL = "us-east-1_users"
OTHER_POOL = "us-east-1_other"


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
