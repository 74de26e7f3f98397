"""ConfigSnapshots: pools and clients from the process's cache, checked by the call's first
transaction (a change made by another process, here another store on the same database)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from tests.store.test_pools_clients import make_client, make_pool

from poolgate.errors import NotAuthorizedException
from poolgate.security.crypto import MasterKey
from poolgate.store.base import StaleConfig
from poolgate.store.sql import SqlStore

POOL = "us-east-1_Snap1"


@pytest.fixture
def other(migrated_url: str, master_key: MasterKey) -> Iterator[SqlStore]:
    """A second store on the same database: another server process."""
    with SqlStore(migrated_url, master_key) as opened:
        yield opened


def _warm(store: SqlStore) -> None:
    with store.transaction(readonly=True) as uow:
        assert uow.clients.get("client1") is not None
        assert uow.pools.get(POOL) is not None


@pytest.fixture
def seeded(store: SqlStore) -> SqlStore:
    with store.transaction() as uow:
        uow.pools.add(make_pool(POOL, name="snap"))
        uow.clients.add(make_client("client1", POOL, secret="s3cret", ExplicitAuthFlows=["ALLOW_A"]))
    return store


def test_nothing_cached_gives_no_snapshot(seeded: SqlStore) -> None:
    assert seeded.snapshot(None, "client1") is None


def test_a_warm_cache_gives_the_pool_and_client(seeded: SqlStore) -> None:
    _warm(seeded)
    found = seeded.snapshot(None, "client1")
    assert found is not None
    assert (found.pool.id, found.client.client_id, found.client.client_secret) == (POOL, "client1", "s3cret")
    assert seeded.snapshot(POOL, "client1") is not None
    assert seeded.snapshot("us-east-1_Other", "client1") is None  # not that pool's client
    assert seeded.snapshot(None, "nope") is None


def test_first_transaction_checks_the_epoch_and_later_ones_do_not(seeded: SqlStore, other: SqlStore) -> None:
    _warm(seeded)
    found = seeded.snapshot(None, "client1")
    assert found is not None
    with seeded.expecting(found):
        with seeded.transaction(readonly=True):
            pass
        with other.transaction() as uow:  # changes after the first check belong to the call's past
            client = uow.clients.get("client1")
            assert client is not None
            uow.clients.update(replace(client, config={"ExplicitAuthFlows": ["ALLOW_B"]}))
        with seeded.transaction():
            pass


def test_a_change_by_another_process_makes_the_snapshot_stale(seeded: SqlStore, other: SqlStore) -> None:
    _warm(seeded)
    found = seeded.snapshot(None, "client1")
    assert found is not None
    with other.transaction() as uow:
        client = uow.clients.get("client1")
        assert client is not None
        uow.clients.update(replace(client, config={"ExplicitAuthFlows": ["ALLOW_B"]}))
    with pytest.raises(StaleConfig), seeded.expecting(found), seeded.transaction():
        pytest.fail("the transaction must not start")
    # A fresh read (of both, as the engine's fallback does) sees the change, and so does the
    # next snapshot.
    _warm(seeded)
    again = seeded.snapshot(None, "client1")
    assert again is not None and again.client.config == {"ExplicitAuthFlows": ["ALLOW_B"]}


def test_an_error_before_any_transaction_is_checked_on_its_way_out(seeded: SqlStore, other: SqlStore) -> None:
    _warm(seeded)
    found = seeded.snapshot(None, "client1")
    assert found is not None
    # Still current: the call's own error comes out.
    with pytest.raises(NotAuthorizedException), seeded.expecting(found):
        raise NotAuthorizedException("refused from the snapshot")
    with other.transaction() as uow:
        pool = uow.pools.get(POOL)
        assert pool is not None
        uow.pools.update(replace(pool, name="renamed"))
    # Stale: the error may come from the old configuration, so the call must start again.
    with pytest.raises(StaleConfig), seeded.expecting(found):
        raise NotAuthorizedException("refused from the snapshot")
