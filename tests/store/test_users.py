"""Contract tests for UserRepo on every backend: storage, lookup keys, races, secrets."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
import sqlalchemy as sa
from tests.store._support import OTHER_POOL, POOL, add_pools, add_user, make_user, username_key

from poolgate.security.crypto import MasterKey, WrongMasterKeyError
from poolgate.store.base import DuplicateError
from poolgate.store.sql import SqlStore, rotate_master_key
from poolgate.users.model import PasswordVerifier, StoredCode, UserStatus

VERIFIER = PasswordVerifier(salt="5e3a9f00c1", verifier="a1b2c3d4e5f60718293a4b5c6d7e8f90" * 8)
OLD = PasswordVerifier(salt="0011", verifier="ffee" * 16)


@pytest.fixture(autouse=True)
def pools(store: SqlStore) -> None:
    add_pools(store)


def test_add_get_find_round_trip(store: SqlStore) -> None:
    user = make_user(
        "Alice",
        status=UserStatus.FORCE_CHANGE_PASSWORD,
        enabled=False,
        attributes={"email": "Alice@Example.com", "custom:tier": "gold", "name": "Ålice ✓"},
        password=VERIFIER,
        history=(OLD, VERIFIER),
        settings={"mfa": {"preferred": "SOFTWARE_TOKEN_MFA"}, "n": [1, 2]},
    )
    add_user(store, user, ("email", "alice@example.com"))
    with store.transaction() as uow:
        assert uow.users.get(POOL, user.sub) == user
        assert uow.users.get(OTHER_POOL, user.sub) is None
        assert uow.users.get(POOL, "no-such-sub") is None
        assert uow.users.find(POOL, "username", "alice") == user
        assert uow.users.find(POOL, "email", "alice@example.com") == user
        # Keys are exact: the core folds them before asking.
        assert uow.users.find(POOL, "username", "Alice") is None
        assert uow.users.find(POOL, "email", "alice") is None
        assert uow.users.find(OTHER_POOL, "username", "alice") is None
        assert uow.users.find(POOL, "phone_number", "alice") is None


def test_user_without_password(store: SqlStore) -> None:
    user = add_user(store, make_user("nopass"))
    with store.transaction() as uow:
        stored = uow.users.get(POOL, user.sub)
    assert stored == user
    assert stored is not None and stored.password is None and stored.password_history == ()


def test_update_replaces_user_and_keeps_created_at(store: SqlStore) -> None:
    user = add_user(store, make_user("bob", attributes={"email": "bob@example.com"}))
    changed = replace(
        user,
        status=UserStatus.CONFIRMED,
        enabled=False,
        attributes={"sub": user.sub, "email": "robert@example.com", "given_name": "Robert"},
        created_at=5.0,
        updated_at=1_800_000_000.0,
        password=VERIFIER,
        password_set_at=1_800_000_000.0,
        password_history=(OLD,),
        settings={"x": True},
    )
    with store.transaction() as uow:
        uow.users.update(changed)
    with store.transaction() as uow:
        assert uow.users.get(POOL, user.sub) == replace(changed, created_at=user.created_at)
        # Without keys, the lookup keys are left alone.
        assert uow.users.find(POOL, "username", "bob") is not None
        # Clearing the password clears both secrets.
        uow.users.update(replace(changed, password=None, password_set_at=None, password_history=()))
    with store.transaction() as uow:
        stored = uow.users.get(POOL, user.sub)
        assert stored is not None and stored.password is None and stored.password_history == ()


def test_update_of_a_missing_user_does_nothing(store: SqlStore) -> None:
    with store.transaction() as uow:
        uow.users.update(make_user("ghost"), [("username", "ghost")])
        assert uow.users.find(POOL, "username", "ghost") is None
        assert uow.users.count(POOL) == 0


def test_update_replaces_keys(store: SqlStore) -> None:
    user = add_user(store, make_user("carol"), ("email", "carol@example.com"))
    with store.transaction() as uow:
        uow.users.update(user, [("username", "carol"), ("email", "c@example.com"), ("phone_number", "+1555")])
    with store.transaction() as uow:
        assert uow.users.find(POOL, "email", "carol@example.com") is None
        assert uow.users.find(POOL, "email", "c@example.com") == user
        assert uow.users.find(POOL, "phone_number", "+1555") == user
        assert uow.users.keys(POOL, user.sub) == [  # type: ignore[attr-defined]
            ("email", "c@example.com"),
            ("phone_number", "+1555"),
            ("username", "carol"),
        ]
        # The freed key is free for someone else.
        uow.users.add(make_user("dave"), [("username", "dave"), ("email", "carol@example.com")])
        uow.users.update(user, [])
    with store.transaction() as uow:
        assert uow.users.keys(POOL, user.sub) == []  # type: ignore[attr-defined]
        assert uow.users.get(POOL, user.sub) == user


def test_duplicate_key_on_add_names_the_kind_and_leaves_the_transaction_usable(store: SqlStore) -> None:
    erin = add_user(store, make_user("erin"), ("email", "erin@example.com"))
    with store.transaction() as uow:
        with pytest.raises(DuplicateError) as info:
            uow.users.add(make_user("erin"), [("username", "erin")])
        assert info.value.kind == "username"
        loser = make_user("frank")
        with pytest.raises(DuplicateError) as info:
            # The username is free but the e-mail alias is not.
            uow.users.add(loser, [("username", "frank"), ("email", "erin@example.com")])
        assert info.value.kind == "email"
        # The failed user left nothing behind, and the transaction still works.
        assert uow.users.get(POOL, loser.sub) is None
        assert uow.users.find(POOL, "username", "frank") is None
        uow.users.add(make_user("frank"), [("username", "frank")])
        # The same key in another pool is fine.
        uow.users.add(make_user("erin", pool_id=OTHER_POOL), [("username", "erin")])
    with store.transaction() as uow:
        assert uow.users.count(POOL) == 2
        assert uow.users.count(OTHER_POOL) == 1
        assert uow.users.find(POOL, "email", "erin@example.com") == erin


def test_duplicate_sub_is_reported_as_sub(store: SqlStore) -> None:
    user = add_user(store, make_user("gina"))
    with store.transaction() as uow:
        with pytest.raises(DuplicateError) as info:
            uow.users.add(make_user("other", sub=user.sub), [("username", "other")])
        assert info.value.kind == "sub"
        assert uow.users.find(POOL, "username", "other") is None


def test_duplicate_key_on_update_changes_nothing(store: SqlStore) -> None:
    add_user(store, make_user("hank"), ("email", "hank@example.com"))
    ivy = add_user(store, make_user("ivy"), ("email", "ivy@example.com"))
    with store.transaction() as uow:
        with pytest.raises(DuplicateError) as info:
            uow.users.update(
                replace(ivy, attributes={"sub": ivy.sub, "email": "hank@example.com"}),
                [("username", "ivy"), ("email", "hank@example.com"), ("phone_number", "+1")],
            )
        assert info.value.kind == "email"
        assert uow.users.get(POOL, ivy.sub) == ivy
        assert uow.users.keys(POOL, ivy.sub) == [  # type: ignore[attr-defined]
            ("email", "ivy@example.com"),
            ("username", "ivy"),
        ]
        uow.meta.set("still", "usable")
    with store.transaction() as uow:
        assert uow.meta.get("still") == "usable"
        assert uow.users.find(POOL, "phone_number", "+1") is None


def test_repeated_keys_in_one_call_are_not_a_collision(store: SqlStore) -> None:
    user = make_user("jo")
    with store.transaction() as uow:
        uow.users.add(user, [("username", "jo"), ("username", "jo")])
        uow.users.update(user, [("username", "jo"), ("email", "jo@x"), ("email", "jo@x")])
        assert uow.users.find(POOL, "email", "jo@x") == user


def test_long_and_unusual_keys(store: SqlStore) -> None:
    # Longer than a PostgreSQL b-tree row may be, were the key itself indexed.
    long_email = "ü" * 2000 + "@example.com"
    user = add_user(store, make_user("kim"), ("email", long_email), ("preferred_username", "100%_ok"))
    with store.transaction() as uow:
        assert uow.users.find(POOL, "email", long_email) == user
        assert uow.users.find(POOL, "preferred_username", "100%_ok") == user
        assert uow.users.find(POOL, "preferred_username", "100%_o") is None
        with pytest.raises(DuplicateError):
            uow.users.add(make_user("lee"), [("username", "lee"), ("email", long_email)])


def test_concurrent_sign_ups_with_one_username(store: SqlStore) -> None:
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def sign_up(i: int) -> None:
        user = make_user("racer", attributes={"email": f"racer{i}@example.com"})
        barrier.wait()
        try:
            with store.transaction() as uow:
                uow.users.add(user, [("username", "racer"), ("email", f"racer{i}@example.com")])
            result = "ok"
        except DuplicateError as exc:
            result = f"duplicate:{exc.kind}"
        except BaseException as exc:  # noqa: BLE001 - reported below
            result = repr(exc)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate:username"] * 19 + ["ok"]
    with store.transaction() as uow:
        assert uow.users.count(POOL) == 1
        assert uow.users.find(POOL, "username", "racer") is not None
        count = uow.connection.execute(sa.text("SELECT COUNT(*) FROM user_keys")).scalar_one()
        assert count == 2


def test_list_is_ordered_by_sub_and_paginates(store: SqlStore) -> None:
    subs = ["b", "A", "a", "B", "0", "z-9", "é"]
    with store.transaction() as uow:
        for sub in subs:
            uow.users.add(make_user(f"user-{sub}", sub=sub), [("username", f"user-{sub}")])
        uow.users.add(make_user("elsewhere", pool_id=OTHER_POOL, sub="c"), [])
    expected = sorted(subs)
    with store.transaction(readonly=True) as uow:
        assert [u.sub for u in uow.users.list(POOL, limit=100, after=None)] == expected
        pages: list[str] = []
        after = None
        while True:
            page = uow.users.list(POOL, limit=3, after=after)
            pages.extend(u.sub for u in page)
            if len(page) < 3:
                break
            after = page[-1].sub
        assert pages == expected
        assert uow.users.list(POOL, limit=10, after=expected[-1]) == []
        assert uow.users.count(POOL) == len(subs)
        assert uow.pools.count_users(POOL) == len(subs)
        assert uow.pools.count_users("us-east-1_none") == 0


def test_delete_user_removes_keys_codes_and_memberships(store: SqlStore) -> None:
    from poolgate.users.model import Group

    user = add_user(store, make_user("mo", attributes={"email": "mo@example.com"}), ("email", "mo@x"))
    kept = add_user(store, make_user("kept"))
    with store.transaction() as uow:
        uow.groups.add(Group(POOL, "staff", 1.0, 1.0))
        uow.groups.add_member(POOL, "staff", user.sub)
        uow.groups.add_member(POOL, "staff", kept.sub)
        uow.codes.put(StoredCode(POOL, user.sub, "SignUp", "hash", 1.0, 9e9))
    with store.transaction() as uow:
        uow.users.delete(POOL, user.sub)
        uow.users.delete(POOL, "never-existed")
    with store.transaction() as uow:
        conn = uow.connection
        assert uow.users.get(POOL, user.sub) is None
        assert uow.users.find(POOL, "email", "mo@x") is None
        assert uow.codes.get(POOL, user.sub, "SignUp") is None
        assert [u.sub for u in uow.groups.members(POOL, "staff", limit=10, after=None)] == [kept.sub]
        for table in ("user_keys", "user_search", "codes", "group_members"):
            rows = conn.execute(sa.text(f"SELECT COUNT(*) FROM {table} WHERE sub = :s"), {"s": user.sub})
            assert rows.scalar_one() == 0, table
        # The username is free again.
        uow.users.add(make_user("mo"), [username_key(user)])


def test_password_verifier_is_not_stored_in_plain_text(store: SqlStore) -> None:
    user = add_user(store, make_user("pw", password=VERIFIER, history=(OLD,)))
    with store.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM users")).one()
        conn.rollback()
    dumped = repr(tuple(row))
    for secret in (VERIFIER.verifier, VERIFIER.salt, OLD.verifier):
        assert secret not in dumped
        assert secret.encode() not in bytes(row.password_enc)
        assert secret.encode() not in bytes(row.password_history_enc)
    assert user.sub in dumped


def test_password_ciphertext_moved_to_another_user_does_not_decrypt(store: SqlStore) -> None:
    victim = add_user(store, make_user("victim", password=VERIFIER))
    attacker = add_user(store, make_user("attacker", password=OLD))
    with store.transaction() as uow:
        conn = uow.connection
        blob = conn.execute(
            sa.text("SELECT password_enc FROM users WHERE sub = :s"), {"s": victim.sub}
        ).scalar_one()
        conn.execute(
            sa.text("UPDATE users SET password_enc = :b WHERE sub = :s"), {"b": blob, "s": attacker.sub}
        )
    with pytest.raises(WrongMasterKeyError), store.transaction() as uow:
        uow.users.get(POOL, attacker.sub)


def test_rotation_and_key_check_cover_user_passwords(store: SqlStore, master_key: MasterKey) -> None:
    first = add_user(store, make_user("r1", password=VERIFIER, history=(OLD, VERIFIER)))
    second = add_user(store, make_user("r2", password=OLD))
    add_user(store, make_user("r3"))
    # With no check value yet, a user's password alone reveals a wrong key.
    with SqlStore(store.url, MasterKey.generate()) as wrong, pytest.raises(WrongMasterKeyError):
        wrong.check_master_key()
    store.check_master_key()
    new = MasterKey.generate()
    # Two passwords and one history.
    assert rotate_master_key(store.url, master_key, new) == 3
    with SqlStore(store.url, master_key) as old_store, pytest.raises(WrongMasterKeyError):
        old_store.check_master_key()
    with SqlStore(store.url, new) as new_store:
        new_store.check_master_key()
        with new_store.transaction() as uow:
            assert uow.users.get(POOL, first.sub) == first
            assert uow.users.get(POOL, second.sub) == second


def test_reset_clears_users_groups_codes_and_counters(store: SqlStore) -> None:
    from poolgate.users.model import Group

    user = add_user(store, make_user("z", attributes={"email": "z@z"}), ("email", "z@z"))
    with store.transaction() as uow:
        uow.groups.add(Group(POOL, "g", 1.0, 1.0))
        uow.groups.add_member(POOL, "g", user.sub)
        uow.codes.put(StoredCode(POOL, user.sub, "p", "h", 1.0, 9e9))
        uow.counters.increment("login", "z", now=1.0, window=60.0)
    store.reset()
    with store.transaction() as uow:
        for table in ("users", "user_keys", "user_search", "groups", "group_members", "codes", "counters"):
            assert uow.connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one() == 0, table
