"""Signing keys in ``signing_keys`` and refresh-token records in ``token_sessions``.

A signing key's private half is PKCS#8 PEM, encrypted with the master key and bound
to its pool and ``kid``; the public JWK is plain JSON (it is published anyway).

Token sessions hold only the refresh token's hash. Refresh-token rotation is a
read-modify-write step (two ``GetTokensFromRefreshToken`` calls with the same token
must not both rotate it), so ``get(for_update=True)`` locks the row on PostgreSQL;
on SQLite write transactions already run one at a time (see ``auth_repos``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from poolgate.security.crypto import MasterKey
from poolgate.store.base import DuplicateError
from poolgate.store.sql.fast import Sql, insert_ignoring_conflicts, select_by
from poolgate.store.sql.repos import ConfigRows, dump_config, insert_unique, load_config
from poolgate.store.sql.tables import SIGNING_KEY_PRIVATE, signing_keys, token_sessions
from poolgate.tokens.model import SigningKey, TokenSession

_SESSION_BY_HASH = select_by(token_sessions, "refresh_hash")
_SESSION_BY_HASH_LOCKED = select_by(token_sessions, "refresh_hash", for_update=True)
_ADD_SESSION = insert_ignoring_conflicts(token_sessions)
_ORIGIN_REVOKED = Sql(
    'SELECT 1 FROM "token_sessions" WHERE "pool_id" = :pool_id AND "origin_jti" = :origin_jti '
    'AND "revoked_at" IS NOT NULL LIMIT 1'
)
_KEYS_OF_POOL = select_by(signing_keys, "pool_id", order_by='"created_at", "kid"')


class SqlSigningKeyRepo:
    """The ``SigningKeyRepo`` protocol."""

    def __init__(self, conn: sa.Connection, key: MasterKey, config: ConfigRows) -> None:
        self._conn = conn
        self._key = key
        self._config = config

    def add(self, key: SigningKey) -> None:
        """Store a key; ``DuplicateError`` if the pool already has this ``kid``,
        ``IntegrityError`` if the pool does not exist."""
        aad = SIGNING_KEY_PRIVATE.aad(key.user_pool_id, key.kid)
        values = {
            "pool_id": key.user_pool_id,
            "kid": key.kid,
            "use": key.use,
            "private_enc": self._key.encrypt(key.private_pem, aad),
            "public_jwk": dump_config(key.public_jwk),
            "created_at": key.created_at,
            "retired_at": key.retired_at,
        }
        self._config.changed()
        insert_unique(self._conn, signing_keys, values, f"signing key {key.kid} of {key.user_pool_id}")

    def list(self, pool_id: str) -> Sequence[SigningKey]:
        """Every key of the pool, oldest first (ties broken by ``kid``). The decrypted keys are
        kept with the configuration rows (``ConfigRows``): keys are frozen values, and every
        token issued or checked needs them, so each is decrypted once per config epoch."""
        keys = self._config.get(
            "signing keys",
            pool_id,
            lambda: tuple(self._from_row(row) for row in _KEYS_OF_POOL.all(self._conn, {"pool_id": pool_id})),
        )
        return list(keys)

    def retire(self, pool_id: str, kid: str, when: float) -> None:
        """Mark the key retired at ``when``; a key already retired keeps its first time."""
        c = signing_keys.c
        query = sa.update(signing_keys).where(c.pool_id == pool_id, c.kid == kid, c.retired_at.is_(None))
        self._config.changed()
        self._conn.execute(query.values(retired_at=when))

    def delete(self, pool_id: str, kid: str) -> None:
        """Remove the key, retired or not; the caller decides when that is safe."""
        c = signing_keys.c
        self._config.changed()
        self._conn.execute(sa.delete(signing_keys).where(c.pool_id == pool_id, c.kid == kid))

    def _from_row(self, row: Any) -> SigningKey:
        pool_id, kid = str(row.pool_id), str(row.kid)
        private = self._key.decrypt(bytes(row.private_enc), SIGNING_KEY_PRIVATE.aad(pool_id, kid))
        return SigningKey(
            user_pool_id=pool_id,
            kid=kid,
            use=str(row.use),
            private_pem=private,
            public_jwk=load_config(row.public_jwk),
            created_at=float(row.created_at),
            retired_at=None if row.retired_at is None else float(row.retired_at),
        )


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


class SqlTokenSessionRepo:
    """The ``TokenSessionRepo`` protocol."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, session: TokenSession) -> None:
        """Store a record; ``DuplicateError`` if the hash is taken, ``IntegrityError`` if
        the pool, client or user does not exist."""
        if _ADD_SESSION.run(self._conn, _session_values(session)) != 1:
            raise DuplicateError("token session already exists")

    def get(self, refresh_hash: str, *, for_update: bool = False) -> TokenSession | None:
        """The record, expired or revoked ones included; with ``for_update`` the row stays
        locked until the transaction ends."""
        statement = _SESSION_BY_HASH_LOCKED if for_update else _SESSION_BY_HASH
        row = statement.one(self._conn, {"refresh_hash": refresh_hash})
        return None if row is None else _session_from_row(row)

    def update(self, session: TokenSession) -> None:
        """Replace every column of the record but its hash; does nothing if it is gone."""
        values = _session_values(session)
        del values["refresh_hash"]
        query = sa.update(token_sessions).where(token_sessions.c.refresh_hash == session.refresh_hash)
        self._conn.execute(query.values(values))

    def origin_revoked(self, pool_id: str, origin_jti: str) -> bool:
        return _ORIGIN_REVOKED.one(self._conn, {"pool_id": pool_id, "origin_jti": origin_jti}) is not None

    def revoke_user(self, pool_id: str, sub: str, when: float) -> int:
        """Set ``revoked_at = when`` on each of the user's unrevoked records (expired ones
        too); return how many changed."""
        c = token_sessions.c
        query = (
            sa.update(token_sessions)
            .where(c.pool_id == pool_id, c.sub == sub, c.revoked_at.is_(None))
            .values(revoked_at=when)
        )
        return int(self._conn.execute(query).rowcount)

    def end_device(self, pool_id: str, device_key: str, when: float) -> int:
        """Set ``expires_at = when`` on the device's unrevoked records that expire later."""
        c = token_sessions.c
        query = (
            sa.update(token_sessions)
            .where(
                c.pool_id == pool_id,
                c.device_key == device_key,
                c.revoked_at.is_(None),
                c.expires_at > when,
            )
            .values(expires_at=when)
        )
        return int(self._conn.execute(query).rowcount)


def _session_values(session: TokenSession) -> dict[str, Any]:
    return {
        "refresh_hash": session.refresh_hash,
        "pool_id": session.user_pool_id,
        "client_id": session.client_id,
        "sub": session.sub,
        "origin_jti": session.origin_jti,
        "event_id": session.event_id,
        "auth_time": session.auth_time,
        "issued_at": session.issued_at,
        "expires_at": session.expires_at,
        "device_key": session.device_key,
        "revoked_at": session.revoked_at,
        "replaced_by": session.replaced_by,
        "grace_until": session.grace_until,
        "extra": dump_config(session.extra),
    }


def _session_from_row(row: Any) -> TokenSession:
    return TokenSession(
        refresh_hash=str(row.refresh_hash),
        user_pool_id=str(row.pool_id),
        client_id=str(row.client_id),
        sub=str(row.sub),
        origin_jti=str(row.origin_jti),
        event_id=str(row.event_id),
        auth_time=float(row.auth_time),
        issued_at=float(row.issued_at),
        expires_at=float(row.expires_at),
        device_key=None if row.device_key is None else str(row.device_key),
        revoked_at=_optional_float(row.revoked_at),
        replaced_by=None if row.replaced_by is None else str(row.replaced_by),
        grace_until=_optional_float(row.grace_until),
        extra=load_config(row.extra),
    )
