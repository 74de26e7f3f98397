"""Contract tests for GroupRepo on every backend, and pool deletion cascading."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa
from tests.store._support import OTHER_POOL, POOL, add_pools, add_user, make_user

from poolgate.store.base import DuplicateError
from poolgate.store.sql import SqlStore
from poolgate.users.model import Group, StoredCode


@pytest.fixture(autouse=True)
def pools(store: SqlStore) -> None:
    add_pools(store)


def make_group(
    name: str,
    pool_id: str = POOL,
    *,
    description: str | None = None,
    role_arn: str | None = None,
    precedence: int | None = None,
) -> Group:
    return Group(pool_id, name, 1_700_000_000.25, 1_700_000_000.25, description, role_arn, precedence)


def test_group_add_get_update_delete(store: SqlStore) -> None:
    group = make_group("admins", description="Ädmins ✓", role_arn="arn:aws:iam::1:role/a", precedence=0)
    bare = make_group("readers")
    with store.transaction() as uow:
        uow.groups.add(group)
        uow.groups.add(bare)
    with store.transaction() as uow:
        assert uow.groups.get(POOL, "admins") == group
        assert uow.groups.get(POOL, "readers") == bare
        assert uow.groups.get(POOL, "Admins") is None
        assert uow.groups.get(OTHER_POOL, "admins") is None
        changed = replace(
            group, description=None, role_arn=None, precedence=7, created_at=5.0, updated_at=9.0
        )
        uow.groups.update(changed)
    with store.transaction() as uow:
        assert uow.groups.get(POOL, "admins") == replace(changed, created_at=group.created_at)
        uow.groups.delete(POOL, "admins")
        uow.groups.delete(POOL, "never")
    with store.transaction() as uow:
        assert uow.groups.get(POOL, "admins") is None
        assert uow.groups.get(POOL, "readers") == bare


def test_duplicate_group_name_raises_and_transaction_stays_usable(store: SqlStore) -> None:
    with store.transaction() as uow:
        uow.groups.add(make_group("g", description="first"))
        with pytest.raises(DuplicateError):
            uow.groups.add(make_group("g", description="second"))
        uow.groups.add(make_group("g", pool_id=OTHER_POOL))
    with store.transaction() as uow:
        assert uow.groups.get(POOL, "g").description == "first"  # type: ignore[union-attr]
        assert uow.groups.get(OTHER_POOL, "g") is not None


def test_group_list_is_ordered_by_name_and_paginates(store: SqlStore) -> None:
    names = ["b", "A", "a", "B", "0", "é", "z z"]
    with store.transaction() as uow:
        for name in names:
            uow.groups.add(make_group(name))
        uow.groups.add(make_group("c", pool_id=OTHER_POOL))
    expected = sorted(names)
    with store.transaction(readonly=True) as uow:
        assert [g.name for g in uow.groups.list(POOL, limit=100, after=None)] == expected
        assert [g.name for g in uow.groups.list(POOL, limit=3, after=None)] == expected[:3]
        assert [g.name for g in uow.groups.list(POOL, limit=3, after=expected[2])] == expected[3:6]
        assert uow.groups.list(POOL, limit=3, after=expected[-1]) == []


def test_members_and_groups_of(store: SqlStore) -> None:
    users = [add_user(store, make_user(f"u{i}", sub=f"sub-{i}")) for i in range(5)]
    with store.transaction() as uow:
        for name in ("beta", "Alpha", "gamma"):
            uow.groups.add(make_group(name))
        for user in users:
            uow.groups.add_member(POOL, "beta", user.sub)
        uow.groups.add_member(POOL, "Alpha", users[0].sub)
        uow.groups.add_member(POOL, "gamma", users[0].sub)
        # Adding twice is a no-op.
        uow.groups.add_member(POOL, "beta", users[0].sub)
    with store.transaction() as uow:
        members = uow.groups.members(POOL, "beta", limit=100, after=None)
        assert members == users
        assert [u.sub for u in uow.groups.members(POOL, "beta", limit=2, after=None)] == ["sub-0", "sub-1"]
        assert [u.sub for u in uow.groups.members(POOL, "beta", limit=2, after="sub-1")] == ["sub-2", "sub-3"]
        assert uow.groups.members(POOL, "beta", limit=2, after="sub-4") == []
        assert uow.groups.members(POOL, "nobody", limit=2, after=None) == []
        first = [g.name for g in uow.groups.groups_of(POOL, "sub-0", limit=100, after=None)]
        assert first == ["Alpha", "beta", "gamma"]
        assert [g.name for g in uow.groups.groups_of(POOL, "sub-0", limit=1, after="Alpha")] == ["beta"]
        assert [g.name for g in uow.groups.groups_of(POOL, "sub-3", limit=10, after=None)] == ["beta"]
        uow.groups.remove_member(POOL, "beta", "sub-3")
        uow.groups.remove_member(POOL, "beta", "sub-3")
    with store.transaction() as uow:
        assert uow.groups.groups_of(POOL, "sub-3", limit=10, after=None) == []
        assert len(uow.groups.members(POOL, "beta", limit=10, after=None)) == 4
        uow.groups.delete(POOL, "beta")
    with store.transaction() as uow:
        assert [g.name for g in uow.groups.groups_of(POOL, "sub-0", limit=10, after=None)] == [
            "Alpha",
            "gamma",
        ]
        count = uow.connection.execute(sa.text("SELECT COUNT(*) FROM group_members")).scalar_one()
        assert count == 2


def test_membership_needs_an_existing_group_and_user(store: SqlStore) -> None:
    user = add_user(store, make_user("solo"))
    with store.transaction() as uow:
        uow.groups.add(make_group("g"))
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as uow:
        uow.groups.add_member(POOL, "missing", user.sub)
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as uow:
        uow.groups.add_member(POOL, "g", "missing-sub")


def test_deleting_a_pool_cascades_to_everything(store: SqlStore) -> None:
    gone = add_user(store, make_user("gone", attributes={"email": "g@x"}, password=None), ("email", "g@x"))
    kept = add_user(store, make_user("kept", pool_id=OTHER_POOL, attributes={"email": "k@x"}))
    with store.transaction() as uow:
        uow.groups.add(make_group("g"))
        uow.groups.add(make_group("g", pool_id=OTHER_POOL))
        uow.groups.add_member(POOL, "g", gone.sub)
        uow.groups.add_member(OTHER_POOL, "g", kept.sub)
        uow.codes.put(StoredCode(POOL, gone.sub, "SignUp", "h", 1.0, 9e9))
        uow.codes.put(StoredCode(OTHER_POOL, kept.sub, "SignUp", "h", 1.0, 9e9))
    with store.transaction() as uow:
        uow.pools.delete(POOL)
    with store.transaction() as uow:
        conn = uow.connection
        for table in ("users", "user_keys", "user_search", "groups", "group_members", "codes"):
            rows = conn.execute(sa.text(f"SELECT pool_id FROM {table}")).scalars().all()
            assert rows == [OTHER_POOL], table
        assert uow.users.get(OTHER_POOL, kept.sub) == kept
        assert uow.groups.members(OTHER_POOL, "g", limit=10, after=None) == [kept]
