"""Auth sessions in ``auth_sessions`` and failed sign-ins in ``login_attempts``.

Both are read, changed and written back by the auth engine within one transaction,
and both can be raced: a client may send the same ``Session`` twice, and several
processes may count failed sign-ins of one user at once. ``for_update=True`` makes
such read-modify-write steps queue:

* PostgreSQL: the read is ``SELECT ... FOR UPDATE``, so a second transaction
  reading the same row waits until the first commits or rolls back, then sees its
  changes.
* SQLite: write transactions begin with ``BEGIN IMMEDIATE`` (see ``engine``) and so
  already run one at a time; ``FOR UPDATE`` is left out. A transaction opened with
  ``readonly=True`` does not get this guarantee, so lock only in write transactions.

A row lock needs a row. ``login_attempts`` holds no row for a user who never
failed, so on PostgreSQL :meth:`SqlLoginAttemptRepo.get` first inserts a zero record if
there is none (``INSERT ... SELECT`` from ``users``, so a missing user inserts nothing;
``ON CONFLICT DO NOTHING``, so the transaction stays usable) and then locks it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from poolgate.security.crypto import MasterKey
from poolgate.store.base import DuplicateError, LoginAttempts, StoredAuthSession
from poolgate.store.sql.fast import Sql, insert_ignoring_conflicts, select_by
from poolgate.store.sql.repos import dump_config, load_config, upsert
from poolgate.store.sql.tables import AUTH_SESSION_STATE, auth_sessions, login_attempts

# A failure record is meaningless once this many seconds have passed since the last
# failure and no lock is running: the counter resets after 15 quiet minutes
# (auth-flows.md §10), and the purge may delete it.
LOGIN_ATTEMPT_WINDOW = 900.0

# How often ``get(for_update=True)`` re-inserts the zero record when the row it found
# was deleted (by the purge or a reset) before it could be locked.
_LOCK_TRIES = 3


_SESSION_BY_ID = select_by(auth_sessions, "id")
_SESSION_BY_ID_LOCKED = select_by(auth_sessions, "id", for_update=True)
_ADD_SESSION = insert_ignoring_conflicts(auth_sessions)
_DELETE_SESSION = Sql('DELETE FROM "auth_sessions" WHERE "id" = :id')
_ATTEMPTS = select_by(login_attempts, "pool_id", "sub")
_ATTEMPTS_LOCKED = select_by(login_attempts, "pool_id", "sub", for_update=True)
_DELETE_ATTEMPTS = Sql('DELETE FROM "login_attempts" WHERE "pool_id" = :pool_id AND "sub" = :sub')
_ZERO_ATTEMPTS = Sql(
    'INSERT INTO "login_attempts" ("pool_id", "sub", "failures", "last_failure_at", "locked_until", "expires_at") '
    'SELECT "pool_id", "sub", 0, NULL, NULL, 0.0 FROM "users" WHERE "pool_id" = :pool_id AND "sub" = :sub '
    "ON CONFLICT DO NOTHING"
)


class SqlAuthSessionRepo:
    """The ``AuthSessionRepo`` protocol; the engine's state is encrypted, bound to the id."""

    def __init__(self, conn: sa.Connection, key: MasterKey) -> None:
        self._conn = conn
        self._key = key

    def add(self, session: StoredAuthSession) -> None:
        """Store a new session; ``DuplicateError`` if the id is taken, ``IntegrityError``
        if the pool or client does not exist."""
        if _ADD_SESSION.run(self._conn, self._values(session)) != 1:
            raise DuplicateError("auth session already exists")

    def get(self, session_id: str, *, for_update: bool = False) -> StoredAuthSession | None:
        """The session, expired or not; with ``for_update`` the row stays locked until the
        transaction ends."""
        statement = _SESSION_BY_ID_LOCKED if for_update else _SESSION_BY_ID
        row = statement.one(self._conn, {"id": session_id})
        return None if row is None else self._from_row(row)

    def update(self, session: StoredAuthSession) -> None:
        """Replace the user, challenge, state, attempt count and expiry of a stored session
        (its pool, client and creation time are kept). Does nothing if it is gone."""
        values = self._values(session)
        for fixed in ("id", "pool_id", "client_id", "created_at"):
            del values[fixed]
        self._conn.execute(sa.update(auth_sessions).where(auth_sessions.c.id == session.id).values(values))

    def delete(self, session_id: str) -> None:
        _DELETE_SESSION.run(self._conn, {"id": session_id})

    def _values(self, session: StoredAuthSession) -> dict[str, Any]:
        state = dump_config(session.state).encode("utf-8")
        return {
            "id": session.id,
            "pool_id": session.user_pool_id,
            "client_id": session.client_id,
            "sub": session.sub,
            "challenge": session.challenge,
            "state_enc": self._key.encrypt(state, AUTH_SESSION_STATE.aad(session.id)),
            "attempts": session.attempts,
            "created_at": session.created_at,
            "expires_at": session.expires_at,
        }

    def _from_row(self, row: Any) -> StoredAuthSession:
        session_id = str(row.id)
        plain = self._key.decrypt(bytes(row.state_enc), AUTH_SESSION_STATE.aad(session_id))
        return StoredAuthSession(
            id=session_id,
            user_pool_id=str(row.pool_id),
            client_id=str(row.client_id),
            sub=None if row.sub is None else str(row.sub),
            challenge=str(row.challenge),
            state=load_config(plain.decode("utf-8")),
            attempts=int(row.attempts),
            created_at=float(row.created_at),
            expires_at=float(row.expires_at),
        )


def login_attempts_expiry(attempts: LoginAttempts) -> float:
    """When a record stops mattering: the later of :data:`LOGIN_ATTEMPT_WINDOW` after the
    last failure and the end of the lock (0.0, already stale, for a zero record)."""
    ends = [0.0]
    if attempts.last_failure_at is not None:
        ends.append(attempts.last_failure_at + LOGIN_ATTEMPT_WINDOW)
    if attempts.locked_until is not None:
        ends.append(attempts.locked_until)
    return max(ends)


class SqlLoginAttemptRepo:
    """The ``LoginAttemptRepo`` protocol: one row per user with recent failures."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def get(self, pool_id: str, sub: str, *, for_update: bool = False) -> LoginAttempts:
        """The user's record, or a zero record.

        With ``for_update`` the row is locked until the transaction ends, even for a
        user with no failures yet (a zero row is inserted first; the purge removes it
        if nothing is saved). For a user that does not exist nothing is inserted and
        nothing is locked.
        """
        key = {"pool_id": pool_id, "sub": sub}
        if not for_update or self._conn.dialect.name != "postgresql":
            # SQLite runs write transactions one at a time: no row lock (and so no zero row,
            # which would make every successful sign-in write) is needed.
            row = _ATTEMPTS.one(self._conn, key)
            return LoginAttempts() if row is None else _attempts_from_row(row)
        for _ in range(_LOCK_TRIES):
            _ZERO_ATTEMPTS.run(self._conn, key)
            row = _ATTEMPTS_LOCKED.one(self._conn, key)
            if row is not None:
                return _attempts_from_row(row)
        return LoginAttempts()

    def save(self, pool_id: str, sub: str, attempts: LoginAttempts) -> None:
        """Write the user's record; ``IntegrityError`` if there is no such user."""
        values = {
            "pool_id": pool_id,
            "sub": sub,
            "failures": attempts.failures,
            "last_failure_at": attempts.last_failure_at,
            "locked_until": attempts.locked_until,
            "expires_at": login_attempts_expiry(attempts),
        }
        upsert(self._conn, login_attempts, ("pool_id", "sub"), values)

    def reset(self, pool_id: str, sub: str) -> None:
        _DELETE_ATTEMPTS.run(self._conn, {"pool_id": pool_id, "sub": sub})


def _attempts_from_row(row: Any) -> LoginAttempts:
    return LoginAttempts(
        failures=int(row.failures),
        last_failure_at=None if row.last_failure_at is None else float(row.last_failure_at),
        locked_until=None if row.locked_until is None else float(row.locked_until),
    )
