"""Users in ``users``, their lookup keys in ``user_keys``, and the ListUsers index.

Uniqueness of usernames and aliases is the database's job: ``user_keys`` has the
primary key ``(pool_id, kind, sha256(key))``, so of two sign-ups racing for the same
username exactly one commits. Keys are inserted with ``ON CONFLICT DO NOTHING``; a
skipped insert becomes ``DuplicateError(kind=...)`` after the repository has undone
its own writes, so the caller's transaction is usable and unchanged (no savepoint is
needed). Keys are inserted in sorted order, so two transactions never wait on each
other's keys in opposite orders.

The SRP verifier (the only form of the password) and the password history are
encrypted with the master key, bound to the pool and ``sub``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from poolgate.security.crypto import MasterKey
from poolgate.store.base import DuplicateError, UserKey
from poolgate.store.sql.fast import (
    Sql,
    columns_of,
    insert_ignoring_conflicts,
    insert_into,
    quote,
    select_by,
    select_list,
)
from poolgate.store.sql.repos import (
    count_pool_users,
    dump_config,
    load_config,
)
from poolgate.store.sql.tables import (
    USER_PASSWORD,
    USER_PASSWORD_HISTORY,
    user_keys,
    user_search,
    users,
)
from poolgate.store.sql.user_search import apply_filter, search_rows
from poolgate.users.model import PasswordVerifier, User, UserFilter, UserStatus


def key_digest(key: str) -> bytes:
    """The digest under which a lookup key is unique (see ``tables.user_keys``)."""
    return hashlib.sha256(key.encode("utf-8")).digest()


def _dump_verifier(verifier: PasswordVerifier) -> dict[str, str]:
    return {"salt": verifier.salt, "verifier": verifier.verifier}


def _load_verifier(value: Any) -> PasswordVerifier:
    if not isinstance(value, dict):
        raise TypeError("a stored password verifier is not a JSON object")
    return PasswordVerifier(salt=str(value["salt"]), verifier=str(value["verifier"]))


class UserCodec:
    """Converts between :class:`User` and ``users`` rows, encrypting the password."""

    def __init__(self, key: MasterKey) -> None:
        self._key = key

    def values(self, user: User) -> dict[str, Any]:
        """The ``users`` row for ``user``."""
        pool_id, sub = user.user_pool_id, user.sub
        password = None
        if user.password is not None:
            plain = json.dumps(_dump_verifier(user.password), separators=(",", ":")).encode("utf-8")
            password = self._key.encrypt(plain, USER_PASSWORD.aad(pool_id, sub))
        history = None
        if user.password_history:
            entries = [_dump_verifier(entry) for entry in user.password_history]
            plain = json.dumps(entries, separators=(",", ":")).encode("utf-8")
            history = self._key.encrypt(plain, USER_PASSWORD_HISTORY.aad(pool_id, sub))
        return {
            "pool_id": pool_id,
            "sub": sub,
            "username": user.username,
            "status": user.status.value,
            "enabled": user.enabled,
            "attributes": dump_config(user.attributes),
            "created_at": user.created_at,
            "updated_at": user.updated_at,
            "password_enc": password,
            "password_set_at": user.password_set_at,
            "password_history_enc": history,
            "settings": dump_config(user.settings),
        }

    def user(self, row: Any) -> User:
        """The :class:`User` stored in a ``users`` row."""
        pool_id, sub = str(row.pool_id), str(row.sub)
        password = None
        if row.password_enc is not None:
            plain = self._key.decrypt(bytes(row.password_enc), USER_PASSWORD.aad(pool_id, sub))
            password = _load_verifier(json.loads(plain))
        history: tuple[PasswordVerifier, ...] = ()
        if row.password_history_enc is not None:
            aad = USER_PASSWORD_HISTORY.aad(pool_id, sub)
            entries = json.loads(self._key.decrypt(bytes(row.password_history_enc), aad))
            history = tuple(_load_verifier(entry) for entry in entries)
        attributes = {str(name): str(value) for name, value in load_config(row.attributes).items()}
        return User(
            user_pool_id=pool_id,
            username=str(row.username),
            sub=sub,
            status=UserStatus(row.status),
            enabled=bool(row.enabled),
            attributes=attributes,
            created_at=float(row.created_at),
            updated_at=float(row.updated_at),
            password=password,
            password_set_at=None if row.password_set_at is None else float(row.password_set_at),
            password_history=history,
            settings=load_config(row.settings),
        )


_USER_BY_SUB = select_by(users, "pool_id", "sub")
_ADD_USER = insert_ignoring_conflicts(users)
_ADD_KEY = insert_ignoring_conflicts(user_keys)
_ADD_SEARCH_ROW = insert_into(user_search)
_USER_BY_KEY = Sql(
    f"SELECT {select_list(users, 'u')} FROM {quote('users')} u JOIN {quote('user_keys')} k "
    'ON k."pool_id" = u."pool_id" AND k."sub" = u."sub" '
    'WHERE k."pool_id" = :pool_id AND k."kind" = :kind AND k."key_digest" = :digest AND k."key" = :key',
    columns_of(users),
)


def _unique_sorted(keys: Iterable[UserKey]) -> list[UserKey]:
    return sorted(set(keys))


class SqlUserRepo:
    """The ``UserRepo`` protocol over ``users``, ``user_keys`` and ``user_search``."""

    def __init__(self, conn: sa.Connection, key: MasterKey) -> None:
        self._conn = conn
        self._codec = UserCodec(key)

    def add(self, user: User, keys: Sequence[UserKey]) -> None:
        """Store a new user and its lookup keys.

        Raises ``DuplicateError(kind=<key kind>)`` if another user holds one of the keys,
        or ``DuplicateError(kind="sub")`` if the ``sub`` is taken; either way nothing of
        the new user is left behind. ``IntegrityError`` if the pool does not exist.
        """
        pool_id, sub = user.user_pool_id, user.sub
        if _ADD_USER.run(self._conn, self._codec.values(user)) != 1:
            raise DuplicateError(f"user {sub} in {pool_id} already exists", kind="sub")
        try:
            self._insert_keys(pool_id, sub, _unique_sorted(keys))
        except DuplicateError:
            self._delete_row(pool_id, sub)
            raise
        self._write_search_rows(user)

    def get(self, pool_id: str, sub: str) -> User | None:
        row = _USER_BY_SUB.one(self._conn, {"pool_id": pool_id, "sub": sub})
        return None if row is None else self._codec.user(row)

    def find(self, pool_id: str, kind: str, key: str) -> User | None:
        params = {"pool_id": pool_id, "kind": kind, "digest": key_digest(key), "key": key}
        row = _USER_BY_KEY.one(self._conn, params)
        return None if row is None else self._codec.user(row)

    def keys(self, pool_id: str, sub: str) -> list[UserKey]:
        """The lookup keys the user holds, sorted (not part of the protocol; for tests)."""
        k = user_keys.c
        query = sa.select(k.kind, k.key).where(k.pool_id == pool_id, k.sub == sub)
        return sorted((str(kind), str(key)) for kind, key in self._conn.execute(query))

    def update(self, user: User, keys: Sequence[UserKey] | None = None) -> None:
        """Replace the stored user (its ``created_at`` is kept) and, given ``keys``, its
        lookup keys.

        Raises ``DuplicateError(kind=...)`` if another user holds one of the new keys;
        the stored user is then unchanged. Does nothing if there is no such user.
        """
        pool_id, sub = user.user_pool_id, user.sub
        u = users.c
        # Lock the row (PostgreSQL), so concurrent updates of one user queue here.
        locked = sa.select(u.sub).where(u.pool_id == pool_id, u.sub == sub).with_for_update()
        if self._conn.execute(locked).one_or_none() is None:
            return
        if keys is not None:
            self._replace_keys(pool_id, sub, _unique_sorted(keys))
        values = self._codec.values(user)
        del values["pool_id"], values["sub"], values["created_at"]
        self._conn.execute(sa.update(users).where(u.pool_id == pool_id, u.sub == sub).values(values))
        s = user_search.c
        self._conn.execute(sa.delete(user_search).where(s.pool_id == pool_id, s.sub == sub))
        self._write_search_rows(user)

    def delete(self, pool_id: str, sub: str) -> None:
        """Delete the user; its keys, codes, memberships and index rows cascade."""
        self._delete_row(pool_id, sub)

    def list(
        self, pool_id: str, *, limit: int, after: str | None, filter: UserFilter | None = None
    ) -> Sequence[User]:
        """Users ordered by sub after ``after``; see ``user_search`` for the filter rules."""
        u = users.c
        query = sa.select(users).where(u.pool_id == pool_id)
        if filter is not None:
            query = apply_filter(query, filter)
        if after is not None:
            query = query.where(u.sub > after)
        query = query.order_by(u.sub).limit(limit)
        return [self._codec.user(row) for row in self._conn.execute(query)]

    def count(self, pool_id: str) -> int:
        return count_pool_users(self._conn, pool_id)

    def _delete_row(self, pool_id: str, sub: str) -> None:
        u = users.c
        self._conn.execute(sa.delete(users).where(u.pool_id == pool_id, u.sub == sub))

    def _write_search_rows(self, user: User) -> None:
        rows = search_rows(user.user_pool_id, user.sub, user.attributes)
        if rows:
            _ADD_SEARCH_ROW.run_many(self._conn, rows)

    def _insert_keys(self, pool_id: str, sub: str, keys: Sequence[UserKey]) -> None:
        """Insert the keys in order; if one is held by another user, delete the ones this
        call inserted and raise ``DuplicateError(kind=...)``."""
        inserted: list[UserKey] = []
        for kind, key in keys:
            row = {"pool_id": pool_id, "kind": kind, "key_digest": key_digest(key), "key": key, "sub": sub}
            if _ADD_KEY.run(self._conn, row) != 1:
                self._delete_keys(pool_id, sub, inserted)
                raise DuplicateError(f"the {kind} is already taken in {pool_id}", kind=kind)
            inserted.append((kind, key))

    def _delete_keys(self, pool_id: str, sub: str, keys: Iterable[UserKey]) -> None:
        k = user_keys.c
        for kind, key in keys:
            self._conn.execute(
                sa.delete(user_keys).where(
                    k.pool_id == pool_id, k.kind == kind, k.key_digest == key_digest(key), k.sub == sub
                )
            )

    def _replace_keys(self, pool_id: str, sub: str, wanted: Sequence[UserKey]) -> None:
        current = set(self.keys(pool_id, sub))
        # New keys first: if one is taken, nothing has changed yet.
        self._insert_keys(pool_id, sub, [key for key in wanted if key not in current])
        self._delete_keys(pool_id, sub, sorted(current.difference(wanted)))
