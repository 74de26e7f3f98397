"""Contract tests for TokenSessionRepo on every backend: storage, rotation races, revocation."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa
from tests.store._support import (
    CLIENT,
    OTHER_POOL,
    POOL,
    add_client,
    add_pools,
    add_user,
    make_user,
    second_locker_result,
)

from poolgate.store.base import DuplicateError, LoginAttempts, StoredAuthSession
from poolgate.store.sql import SqlStore, SqlUnitOfWork
from poolgate.tokens.model import SigningKey, TokenSession

NOW = 1_700_000_000.0


def make_session(refresh_hash: str, sub: str, *, origin: str = "origin-1", **changes: object) -> TokenSession:
    session = TokenSession(
        refresh_hash=refresh_hash,
        user_pool_id=POOL,
        client_id=CLIENT,
        sub=sub,
        origin_jti=origin,
        event_id="event-" + origin,
        auth_time=NOW - 5.0,
        issued_at=NOW,
        expires_at=NOW + 30 * 86400.0,
    )
    return replace(session, **changes)  # type: ignore[arg-type]


@pytest.fixture
def sub(store: SqlStore) -> str:
    add_pools(store)
    add_client(store)
    return add_user(store, make_user("alice")).sub


def count_rows(store: SqlStore) -> int:
    with store.transaction(readonly=True) as uow:
        return int(uow.connection.execute(sa.text("SELECT COUNT(*) FROM token_sessions")).scalar_one())


def test_add_get_update(store: SqlStore, sub: str) -> None:
    plain = make_session("hash-1", sub)
    full = make_session(
        "hash-2",
        sub,
        origin="origin-2",
        device_key="us-east-1_0f1e2d3c-aaaa-bbbb-cccc-000000000001",
        revoked_at=NOW + 1.5,
        replaced_by="hash-3",
        grace_until=NOW + 60.0,
        extra={"scopes": ["openid", "email"], "amr": "Ålice ✓", "n": 3},
    )
    with store.transaction() as uow:
        assert uow.token_sessions.get("hash-1") is None
        uow.token_sessions.add(plain)
        uow.token_sessions.add(full)
    with store.transaction() as uow:
        assert uow.token_sessions.get("hash-1") == plain
        assert uow.token_sessions.get("hash-2", for_update=True) == full
        rotated = replace(plain, replaced_by="hash-9", grace_until=NOW + 30.0, extra={"rotated": True})
        uow.token_sessions.update(rotated)
        uow.token_sessions.update(make_session("never-stored", sub))
    with store.transaction() as uow:
        assert uow.token_sessions.get("hash-1") == rotated
        assert uow.token_sessions.get("never-stored") is None


def test_duplicate_hash_leaves_the_transaction_usable(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.token_sessions.add(make_session("hash-1", sub))
        with pytest.raises(DuplicateError):
            uow.token_sessions.add(make_session("hash-1", sub, origin="other"))
        uow.token_sessions.add(make_session("hash-2", sub))
    assert count_rows(store) == 2


def test_session_of_a_missing_user_is_an_integrity_error(store: SqlStore, sub: str) -> None:
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as uow:
        uow.token_sessions.add(make_session("hash-1", "no-such-sub"))


def test_get_for_update_serialises_rotations(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.token_sessions.add(make_session("hash-1", sub))

    def lock(uow: SqlUnitOfWork) -> TokenSession | None:
        return uow.token_sessions.get("hash-1", for_update=True)

    def rotate(uow: SqlUnitOfWork, old: TokenSession | None) -> None:
        assert old is not None and old.replaced_by is None
        uow.token_sessions.add(replace(old, refresh_hash="hash-2", issued_at=NOW + 1.0))
        uow.token_sessions.update(replace(old, replaced_by="hash-2", grace_until=NOW + 31.0))

    # The second caller sees the first one's rotation, so it will not rotate again.
    seen = second_locker_result(store, lock, rotate)
    assert seen is not None and seen.replaced_by == "hash-2" and seen.grace_until == NOW + 31.0


def test_origin_revoked(store: SqlStore, sub: str) -> None:
    add_client(store, "client-other", OTHER_POOL)
    other_sub = add_user(store, make_user("alice", pool_id=OTHER_POOL)).sub
    with store.transaction() as uow:
        uow.token_sessions.add(make_session("hash-1", sub, replaced_by="hash-2"))
        uow.token_sessions.add(make_session("hash-2", sub))
        uow.token_sessions.add(make_session("hash-3", sub, origin="origin-2"))
        uow.token_sessions.add(
            make_session("hash-4", other_sub, user_pool_id=OTHER_POOL, client_id="client-other")
        )
    with store.transaction() as uow:
        assert not uow.token_sessions.origin_revoked(POOL, "origin-1")
        assert not uow.token_sessions.origin_revoked(POOL, "no-such-origin")
        # Revoking one record of a sign-in (here the rotated-to one) revokes the origin.
        second = uow.token_sessions.get("hash-2")
        assert second is not None
        uow.token_sessions.update(replace(second, revoked_at=NOW + 10.0))
    with store.transaction() as uow:
        assert uow.token_sessions.origin_revoked(POOL, "origin-1")
        assert not uow.token_sessions.origin_revoked(POOL, "origin-2")
        assert not uow.token_sessions.origin_revoked(OTHER_POOL, "origin-1")


def test_revoke_user_counts_unrevoked_sessions(store: SqlStore, sub: str) -> None:
    bob = add_user(store, make_user("bob")).sub
    with store.transaction() as uow:
        uow.token_sessions.add(make_session("a1", sub, origin="o1"))
        uow.token_sessions.add(make_session("a2", sub, origin="o2", expires_at=NOW - 1.0))
        uow.token_sessions.add(make_session("a3", sub, origin="o3", revoked_at=NOW - 100.0))
        uow.token_sessions.add(make_session("b1", bob, origin="o4"))
    with store.transaction() as uow:
        assert uow.token_sessions.revoke_user(POOL, sub, NOW) == 2
        assert uow.token_sessions.revoke_user(POOL, sub, NOW + 5.0) == 0
        assert uow.token_sessions.revoke_user(POOL, "nobody", NOW) == 0
    with store.transaction() as uow:
        revoked = {h: uow.token_sessions.get(h).revoked_at for h in ("a1", "a2", "a3", "b1")}  # type: ignore[union-attr]
        assert revoked == {"a1": NOW, "a2": NOW, "a3": NOW - 100.0, "b1": None}
        assert all(uow.token_sessions.origin_revoked(POOL, origin) for origin in ("o1", "o2", "o3"))
        assert not uow.token_sessions.origin_revoked(POOL, "o4")


def test_expired_sessions_are_purged(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.token_sessions.add(make_session("old", sub, expires_at=100.0))
        uow.token_sessions.add(make_session("edge", sub, expires_at=200.0))
        uow.token_sessions.add(make_session("new", sub, expires_at=300.0, revoked_at=150.0))
    assert store.purge_expired(200.0) == 1
    with store.transaction() as uow:
        assert uow.token_sessions.get("old") is None
        assert uow.token_sessions.get("edge") is not None
        assert uow.token_sessions.get("new") is not None


def test_sessions_go_with_their_user_client_and_pool(store: SqlStore, sub: str) -> None:
    bob = add_user(store, make_user("bob")).sub
    add_client(store, "client-two")
    with store.transaction() as uow:
        uow.token_sessions.add(make_session("a1", sub))
        uow.token_sessions.add(make_session("b1", bob))
        uow.token_sessions.add(make_session("b2", bob, client_id="client-two"))
    with store.transaction() as uow:
        uow.users.delete(POOL, sub)
    with store.transaction() as uow:
        assert uow.token_sessions.get("a1") is None
        assert uow.token_sessions.get("b1") is not None
        uow.clients.delete(CLIENT)
    with store.transaction() as uow:
        assert uow.token_sessions.get("b1") is None
        assert uow.token_sessions.get("b2") is not None
        uow.pools.delete(POOL)
    assert count_rows(store) == 0


def test_reset_clears_auth_and_token_tables(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.token_sessions.add(make_session("hash-1", sub))
        uow.login_attempts.save(POOL, sub, LoginAttempts(1, NOW))
        uow.signing_keys.add(SigningKey(POOL, "kid", "id", b"pem", {"kid": "kid"}, NOW))
        uow.auth_sessions.add(StoredAuthSession("s", POOL, CLIENT, sub, "SMS_MFA", {}, 0, NOW, NOW + 180))
    store.reset()
    with store.transaction() as uow:
        for table in ("token_sessions", "login_attempts", "signing_keys", "auth_sessions"):
            assert uow.connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one() == 0, table
