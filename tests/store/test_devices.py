"""Contract tests for DeviceRepo on every backend: storage, the encrypted verifier, listing,
locking, expiry of pending devices, and cascades from users and pools."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa
from tests.store._support import (
    OTHER_POOL,
    POOL,
    add_client,
    add_pools,
    add_user,
    make_user,
    second_locker_result,
)
from tests.store.test_token_sessions import make_session

from poolgate.devices.model import Device, RememberedStatus
from poolgate.security.crypto import MasterKey, WrongMasterKeyError
from poolgate.store.base import DuplicateError
from poolgate.store.sql import SqlStore, SqlUnitOfWork, rotate_master_key

NOW = 1_700_000_000.0
GROUP = "-abcDEF12"


def key(n: int) -> str:
    return f"us-east-1_0f1e2d3c-4b5a-6978-8796-{n:012x}"


def pending(sub: str, n: int, **changes: object) -> Device:
    device = Device(POOL, sub, key(n), GROUP, NOW, NOW, expires_at=NOW + 3600.0)
    return replace(device, **changes)  # type: ignore[arg-type]


def confirmed(sub: str, n: int, **changes: object) -> Device:
    device = replace(
        pending(sub, n),
        status=RememberedStatus.REMEMBERED,
        name="Firefox on Linux ✓",
        salt="00c0ffee11111111111111111111111111",
        verifier="7f" * 384,
        confirmed_at=NOW + 1.0,
        updated_at=NOW + 1.0,
        last_authenticated_at=NOW + 2.0,
        last_ip="192.0.2.7",
        expires_at=None,
    )
    return replace(device, **changes)  # type: ignore[arg-type]


@pytest.fixture
def sub(store: SqlStore) -> str:
    add_pools(store)
    return add_user(store, make_user("alice")).sub


def count_rows(store: SqlStore) -> int:
    with store.transaction(readonly=True) as uow:
        return int(uow.connection.execute(sa.text("SELECT COUNT(*) FROM devices")).scalar_one())


def test_add_get_update_delete(store: SqlStore, sub: str) -> None:
    fresh = pending(sub, 1)
    with store.transaction() as uow:
        assert uow.devices.get(POOL, key(1)) is None
        uow.devices.add(fresh)
    with store.transaction() as uow:
        got = uow.devices.get(POOL, key(1), for_update=True)
        assert got == fresh and not got.confirmed and not got.remembered
        uow.devices.update(confirmed(sub, 1, pending_session="a" * 64))
        # Another pool's key space is separate; updating a missing device does nothing.
        assert uow.devices.get(OTHER_POOL, key(1)) is None
        uow.devices.update(confirmed(sub, 9))
    with store.transaction() as uow:
        got = uow.devices.get(POOL, key(1))
        assert got == confirmed(sub, 1, pending_session="a" * 64)
        assert got.confirmed and got.remembered
        assert uow.devices.get(POOL, key(9)) is None
        uow.devices.delete(POOL, key(1))
        uow.devices.delete(POOL, key(1))
    assert count_rows(store) == 0


def test_update_keeps_owner_and_creation_time(store: SqlStore, sub: str) -> None:
    bob = add_user(store, make_user("bob")).sub
    with store.transaction() as uow:
        uow.devices.add(pending(sub, 1))
        uow.devices.update(replace(confirmed(sub, 1), sub=bob, created_at=NOW + 99.0))
    with store.transaction() as uow:
        got = uow.devices.get(POOL, key(1))
        assert got is not None and got.sub == sub and got.created_at == NOW and got.confirmed


def test_verifier_is_encrypted_at_rest(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.devices.add(confirmed(sub, 1))
        raw = uow.connection.execute(sa.text("SELECT verifier_enc FROM devices")).scalar_one()
    assert b"7f7f7f" not in bytes(raw)


def test_duplicate_key_leaves_the_transaction_usable(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.devices.add(pending(sub, 1))
        with pytest.raises(DuplicateError):
            uow.devices.add(pending(sub, 1, group_key="-other"))
        uow.devices.add(pending(sub, 2))
    assert count_rows(store) == 2


def test_device_of_a_missing_user_is_an_integrity_error(store: SqlStore, sub: str) -> None:
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as uow:
        uow.devices.add(pending("no-such-sub", 1))


def test_list_shows_confirmed_devices_in_key_order(store: SqlStore, sub: str) -> None:
    bob = add_user(store, make_user("bob")).sub
    with store.transaction() as uow:
        for n in (5, 2, 7, 3):
            uow.devices.add(confirmed(sub, n))
        uow.devices.add(pending(sub, 4))
        uow.devices.add(confirmed(bob, 6))
    with store.transaction() as uow:
        keys = [d.device_key for d in uow.devices.list(POOL, sub, limit=60, after=None)]
        assert keys == [key(2), key(3), key(5), key(7)]
        page = uow.devices.list(POOL, sub, limit=2, after=key(2))
        assert [d.device_key for d in page] == [key(3), key(5)]
        assert uow.devices.list(POOL, sub, limit=2, after=key(7)) == []
        assert [d.device_key for d in uow.devices.list(POOL, bob, limit=60, after=None)] == [key(6)]
        assert uow.devices.list(OTHER_POOL, sub, limit=60, after=None) == []


def test_group_key_is_the_oldest_devices(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        assert uow.devices.group_key(POOL, sub) is None
        uow.devices.add(pending(sub, 2, group_key="-second", created_at=NOW + 5.0))
        uow.devices.add(pending(sub, 1, group_key=GROUP))
    with store.transaction() as uow:
        assert uow.devices.group_key(POOL, sub) == GROUP
        assert uow.devices.group_key(POOL, "nobody") is None


def test_get_for_update_serialises_confirmations(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.devices.add(pending(sub, 1))

    def lock(uow: SqlUnitOfWork) -> Device | None:
        return uow.devices.get(POOL, key(1), for_update=True)

    def confirm(uow: SqlUnitOfWork, found: Device | None) -> None:
        assert found is not None and not found.confirmed
        uow.devices.update(confirmed(sub, 1))

    # The second ConfirmDevice sees the first one's work, so it reports DeviceKeyExists.
    seen = second_locker_result(store, lock, confirm)
    assert seen is not None and seen.confirmed


def test_pending_devices_expire(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.devices.add(pending(sub, 1, expires_at=100.0))
        uow.devices.add(pending(sub, 2, expires_at=200.0))
        uow.devices.add(confirmed(sub, 3))
    assert store.purge_expired(200.0) == 1
    with store.transaction() as uow:
        assert uow.devices.get(POOL, key(1)) is None
        assert uow.devices.get(POOL, key(2)) is not None
        assert uow.devices.get(POOL, key(3)) is not None


def test_devices_go_with_their_user_and_pool(store: SqlStore, sub: str) -> None:
    bob = add_user(store, make_user("bob")).sub
    with store.transaction() as uow:
        uow.devices.add(confirmed(sub, 1))
        uow.devices.add(confirmed(bob, 2))
    with store.transaction() as uow:
        uow.users.delete(POOL, sub)
    with store.transaction() as uow:
        assert uow.devices.get(POOL, key(1)) is None
        assert uow.devices.get(POOL, key(2)) is not None
        uow.pools.delete(POOL)
    assert count_rows(store) == 0


def test_forgetting_a_device_ends_its_token_sessions(store: SqlStore, sub: str) -> None:
    add_client(store)
    with store.transaction() as uow:
        uow.devices.add(confirmed(sub, 1))
        uow.token_sessions.add(make_session("live", sub, device_key=key(1), expires_at=NOW + 100.0))
        uow.token_sessions.add(
            make_session("revoked", sub, origin="o2", device_key=key(1), revoked_at=NOW - 1.0)
        )
        uow.token_sessions.add(
            make_session("done", sub, origin="o3", device_key=key(1), expires_at=NOW - 5.0)
        )
        uow.token_sessions.add(make_session("other", sub, origin="o4", device_key=key(2)))
        uow.token_sessions.add(make_session("plain", sub, origin="o5"))
    with store.transaction() as uow:
        assert uow.token_sessions.end_device(POOL, key(1), NOW) == 1
        assert uow.token_sessions.end_device(OTHER_POOL, key(2), NOW) == 0
    with store.transaction() as uow:
        expiry = {
            h: uow.token_sessions.get(h).expires_at  # type: ignore[union-attr]
            for h in ("live", "revoked", "done", "other", "plain")
        }
    assert expiry["live"] == NOW and expiry["done"] == NOW - 5.0
    # A revoked record keeps refusing its sign-in's access tokens for as long as it did.
    assert expiry["revoked"] == NOW + 30 * 86400.0
    assert expiry["other"] == expiry["plain"] == NOW + 30 * 86400.0


def test_reset_clears_devices(store: SqlStore, sub: str) -> None:
    with store.transaction() as uow:
        uow.devices.add(confirmed(sub, 1))
    store.reset()
    assert count_rows(store) == 0


def test_master_key_rotation_covers_device_verifiers(
    store: SqlStore, sub: str, master_key: MasterKey
) -> None:
    with store.transaction() as uow:
        uow.devices.add(confirmed(sub, 1))
        uow.devices.add(pending(sub, 2))
    store.check_master_key()
    new = MasterKey.generate()
    assert rotate_master_key(store.url, master_key, new) == 1
    old_store = SqlStore(store.url, master_key)
    try:
        with pytest.raises(WrongMasterKeyError), old_store.transaction() as uow:
            uow.devices.get(POOL, key(1))
    finally:
        old_store.close()
    with SqlStore(store.url, new) as new_store, new_store.transaction() as uow:
        assert uow.devices.get(POOL, key(1)) == confirmed(sub, 1)
        assert uow.devices.get(POOL, key(2)) == pending(sub, 2)
