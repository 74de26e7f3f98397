"""Finding a user by the name a caller gives: the username, or an alias / sign-in attribute."""

from __future__ import annotations

from poolgate.errors import UserNotFoundException
from poolgate.pools.model import UserPool
from poolgate.store.base import UnitOfWork
from poolgate.users import rules
from poolgate.users.attributes import fold
from poolgate.users.model import User


def lookup_keys(pool: UserPool, name: str) -> list[tuple[str, str]]:
    """The lookup keys ``name`` may match, most specific first (docs/management.md §10).

    The stored keys come from ``attributes.username_keys``, so an alias only matches
    once it is a key there (a verified e-mail or phone, or a preferred_username).
    """
    key = fold(pool, name)
    kinds = ["username", *pool.username_attributes]
    kinds += [kind for kind in pool.alias_attributes if kind not in kinds]
    return [(kind, key) for kind in kinds]


def find_user(uow: UnitOfWork, pool: UserPool, name: str) -> User | None:
    """The user that ``name`` designates in the pool, or None."""
    for kind, key in lookup_keys(pool, name):
        user = uow.users.find(pool.id, kind, key)
        if user is not None:
            return user
    return None


def require_user(uow: UnitOfWork, pool: UserPool, name: str) -> User:
    """Like :func:`find_user`, raising UserNotFoundException ("User does not exist.")."""
    user = find_user(uow, pool, name)
    if user is None:
        raise UserNotFoundException(rules.USER_NOT_FOUND_MESSAGE)
    return user
