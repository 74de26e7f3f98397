"""Contract tests for AuthSessionRepo on every backend: storage, locking, expiry, secrets."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa
from tests.store._support import (
    CLIENT,
    POOL,
    add_client,
    add_pools,
    add_user,
    make_user,
    second_locker_result,
)

from poolgate.security.crypto import MasterKey, WrongMasterKeyError
from poolgate.store.base import DuplicateError, StoredAuthSession
from poolgate.store.sql import SqlStore, SqlUnitOfWork, rotate_master_key

SRP_B = "9f1c0a7e5b3d" * 20


def make_session(
    session_id: str = "sess-1", *, sub: str | None = None, **changes: object
) -> StoredAuthSession:
    session = StoredAuthSession(
        id=session_id,
        user_pool_id=POOL,
        client_id=CLIENT,
        sub=sub,
        challenge="PASSWORD_VERIFIER",
        state={"flow": "USER_SRP_AUTH", "srp_b": SRP_B, "steps": ["SRP_A"], "note": "Ålice ✓"},
        attempts=0,
        created_at=1_700_000_000.25,
        expires_at=1_700_000_180.25,
    )
    return replace(session, **changes)  # type: ignore[arg-type]


@pytest.fixture
def sub(store: SqlStore) -> str:
    add_pools(store)
    add_client(store)
    return add_user(store, make_user("alice")).sub


def test_add_get_update_delete(store: SqlStore, sub: str) -> None:
    anonymous = make_session("sess-anon")
    known = make_session("sess-1", sub=sub)
    with store.transaction() as uow:
        assert uow.auth_sessions.get("sess-1") is None
        uow.auth_sessions.add(anonymous)
        uow.auth_sessions.add(known)
    with store.transaction() as uow:
        assert uow.auth_sessions.get("sess-anon") == anonymous
        assert uow.auth_sessions.get("sess-1", for_update=True) == known
        answered = replace(
            known,
            challenge="SOFTWARE_TOKEN_MFA",
            state={"flow": "USER_SRP_AUTH", "steps": ["SRP_A", "PASSWORD_VERIFIER"]},
            attempts=2,
            expires_at=1_700_000_400.0,
            # The pool, client and creation time of a session never change.
            created_at=5.0,
        )
        uow.auth_sessions.update(answered)
        uow.auth_sessions.update(make_session("never-stored"))
    with store.transaction() as uow:
        assert uow.auth_sessions.get("sess-1") == replace(answered, created_at=known.created_at)
        assert uow.auth_sessions.get("never-stored") is None
        uow.auth_sessions.delete("sess-1")
        uow.auth_sessions.delete("sess-1")
    with store.transaction() as uow:
        assert uow.auth_sessions.get("sess-1") is None
        assert uow.auth_sessions.get("sess-anon") == anonymous


def test_duplicate_id_leaves_the_transaction_usable(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.auth_sessions.add(make_session())
        with pytest.raises(DuplicateError):
            uow.auth_sessions.add(make_session(challenge="OTHER"))
        uow.auth_sessions.add(make_session("sess-2"))
    with store.transaction() as uow:
        assert uow.auth_sessions.get("sess-1") == make_session()
        assert uow.auth_sessions.get("sess-2") is not None


def test_session_of_an_unknown_client_is_an_integrity_error(store: SqlStore, sub: str) -> None:
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as uow:
        uow.auth_sessions.add(make_session(client_id="no-such-client"))


def test_get_for_update_makes_a_second_reader_wait(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.auth_sessions.add(make_session())

    def lock(uow: SqlUnitOfWork) -> StoredAuthSession | None:
        return uow.auth_sessions.get("sess-1", for_update=True)

    def spend_attempt(uow: SqlUnitOfWork, session: StoredAuthSession | None) -> None:
        assert session is not None
        uow.auth_sessions.update(replace(session, attempts=session.attempts + 1))

    seen = second_locker_result(store, lock, spend_attempt)
    assert seen is not None and seen.attempts == 1


def test_get_for_update_of_a_spent_session_waits_and_finds_nothing(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.auth_sessions.add(make_session())

    def lock(uow: SqlUnitOfWork) -> StoredAuthSession | None:
        return uow.auth_sessions.get("sess-1", for_update=True)

    def spend(uow: SqlUnitOfWork, session: StoredAuthSession | None) -> None:
        uow.auth_sessions.delete("sess-1")

    assert second_locker_result(store, lock, spend) is None


def test_expired_sessions_are_purged(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.auth_sessions.add(make_session("old", expires_at=100.0))
        uow.auth_sessions.add(make_session("edge", expires_at=200.0))
        uow.auth_sessions.add(make_session("new", expires_at=300.0))
    assert store.purge_expired(200.0) == 1
    with store.transaction() as uow:
        assert uow.auth_sessions.get("old") is None
        assert uow.auth_sessions.get("edge") is not None
        assert uow.auth_sessions.get("new") is not None


def test_sessions_go_with_their_client_and_pool(store: SqlStore, sub: str) -> None:
    add_client(store, "client-two")
    with store.transaction() as uow:
        uow.auth_sessions.add(make_session("a"))
        uow.auth_sessions.add(make_session("b", client_id="client-two"))
    with store.transaction() as uow:
        uow.clients.delete(CLIENT)
    with store.transaction() as uow:
        assert uow.auth_sessions.get("a") is None
        assert uow.auth_sessions.get("b") is not None
        uow.pools.delete(POOL)
    with store.transaction() as uow:
        count = uow.connection.execute(sa.text("SELECT COUNT(*) FROM auth_sessions")).scalar_one()
        assert count == 0


def test_state_is_not_stored_in_plain_text(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.auth_sessions.add(make_session(sub=sub))
    with store.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM auth_sessions")).one()
        conn.rollback()
    assert SRP_B not in repr(tuple(row))
    for plain in (SRP_B, "USER_SRP_AUTH", "Ålice"):
        assert plain.encode() not in bytes(row.state_enc)
    assert sub in repr(tuple(row))


def test_state_moved_to_another_session_does_not_decrypt(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.auth_sessions.add(make_session("victim"))
        uow.auth_sessions.add(make_session("attacker", state={}))
    with store.transaction() as uow:
        conn = uow.connection
        blob = conn.execute(sa.text("SELECT state_enc FROM auth_sessions WHERE id = 'victim'")).scalar_one()
        conn.execute(sa.text("UPDATE auth_sessions SET state_enc = :b WHERE id = 'attacker'"), {"b": blob})
    with pytest.raises(WrongMasterKeyError), store.transaction() as uow:
        uow.auth_sessions.get("attacker")


def test_rotation_and_key_check_cover_session_state(store: SqlStore, master_key: MasterKey, sub: str) -> None:
    with store.transaction() as uow:
        uow.auth_sessions.add(make_session("s1"))
        uow.auth_sessions.add(make_session("s2", sub=sub))
    with SqlStore(store.url, MasterKey.generate()) as wrong, pytest.raises(WrongMasterKeyError):
        wrong.check_master_key()
    new = MasterKey.generate()
    assert rotate_master_key(store.url, master_key, new) == 2
    with SqlStore(store.url, new) as new_store:
        new_store.check_master_key()
        with new_store.transaction() as uow:
            assert uow.auth_sessions.get("s1") == make_session("s1")
            assert uow.auth_sessions.get("s2") == make_session("s2", sub=sub)
