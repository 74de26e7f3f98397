"""GroupService: groups of a pool and their members."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from poolgate.clock import Clock
from poolgate.errors import GroupExistsException, ResourceNotFoundException
from poolgate.pools.service import Page, decode_token, encode_token, require_pool
from poolgate.store.base import DuplicateError, Store, UnitOfWork
from poolgate.users.lookup import require_user
from poolgate.users.model import Group

# ListGroups, AdminListGroupsForUser and ListUsersInGroup default to this page size.
DEFAULT_PAGE = 60


def require_group(uow: UnitOfWork, pool_id: str, name: str) -> Group:
    group = uow.groups.get(pool_id, name)
    if group is None:
        raise ResourceNotFoundException("Group not found.")
    return group


class GroupService:
    """Group management; every method is one transaction."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def create(self, pool_id: str, name: str, fields: Mapping[str, Any]) -> Group:
        """CreateGroup; GroupExistsException if the name is taken."""
        now = self._clock.now()
        group = Group(
            pool_id,
            name,
            now,
            now,
            description=fields.get("Description"),
            role_arn=fields.get("RoleArn"),
            precedence=fields.get("Precedence"),
        )
        with self._store.transaction() as uow:
            require_pool(uow, pool_id)
            try:
                uow.groups.add(group)
            except DuplicateError:
                raise GroupExistsException(f"A group with the name {name} already exists.") from None
        return group

    def get(self, pool_id: str, name: str) -> Group:
        with self._store.transaction(readonly=True) as uow:
            require_pool(uow, pool_id)
            return require_group(uow, pool_id, name)

    def update(self, pool_id: str, name: str, fields: Mapping[str, Any]) -> Group:
        """UpdateGroup: the members given replace the stored ones; omitted ones are kept."""
        with self._store.transaction() as uow:
            require_pool(uow, pool_id)
            group = require_group(uow, pool_id, name)
            updated = replace(
                group,
                description=fields.get("Description", group.description),
                role_arn=fields.get("RoleArn", group.role_arn),
                precedence=fields.get("Precedence", group.precedence),
                updated_at=self._clock.now(),
            )
            uow.groups.update(updated)
            return updated

    def delete(self, pool_id: str, name: str) -> None:
        with self._store.transaction() as uow:
            require_pool(uow, pool_id)
            require_group(uow, pool_id, name)
            uow.groups.delete(pool_id, name)

    def list(self, pool_id: str, limit: int | None, token: str | None) -> Page:
        limit = limit or DEFAULT_PAGE
        with self._store.transaction(readonly=True) as uow:
            require_pool(uow, pool_id)
            rows = list(uow.groups.list(pool_id, limit=limit + 1, after=decode_token(token)))
        return _page(rows, limit, lambda g: g.name)

    def add_user(self, pool_id: str, name: str, username: str) -> None:
        with self._store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            require_group(uow, pool_id, name)
            user = require_user(uow, pool, username)
            uow.groups.add_member(pool_id, name, user.sub)

    def remove_user(self, pool_id: str, name: str, username: str) -> None:
        with self._store.transaction() as uow:
            pool = require_pool(uow, pool_id)
            require_group(uow, pool_id, name)
            user = require_user(uow, pool, username)
            uow.groups.remove_member(pool_id, name, user.sub)

    def groups_for_user(self, pool_id: str, username: str, limit: int | None, token: str | None) -> Page:
        limit = limit or DEFAULT_PAGE
        with self._store.transaction(readonly=True) as uow:
            pool = require_pool(uow, pool_id)
            user = require_user(uow, pool, username)
            rows = list(uow.groups.groups_of(pool_id, user.sub, limit=limit + 1, after=decode_token(token)))
        return _page(rows, limit, lambda g: g.name)

    def users_in_group(self, pool_id: str, name: str, limit: int | None, token: str | None) -> Page:
        limit = limit or DEFAULT_PAGE
        with self._store.transaction(readonly=True) as uow:
            require_pool(uow, pool_id)
            require_group(uow, pool_id, name)
            rows = list(uow.groups.members(pool_id, name, limit=limit + 1, after=decode_token(token)))
        return _page(rows, limit, lambda u: u.sub)


def _page(rows: list[Any], limit: int, key: Any) -> Page:
    items = rows[:limit]
    more = len(rows) > limit
    return Page(items, encode_token(key(items[-1])) if more and items else None)
