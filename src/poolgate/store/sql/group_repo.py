"""Groups in ``groups`` and their members in ``group_members``.

Memberships reference both the group and the user with ``ON DELETE CASCADE``, so
deleting either (or the pool) removes them without extra statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from poolgate.security.crypto import MasterKey
from poolgate.store.sql.fast import Sql, columns_of, quote, select_list
from poolgate.store.sql.repos import insert_if_absent, insert_unique
from poolgate.store.sql.tables import group_members, groups, users
from poolgate.store.sql.user_repo import UserCodec
from poolgate.users.model import Group, User


def _group_values(group: Group) -> dict[str, Any]:
    return {
        "pool_id": group.user_pool_id,
        "name": group.name,
        "description": group.description,
        "role_arn": group.role_arn,
        "precedence": group.precedence,
        "created_at": group.created_at,
        "updated_at": group.updated_at,
    }


_GROUPS_OF = (
    f"SELECT {select_list(groups, 'g')} FROM {quote('groups')} g JOIN {quote('group_members')} m "
    'ON m."pool_id" = g."pool_id" AND m."group_name" = g."name" WHERE m."pool_id" = :pool_id AND m."sub" = :sub'
)
_GROUPS_OF_FIRST = Sql(_GROUPS_OF + ' ORDER BY g."name" LIMIT :limit', columns_of(groups))
_GROUPS_OF_AFTER = Sql(
    _GROUPS_OF + ' AND g."name" > :after ORDER BY g."name" LIMIT :limit', columns_of(groups)
)


def _group_from_row(row: Any) -> Group:
    return Group(
        user_pool_id=str(row.pool_id),
        name=str(row.name),
        created_at=float(row.created_at),
        updated_at=float(row.updated_at),
        description=None if row.description is None else str(row.description),
        role_arn=None if row.role_arn is None else str(row.role_arn),
        precedence=None if row.precedence is None else int(row.precedence),
    )


class SqlGroupRepo:
    """The ``GroupRepo`` protocol; ``members`` decrypts users, so it needs the master key."""

    def __init__(self, conn: sa.Connection, key: MasterKey) -> None:
        self._conn = conn
        self._codec = UserCodec(key)

    def add(self, group: Group) -> None:
        """Store a new group; ``DuplicateError`` if the name is taken in the pool."""
        what = f"group {group.name} in {group.user_pool_id}"
        insert_unique(self._conn, groups, _group_values(group), what, kind="group")

    def get(self, pool_id: str, name: str) -> Group | None:
        g = groups.c
        row = self._conn.execute(sa.select(groups).where(g.pool_id == pool_id, g.name == name)).one_or_none()
        return None if row is None else _group_from_row(row)

    def update(self, group: Group) -> None:
        """Replace the description, role and precedence (and ``updated_at``)."""
        g = groups.c
        values = _group_values(group)
        del values["pool_id"], values["name"], values["created_at"]
        statement = sa.update(groups).where(g.pool_id == group.user_pool_id, g.name == group.name)
        self._conn.execute(statement.values(values))

    def delete(self, pool_id: str, name: str) -> None:
        g = groups.c
        self._conn.execute(sa.delete(groups).where(g.pool_id == pool_id, g.name == name))

    def list(self, pool_id: str, *, limit: int, after: str | None) -> Sequence[Group]:
        g = groups.c
        query = sa.select(groups).where(g.pool_id == pool_id)
        if after is not None:
            query = query.where(g.name > after)
        return [_group_from_row(row) for row in self._conn.execute(query.order_by(g.name).limit(limit))]

    def add_member(self, pool_id: str, name: str, sub: str) -> None:
        """Add the user to the group; ``IntegrityError`` if either does not exist."""
        insert_if_absent(self._conn, group_members, {"pool_id": pool_id, "group_name": name, "sub": sub})

    def remove_member(self, pool_id: str, name: str, sub: str) -> None:
        m = group_members.c
        self._conn.execute(
            sa.delete(group_members).where(m.pool_id == pool_id, m.group_name == name, m.sub == sub)
        )

    def groups_of(self, pool_id: str, sub: str, *, limit: int, after: str | None) -> Sequence[Group]:
        params: dict[str, Any] = {"pool_id": pool_id, "sub": sub, "limit": limit}
        statement = _GROUPS_OF_FIRST
        if after is not None:
            statement, params["after"] = _GROUPS_OF_AFTER, after
        return [_group_from_row(row) for row in statement.all(self._conn, params)]

    def members(self, pool_id: str, name: str, *, limit: int, after: str | None) -> Sequence[User]:
        u, m = users.c, group_members.c
        query = (
            sa.select(users)
            .join(group_members, sa.and_(m.pool_id == u.pool_id, m.sub == u.sub))
            .where(m.pool_id == pool_id, m.group_name == name)
        )
        if after is not None:
            query = query.where(u.sub > after)
        rows = self._conn.execute(query.order_by(u.sub).limit(limit))
        return [self._codec.user(row) for row in rows]
