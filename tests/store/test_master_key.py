"""The master-key check and key rotation, on every backend."""

from __future__ import annotations

import pytest

from poolgate.pools.model import AppClient, UserPool
from poolgate.security.crypto import MasterKey, WrongMasterKeyError
from poolgate.store.base import StoredAccessKey
from poolgate.store.sql import SqlStore, rotate_master_key


def fill(store: SqlStore) -> None:
    with store.transaction() as uow:
        uow.pools.add(UserPool("us-east-1_p", "p", 1.0, 1.0, {}))
        uow.clients.add(AppClient("c1", "us-east-1_p", "one", 1.0, 1.0, "secret-one", {}))
        uow.clients.add(AppClient("c2", "us-east-1_p", "two", 1.0, 1.0, None, {}))
        uow.clients.add(AppClient("c3", "us-east-1_p", "three", 1.0, 1.0, "secret-three", {}))
        uow.access_keys.add(StoredAccessKey("AKID", "ak-secret", 1.0))


def test_check_master_key_first_use_then_same_key(store: SqlStore, master_key: MasterKey) -> None:
    store.check_master_key()
    with store.transaction() as uow:
        assert uow.meta.get("master_key_check")
    store.check_master_key()
    with SqlStore(store.url, MasterKey.from_text(master_key.to_text())) as again:
        again.check_master_key()


def test_wrong_master_key_is_refused(store: SqlStore, master_key: MasterKey) -> None:
    store.check_master_key()
    wrong = MasterKey.generate()
    with SqlStore(store.url, wrong) as other, pytest.raises(WrongMasterKeyError) as info:
        other.check_master_key()
    message = str(info.value)
    assert "does not match" in message and "POOLGATE_MASTER_KEY" in message
    assert f"fingerprint {wrong.fingerprint}, expected {master_key.fingerprint}" in message
    assert master_key.to_text() not in message and wrong.to_text() not in message


def test_wrong_key_detected_from_secrets_when_no_check_value(store: SqlStore) -> None:
    # Secrets written before any check value existed still reveal a wrong key.
    fill(store)
    with SqlStore(store.url, MasterKey.generate()) as other, pytest.raises(WrongMasterKeyError):
        other.check_master_key()
    with store.transaction() as uow:
        assert uow.meta.get("master_key_check") is None


def test_reading_a_secret_with_the_wrong_key_fails(store: SqlStore) -> None:
    fill(store)
    with SqlStore(store.url, MasterKey.generate()) as other:
        with pytest.raises(WrongMasterKeyError), other.transaction() as uow:
            uow.clients.get("c1")
        with pytest.raises(WrongMasterKeyError), other.transaction() as uow:
            uow.access_keys.get("AKID")
        with other.transaction() as uow:
            assert uow.clients.get("c2") is not None


def test_rotate_master_key(store: SqlStore, master_key: MasterKey) -> None:
    fill(store)
    store.check_master_key()
    new = MasterKey.generate()
    assert rotate_master_key(store.url, master_key, new) == 3
    with SqlStore(store.url, master_key) as old_store, pytest.raises(WrongMasterKeyError):
        old_store.check_master_key()
    with SqlStore(store.url, new) as new_store:
        new_store.check_master_key()
        with new_store.transaction() as uow:
            assert uow.clients.get("c1").client_secret == "secret-one"  # type: ignore[union-attr]
            assert uow.clients.get("c2").client_secret is None  # type: ignore[union-attr]
            assert uow.clients.get("c3").client_secret == "secret-three"  # type: ignore[union-attr]
            assert uow.access_keys.get("AKID").secret_access_key == "ak-secret"  # type: ignore[union-attr]


def test_rotate_with_the_wrong_old_key_changes_nothing(store: SqlStore, master_key: MasterKey) -> None:
    fill(store)
    store.check_master_key()
    with pytest.raises(WrongMasterKeyError):
        rotate_master_key(store.url, MasterKey.generate(), MasterKey.generate())
    store.check_master_key()
    with store.transaction() as uow:
        assert uow.clients.get("c1").client_secret == "secret-one"  # type: ignore[union-attr]


def test_rotate_without_a_check_value_writes_one(store: SqlStore, master_key: MasterKey) -> None:
    fill(store)
    new = MasterKey.generate()
    assert rotate_master_key(store.url, master_key, new) == 3
    with SqlStore(store.url, new) as new_store:
        with new_store.transaction() as uow:
            assert uow.meta.get("master_key_check")
        new_store.check_master_key()
