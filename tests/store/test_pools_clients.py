"""Contract tests for PoolRepo and ClientRepo, run on every backend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from poolgate.pools.model import AppClient, UserPool
from poolgate.store.base import DuplicateError
from poolgate.store.sql import SqlStore


def make_pool(pool_id: str, name: str = "pool", **config: object) -> UserPool:
    return UserPool(
        id=pool_id, name=name, created_at=1_700_000_000.25, updated_at=1_700_000_000.25, config=config
    )


def make_client(client_id: str, pool_id: str, secret: str | None = None, **config: object) -> AppClient:
    return AppClient(
        client_id=client_id,
        user_pool_id=pool_id,
        client_name=f"name-{client_id}",
        created_at=1_700_000_001.5,
        updated_at=1_700_000_001.5,
        client_secret=secret,
        config=config,
    )


def test_pool_add_get_update_delete(store: SqlStore) -> None:
    config = {"Policies": {"PasswordPolicy": {"MinimumLength": 8}}, "MfaConfiguration": "OFF", "Ünïcode": "✓"}
    pool = make_pool("us-east-1_AAAAAAAAA", "first", **config)
    with store.transaction() as uow:
        uow.pools.add(pool)
    with store.transaction() as uow:
        assert uow.pools.get(pool.id) == pool
        assert list(uow.pools.get(pool.id).config) == list(config)  # type: ignore[union-attr]
        assert uow.pools.get("us-east-1_missing") is None
        assert uow.pools.count_users(pool.id) == 0
    changed = UserPool(
        id=pool.id, name="renamed", created_at=5.0, updated_at=1_800_000_000.0, config={"X": [1, 2]}
    )
    with store.transaction() as uow:
        uow.pools.update(changed)
    with store.transaction() as uow:
        stored = uow.pools.get(pool.id)
        # The creation time is fixed when the pool is added; update keeps it.
        assert stored == UserPool(pool.id, "renamed", pool.created_at, 1_800_000_000.0, {"X": [1, 2]})
        uow.pools.delete(pool.id)
    with store.transaction() as uow:
        assert uow.pools.get(pool.id) is None


def test_pool_list_is_ordered_by_id_and_paginates(store: SqlStore) -> None:
    # Mixed case and digits: the order must be bytewise on every backend.
    ids = ["us-east-1_b", "us-east-1_A", "us-east-1_a", "us-east-1_B", "us-east-1_0", "eu-west-1_z"]
    with store.transaction() as uow:
        for pool_id in ids:
            uow.pools.add(make_pool(pool_id))
    expected = sorted(ids)
    with store.transaction(readonly=True) as uow:
        assert [p.id for p in uow.pools.list(100, None)] == expected
        pages: list[str] = []
        after = None
        while True:
            page = uow.pools.list(4, after)
            pages.extend(p.id for p in page)
            if len(page) < 4:
                break
            after = page[-1].id
        assert pages == expected
        assert [p.id for p in uow.pools.list(2, expected[2])] == expected[3:5]
        assert uow.pools.list(10, expected[-1]) == []


def test_duplicate_pool_raises_and_transaction_stays_usable(store: SqlStore) -> None:
    with store.transaction() as uow:
        uow.pools.add(make_pool("us-east-1_dup", "one"))
        with pytest.raises(DuplicateError):
            uow.pools.add(make_pool("us-east-1_dup", "two"))
        uow.pools.add(make_pool("us-east-1_other"))
    with store.transaction() as uow:
        assert [(p.id, p.name) for p in uow.pools.list(10, None)] == [
            ("us-east-1_dup", "one"),
            ("us-east-1_other", "pool"),
        ]


def test_client_add_get_update_delete(store: SqlStore) -> None:
    with store.transaction() as uow:
        uow.pools.add(make_pool("us-east-1_p"))
        uow.clients.add(
            make_client("client1", "us-east-1_p", "s3cret", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"])
        )
        uow.clients.add(make_client("client2", "us-east-1_p"))
    with store.transaction() as uow:
        first = uow.clients.get("client1")
        assert first == make_client(
            "client1", "us-east-1_p", "s3cret", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"]
        )
        assert uow.clients.get("client2") == make_client("client2", "us-east-1_p")
        assert uow.clients.get("nope") is None
        uow.clients.update(
            AppClient("client1", "us-east-1_p", "renamed", 0.0, 9.0, client_secret=None, config={"A": True})
        )
        uow.clients.update(
            AppClient("client2", "us-east-1_p", "two", 0.0, 9.0, client_secret="new", config={})
        )
    with store.transaction() as uow:
        assert uow.clients.get("client1") == AppClient(
            "client1", "us-east-1_p", "renamed", 1_700_000_001.5, 9.0, None, {"A": True}
        )
        assert uow.clients.get("client2").client_secret == "new"  # type: ignore[union-attr]
        uow.clients.delete("client1")
    with store.transaction() as uow:
        assert uow.clients.get("client1") is None
        assert [c.client_id for c in uow.clients.list("us-east-1_p", 10, None)] == ["client2"]


def test_client_list_per_pool_paginates(store: SqlStore) -> None:
    with store.transaction() as uow:
        uow.pools.add(make_pool("us-east-1_one"))
        uow.pools.add(make_pool("us-east-1_two"))
        for client_id in ["c", "A", "b", "B"]:
            uow.clients.add(make_client(client_id, "us-east-1_one"))
        uow.clients.add(make_client("x", "us-east-1_two"))
    with store.transaction() as uow:
        assert [c.client_id for c in uow.clients.list("us-east-1_one", 10, None)] == ["A", "B", "b", "c"]
        assert [c.client_id for c in uow.clients.list("us-east-1_one", 2, "A")] == ["B", "b"]
        assert [c.client_id for c in uow.clients.list("us-east-1_two", 10, None)] == ["x"]
        assert uow.clients.list("us-east-1_none", 10, None) == []


def test_deleting_a_pool_deletes_its_clients(store: SqlStore) -> None:
    with store.transaction() as uow:
        uow.pools.add(make_pool("us-east-1_gone"))
        uow.pools.add(make_pool("us-east-1_kept"))
        uow.clients.add(make_client("c1", "us-east-1_gone", "secret"))
        uow.clients.add(make_client("c2", "us-east-1_kept"))
    with store.transaction() as uow:
        uow.pools.delete("us-east-1_gone")
    with store.transaction() as uow:
        assert uow.clients.get("c1") is None
        assert uow.clients.get("c2") is not None


def test_duplicate_client_id_raises(store: SqlStore) -> None:
    with store.transaction() as uow:
        uow.pools.add(make_pool("us-east-1_p"))
        uow.pools.add(make_pool("us-east-1_q"))
        uow.clients.add(make_client("same", "us-east-1_p"))
    with pytest.raises(DuplicateError), store.transaction() as uow:
        uow.clients.add(make_client("same", "us-east-1_q"))


def test_client_of_a_missing_pool_is_an_integrity_error(store: SqlStore) -> None:
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as uow:
        uow.clients.add(make_client("orphan", "us-east-1_missing"))


def test_client_secret_is_not_stored_in_plain_text(store: SqlStore) -> None:
    secret = "a-very-recognisable-client-secret-1234567890"
    with store.transaction() as uow:
        uow.pools.add(make_pool("us-east-1_p"))
        uow.clients.add(make_client("cid", "us-east-1_p", secret))
    with store.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM user_pool_clients")).one()
        conn.rollback()
    assert secret.encode() not in bytes(row.secret_enc)
    assert secret not in repr(tuple(row))
    assert len(bytes(row.secret_enc)) >= len(secret) + 16


def test_ciphertext_moved_to_another_row_does_not_decrypt(store: SqlStore) -> None:
    from poolgate.security.crypto import WrongMasterKeyError

    with store.transaction() as uow:
        uow.pools.add(make_pool("us-east-1_p"))
        uow.clients.add(make_client("victim", "us-east-1_p", "victim-secret"))
        uow.clients.add(make_client("attacker", "us-east-1_p", "attacker-secret"))
    with store.transaction() as uow:
        conn = uow.connection
        blob = conn.execute(
            sa.text("SELECT secret_enc FROM user_pool_clients WHERE client_id = 'victim'")
        ).scalar()
        conn.execute(
            sa.text("UPDATE user_pool_clients SET secret_enc = :b WHERE client_id = 'attacker'"), {"b": blob}
        )
    with pytest.raises(WrongMasterKeyError, match="altered or copied"), store.transaction() as uow:
        uow.clients.get("attacker")
