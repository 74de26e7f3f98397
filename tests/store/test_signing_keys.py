"""Contract tests for SigningKeyRepo on every backend: storage, retirement, secrets."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa
from tests.store._support import OTHER_POOL, POOL, add_pools

from poolgate.security.crypto import MasterKey, WrongMasterKeyError
from poolgate.store.base import DuplicateError
from poolgate.store.sql import SqlStore, rotate_master_key
from poolgate.tokens.model import SigningKey

# Not a real key: the store treats the PEM as opaque bytes.
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" * 4
PEM = f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----\n".encode()


def make_key(kid: str, *, pool_id: str = POOL, use: str = "access", created_at: float = 100.0) -> SigningKey:
    jwk = {"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": "u1b2" * 10, "e": "AQAB"}
    return SigningKey(pool_id, kid, use, PEM + kid.encode(), jwk, created_at)


@pytest.fixture(autouse=True)
def pools(store: SqlStore) -> None:
    add_pools(store)


def test_add_list_retire_delete(store: SqlStore) -> None:
    newer = make_key("kid-b", use="id", created_at=200.0)
    older = make_key("kid-c", created_at=100.0)
    tied = make_key("kid-a", created_at=200.0)
    with store.transaction() as uow:
        assert uow.signing_keys.list(POOL) == []
        for key in (newer, older, tied):
            uow.signing_keys.add(key)
        uow.signing_keys.add(make_key("kid-a", pool_id=OTHER_POOL))
    with store.transaction() as uow:
        # Oldest first; keys created together are ordered by kid.
        assert uow.signing_keys.list(POOL) == [older, tied, newer]
        assert [key.kid for key in uow.signing_keys.list(OTHER_POOL)] == ["kid-a"]
        uow.signing_keys.retire(POOL, "kid-c", 300.5)
        # A second retirement keeps the first time.
        uow.signing_keys.retire(POOL, "kid-c", 999.0)
        uow.signing_keys.retire(POOL, "no-such-kid", 300.0)
    with store.transaction() as uow:
        assert uow.signing_keys.list(POOL)[0] == replace(older, retired_at=300.5)
        uow.signing_keys.delete(POOL, "kid-c")
        uow.signing_keys.delete(POOL, "kid-c")
    with store.transaction() as uow:
        assert uow.signing_keys.list(POOL) == [tied, newer]
        assert len(uow.signing_keys.list(OTHER_POOL)) == 1


def test_duplicate_kid_leaves_the_transaction_usable(store: SqlStore) -> None:
    with store.transaction() as uow:
        uow.signing_keys.add(make_key("kid-1"))
        with pytest.raises(DuplicateError):
            uow.signing_keys.add(make_key("kid-1", use="id"))
        uow.signing_keys.add(make_key("kid-2"))
    with store.transaction() as uow:
        assert [(key.kid, key.use) for key in uow.signing_keys.list(POOL)] == [
            ("kid-1", "access"),
            ("kid-2", "access"),
        ]


def test_key_of_a_missing_pool_is_an_integrity_error(store: SqlStore) -> None:
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as uow:
        uow.signing_keys.add(make_key("kid-1", pool_id="us-east-1_missing"))


def test_keys_go_with_their_pool(store: SqlStore) -> None:
    with store.transaction() as uow:
        uow.signing_keys.add(make_key("kid-1"))
        uow.signing_keys.add(make_key("kid-2", pool_id=OTHER_POOL))
    with store.transaction() as uow:
        uow.pools.delete(POOL)
    with store.transaction() as uow:
        count = uow.connection.execute(sa.text("SELECT COUNT(*) FROM signing_keys")).scalar_one()
        assert count == 1
        assert len(uow.signing_keys.list(OTHER_POOL)) == 1


def test_private_key_is_not_stored_in_plain_text(store: SqlStore) -> None:
    with store.transaction() as uow:
        uow.signing_keys.add(make_key("kid-1"))
    with store.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM signing_keys")).one()
        conn.rollback()
    assert PEM_BODY not in repr(tuple(row))
    assert PEM_BODY[:24].encode() not in bytes(row.private_enc)
    assert b"PRIVATE KEY" not in bytes(row.private_enc)
    # The public half is published anyway and stays readable.
    assert '"kid":"kid-1"' in row.public_jwk


def test_private_key_moved_to_another_kid_does_not_decrypt(store: SqlStore) -> None:
    with store.transaction() as uow:
        uow.signing_keys.add(make_key("victim"))
        uow.signing_keys.add(make_key("attacker"))
    with store.transaction() as uow:
        conn = uow.connection
        blob = conn.execute(sa.text("SELECT private_enc FROM signing_keys WHERE kid = 'victim'")).scalar_one()
        conn.execute(sa.text("UPDATE signing_keys SET private_enc = :b WHERE kid = 'attacker'"), {"b": blob})
    with pytest.raises(WrongMasterKeyError), store.transaction() as uow:
        uow.signing_keys.list(POOL)


def test_rotation_and_key_check_cover_signing_keys(store: SqlStore, master_key: MasterKey) -> None:
    keys = [make_key("kid-1"), make_key("kid-2", pool_id=OTHER_POOL, use="id")]
    with store.transaction() as uow:
        for key in keys:
            uow.signing_keys.add(key)
    with SqlStore(store.url, MasterKey.generate()) as wrong, pytest.raises(WrongMasterKeyError):
        wrong.check_master_key()
    store.check_master_key()
    new = MasterKey.generate()
    assert rotate_master_key(store.url, master_key, new) == 2
    with SqlStore(store.url, master_key) as old_store, pytest.raises(WrongMasterKeyError):
        old_store.check_master_key()
    with SqlStore(store.url, new) as new_store, new_store.transaction() as uow:
        assert [*uow.signing_keys.list(POOL), *uow.signing_keys.list(OTHER_POOL)] == keys
