"""Contract tests for AccessKeyRepo, MetaRepo, OutboxRepo and the store's housekeeping."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from poolgate.clock import OffsetClock
from poolgate.pools.model import AppClient, UserPool
from poolgate.store.base import DuplicateError, StoredAccessKey
from poolgate.store.sql import SqlStore


def add_message(
    store: SqlStore, pool: str, user: str, expires_at: float, code: str | None = "123456"
) -> None:
    with store.transaction() as uow:
        uow.outbox.add(
            user_pool_id=pool,
            username=user,
            channel="EMAIL",
            destination=f"{user}@example.com",
            purpose="SignUp",
            message=f"Your code is {code}",
            code=code,
            created_at=expires_at - 100,
            expires_at=expires_at,
        )


def test_access_keys_add_get_list_revoke(store: SqlStore) -> None:
    first = StoredAccessKey("AKIAFIRST", "secret-one", 10.0, "ci")
    second = StoredAccessKey("AKIASECOND", "secret-two", 20.0)
    with store.transaction() as uow:
        uow.access_keys.add(second)
        uow.access_keys.add(first)
    with store.transaction() as uow:
        assert uow.access_keys.get("AKIAFIRST") == first
        assert uow.access_keys.get("AKIAUNKNOWN") is None
        assert list(uow.access_keys.list()) == [first, second]
        assert uow.access_keys.revoke("AKIAFIRST", 30.0) is True
        assert uow.access_keys.revoke("AKIAFIRST", 31.0) is False
        assert uow.access_keys.revoke("AKIAUNKNOWN", 31.0) is False
    with store.transaction() as uow:
        assert uow.access_keys.get("AKIAFIRST") is None
        assert list(uow.access_keys.list()) == [second]
        # A revoked id stays taken.
        with pytest.raises(DuplicateError):
            uow.access_keys.add(StoredAccessKey("AKIAFIRST", "again", 40.0))


def test_access_key_secret_is_not_stored_in_plain_text(store: SqlStore) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    with store.transaction() as uow:
        uow.access_keys.add(StoredAccessKey("AKIDEXAMPLE", secret, 1.0))
    with store.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM access_keys")).one()
        conn.rollback()
    assert secret.encode() not in bytes(row.secret_enc)
    assert secret not in repr(tuple(row))


def test_meta_get_set_overwrite(store: SqlStore) -> None:
    with store.transaction() as uow:
        assert uow.meta.get("anything") is None
        uow.meta.set("anything", "one")
        uow.meta.set("other", "")
    with store.transaction() as uow:
        assert uow.meta.get("anything") == "one"
        assert uow.meta.get("other") == ""
        uow.meta.set("anything", "two")
    with store.transaction() as uow:
        assert uow.meta.get("anything") == "two"


def test_outbox_add_list_filter(store: SqlStore) -> None:
    add_message(store, "pool-a", "alice", 1000.0)
    add_message(store, "pool-a", "bob", 1000.0, code=None)
    add_message(store, "pool-b", "alice", 1000.0)
    with store.transaction() as uow:
        everything = uow.outbox.list(None, None)
        assert [(m.user_pool_id, m.username) for m in everything] == [
            ("pool-a", "alice"),
            ("pool-a", "bob"),
            ("pool-b", "alice"),
        ]
        assert everything[0].id < everything[1].id < everything[2].id
        assert everything[1].code is None
        first = everything[0]
        assert (first.channel, first.destination, first.purpose, first.message, first.code) == (
            "EMAIL",
            "alice@example.com",
            "SignUp",
            "Your code is 123456",
            "123456",
        )
        assert (first.created_at, first.expires_at) == (900.0, 1000.0)
        assert [m.username for m in uow.outbox.list("pool-a", None)] == ["alice", "bob"]
        assert [m.user_pool_id for m in uow.outbox.list(None, "alice")] == ["pool-a", "pool-b"]
        assert [m.username for m in uow.outbox.list("pool-b", "bob")] == []


def test_purge_expired_deletes_only_past_rows(store: SqlStore) -> None:
    add_message(store, "p", "old", 100.0)
    add_message(store, "p", "edge", 200.0)
    add_message(store, "p", "new", 300.0)
    assert store.purge_expired(200.0) == 1
    with store.transaction() as uow:
        assert [m.username for m in uow.outbox.list(None, None)] == ["edge", "new"]
    assert store.purge_expired(1000.0) == 2
    assert store.purge_expired(1000.0) == 0


def test_clock_offset_default_set_and_used_by_offset_clock(store: SqlStore) -> None:
    assert store.clock_offset() == 0.0
    store.set_clock_offset(3600.5)
    assert store.clock_offset() == 3600.5
    store.set_clock_offset(-12.25)
    assert store.clock_offset() == -12.25
    clock = OffsetClock(store)
    store.set_clock_offset(86_400.0)
    import time

    assert abs(clock.now() - (time.time() + 86_400.0)) < 5


def test_reset_keeps_access_keys_and_meta_but_not_clock_offset(store: SqlStore) -> None:
    with store.transaction() as uow:
        uow.pools.add(UserPool("us-east-1_p", "p", 1.0, 1.0, {}))
        uow.clients.add(AppClient("c", "us-east-1_p", "c", 1.0, 1.0, "s", {}))
        uow.access_keys.add(StoredAccessKey("AKID", "secret", 1.0))
        uow.meta.set("keep", "me")
    add_message(store, "us-east-1_p", "u", 1000.0)
    store.set_clock_offset(60.0)
    store.check_master_key()
    store.reset()
    with store.transaction() as uow:
        assert uow.pools.list(10, None) == []
        assert uow.clients.get("c") is None
        assert uow.outbox.list(None, None) == []
        assert uow.access_keys.get("AKID") is not None
        assert uow.meta.get("keep") == "me"
    assert store.clock_offset() == 0.0
    store.check_master_key()


def test_ping(store: SqlStore) -> None:
    store.ping()
