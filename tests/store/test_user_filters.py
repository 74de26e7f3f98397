"""ListUsers filters in SQL, on every backend: every attribute, both operators, the
case rules, characters that are wildcards to LIKE, non-ASCII text, and index use."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from tests.store._support import OTHER_POOL, POOL, add_pools, add_user, make_user

from poolgate.store.sql import SqlStore
from poolgate.store.sql.tables import user_search, users
from poolgate.store.sql.user_search import apply_filter, prefix_successor
from poolgate.users.filter import parse_filter
from poolgate.users.model import User, UserFilter, UserStatus

LONG_NAME = "N" * 299 + "x"
TOP = chr(0x10FFFF)


@pytest.fixture
def people(store: SqlStore) -> dict[str, User]:
    add_pools(store)
    people = {
        "alice": make_user(
            "alice",
            sub="s1-aaaa",
            attributes={
                "email": "Alice@Example.com",
                "phone_number": "+15550100",
                "name": "Alice Ünal",
                "given_name": "Alice",
                "family_name": "Ünal",
                "preferred_username": "al_ice",
            },
        ),
        "Alicia": make_user(
            "Alicia",
            sub="s2-bbbb",
            status=UserStatus.UNCONFIRMED,
            enabled=False,
            attributes={
                "email": "alicia@example.org",
                "name": "100% Alicia",
                "given_name": "Ålicia",
                "family_name": "O'Brien",
                "preferred_username": "al%ice",
            },
        ),
        "bob": make_user(
            "bob",
            sub="s3-cccc",
            status=UserStatus.FORCE_CHANGE_PASSWORD,
            attributes={
                "email": "bob@example.com",
                "phone_number": "+15550199",
                "name": LONG_NAME,
                "given_name": "x" + TOP + "y",
                "family_name": "_under",
                "preferred_username": "alxice",
            },
        ),
        "ali": make_user("ali", sub="s4-dddd", status=UserStatus.RESET_REQUIRED),
    }
    for user in people.values():
        add_user(store, user)
    # The same values in another pool never show up.
    add_user(store, make_user("alice", pool_id=OTHER_POOL, attributes=dict(people["alice"].attributes)))
    return people


def names(store: SqlStore, attribute: str, op: str, value: str) -> list[str]:
    with store.transaction(readonly=True) as uow:
        found = uow.users.list(POOL, limit=100, after=None, filter=UserFilter(attribute, op, value))
    return [user.username for user in found]


CASES = [
    # username and sub: exact case.
    ("username", "=", "alice", ["alice"]),
    ("username", "=", "Alice", []),
    ("username", "^=", "ali", ["alice", "ali"]),
    ("username", "^=", "Ali", ["Alicia"]),
    ("username", "^=", "", ["alice", "Alicia", "bob", "ali"]),
    ("sub", "=", "s3-cccc", ["bob"]),
    ("sub", "=", "S3-CCCC", []),
    ("sub", "^=", "s", ["alice", "Alicia", "bob", "ali"]),
    ("sub", "^=", "s2", ["Alicia"]),
    # Standard attributes: case-insensitive.
    ("email", "=", "alice@example.com", ["alice"]),
    ("email", "=", "ALICE@EXAMPLE.COM", ["alice"]),
    ("email", "=", "alice", []),
    ("email", "^=", "ALI", ["alice", "Alicia"]),
    ("email", "^=", "alice@", ["alice"]),
    ("email", "^=", "", ["alice", "Alicia", "bob"]),
    ("phone_number", "=", "+15550100", ["alice"]),
    ("phone_number", "^=", "+1555", ["alice", "bob"]),
    ("phone_number", "^=", "+1556", []),
    ("name", "=", "alice ünal", ["alice"]),
    ("name", "^=", "ALICE Ü", ["alice"]),
    ("name", "^=", "100%", ["Alicia"]),
    ("name", "^=", "100_", []),
    ("name", "^=", "1%", []),
    ("name", "=", LONG_NAME, ["bob"]),
    ("name", "=", LONG_NAME[:-1], []),
    ("name", "^=", "n" * 280, ["bob"]),
    ("name", "^=", "n" * 280 + "q", []),
    ("name", "^=", "n" * 100, ["bob"]),
    ("given_name", "^=", "å", ["Alicia"]),
    ("given_name", "^=", "a", ["alice"]),
    ("given_name", "=", "ålicia", ["Alicia"]),
    ("given_name", "^=", "x" + TOP, ["bob"]),
    ("given_name", "^=", "x" + TOP + "z", []),
    ("family_name", "^=", "_", ["bob"]),
    ("family_name", "=", "o'brien", ["Alicia"]),
    ("family_name", "^=", "ün", ["alice"]),
    ("preferred_username", "^=", "al_", ["alice"]),
    ("preferred_username", "^=", "al%", ["Alicia"]),
    ("preferred_username", "^=", "al", ["alice", "Alicia", "bob"]),
    ("preferred_username", "=", "al_ice", ["alice"]),
    ("preferred_username", "=", "al%ice", ["Alicia"]),
    # cognito:user_status is case-insensitive; status (Enabled/Disabled) is not.
    ("cognito:user_status", "=", "CONFIRMED", ["alice"]),
    ("cognito:user_status", "=", "confirmed", ["alice"]),
    ("cognito:user_status", "=", "CONFIRM", []),
    ("cognito:user_status", "^=", "UN", ["Alicia"]),
    ("cognito:user_status", "^=", "f", ["bob"]),
    ("cognito:user_status", "^=", "RESET", ["ali"]),
    ("status", "=", "Enabled", ["alice", "bob", "ali"]),
    ("status", "=", "Disabled", ["Alicia"]),
    ("status", "=", "enabled", []),
    ("status", "^=", "Dis", ["Alicia"]),
    ("status", "^=", "dis", []),
    ("status", "^=", "", ["alice", "Alicia", "bob", "ali"]),
    # A NUL cannot be stored, so nothing matches it.
    ("email", "=", "a\x00", []),
]


@pytest.mark.parametrize(("attribute", "op", "value", "expected"), CASES)
def test_filter(
    store: SqlStore, people: dict[str, User], attribute: str, op: str, value: str, expected: list[str]
) -> None:
    # Results are ordered by sub, which follows the order the people were defined in.
    assert names(store, attribute, op, value) == expected


# -- the Filter text as ListUsers parses it, then selects with it ---------------------------

SUB = "0f1e2d3c-4b5a-4697-8899-aabbccddeeff"


def _alice(**changes: Any) -> User:
    values: dict[str, Any] = {
        "sub": SUB,
        "attributes": {
            "email": "Alice@Example.com",
            "given_name": "Alice",
            "family_name": 'O"Brien',
            "phone_number": "+14155550123",
        },
    }
    values.update(changes)
    return make_user("Alice", **values)


def _selects(store: SqlStore, text: str) -> bool:
    """True when the parsed ``text`` selects the one stored user."""
    flt = parse_filter(text)
    assert flt is not None
    with store.transaction(readonly=True) as uow:
        return [u.username for u in uow.users.list(POOL, limit=10, after=None, filter=flt)] == ["Alice"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('username = "Alice"', True),
        ('username = "alice"', False),
        ('username ^= "Al"', True),
        ('username ^= "al"', False),
        (f'sub = "{SUB}"', True),
        (f'sub = "{SUB.upper()}"', False),
        ('sub ^= "0f1e"', True),
        ('email = "Alice@Example.com"', True),
        ('email = "alice@example.com"', True),
        ('email ^= "ALICE@"', True),
        ('email = "alice@example.co"', False),
        ('phone_number ^= "+1415"', True),
        ('phone_number = "+1415"', False),
        ('family_name = "O\\"Brien"', True),
        ('family_name = "o\\"brien"', True),
        ('given_name ^= ""', True),
        ('given_name = "ALICE"', True),
        ('name = "Alice"', False),
        ('preferred_username ^= ""', False),
        ('cognito:user_status = "CONFIRMED"', True),
        ('cognito:user_status = "confirmed"', True),
        ('cognito:user_status ^= "conf"', True),
        ('cognito:user_status = "UNCONFIRMED"', False),
        ('status = "Enabled"', True),
        ('status = "enabled"', False),
        ('status = "Disabled"', False),
    ],
)
def test_parsed_filter_selects(store: SqlStore, text: str, expected: bool) -> None:
    add_pools(store)
    add_user(store, _alice())
    assert _selects(store, text) is expected


def test_parsed_prefix_is_not_a_pattern(store: SqlStore) -> None:
    add_pools(store)
    add_user(store, _alice(attributes={"name": "100% real_name"}))
    for text, expected in [
        ('name ^= "100%"', True),
        ('name ^= "1_0"', False),
        ('name = "100% real_name"', True),
    ]:
        assert _selects(store, text) is expected


def test_disabled_users_match_status_disabled(store: SqlStore) -> None:
    add_pools(store)
    add_user(store, _alice(enabled=False))
    assert _selects(store, 'status = "Disabled"')
    assert not _selects(store, 'status = "Enabled"')


def test_filter_follows_updates_and_deletes(store: SqlStore, people: dict[str, User]) -> None:
    alice = people["alice"]
    with store.transaction() as uow:
        uow.users.update(replace(alice, attributes={"sub": alice.sub, "email": "new@example.net"}))
        uow.users.delete(POOL, people["bob"].sub)
    assert names(store, "email", "^=", "alice") == []
    assert names(store, "email", "=", "new@example.net") == ["alice"]
    assert names(store, "given_name", "^=", "") == ["Alicia"]
    assert names(store, "phone_number", "^=", "+") == []


def test_filtered_list_paginates(store: SqlStore, people: dict[str, User]) -> None:
    term = UserFilter("preferred_username", "^=", "al")
    with store.transaction(readonly=True) as uow:
        first = uow.users.list(POOL, limit=2, after=None, filter=term)
        second = uow.users.list(POOL, limit=2, after=first[-1].sub, filter=term)
    assert [u.username for u in first] == ["alice", "Alicia"]
    assert [u.username for u in second] == ["bob"]


@pytest.mark.parametrize("term", [UserFilter("custom:tier", "=", "x"), UserFilter("email", "~", "x")])
def test_unsupported_filters_are_programming_errors(store: SqlStore, term: UserFilter) -> None:
    with store.transaction() as uow, pytest.raises(ValueError):
        uow.users.list(POOL, limit=10, after=None, filter=term)


def test_prefix_successor() -> None:
    assert prefix_successor("ab") == "ac"
    assert prefix_successor("a" + TOP) == "b"
    assert prefix_successor("a" + TOP + TOP) == "b"
    assert prefix_successor(TOP) is None
    assert prefix_successor("") is None
    assert prefix_successor("\ud7ff") == "\ue000"
    assert prefix_successor("é") == "ê"


def _bulk_users(store: SqlStore, count: int) -> None:
    """Many users written straight into the tables (fast), then statistics gathered."""
    user_rows, search_rows = [], []
    for i in range(count):
        sub = f"bulk-{i:05d}"
        user_rows.append(
            {
                "pool_id": POOL,
                "sub": sub,
                "username": f"user{i:05d}",
                "status": "CONFIRMED",
                "enabled": True,
                "attributes": "{}",
                "created_at": 1.0,
                "updated_at": 1.0,
                "settings": "{}",
            }
        )
        for attribute in ("email", "given_name"):
            value = f"{attribute}-{i:05d}@example.com"
            search_rows.append(
                {"pool_id": POOL, "sub": sub, "attribute": attribute, "value_head": value, "value": value}
            )
    with store.transaction() as uow:
        uow.connection.execute(sa.insert(users), user_rows)
        uow.connection.execute(sa.insert(user_search), search_rows)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def _plan(store: SqlStore, term: UserFilter) -> str:
    query = apply_filter(sa.select(users).where(users.c.pool_id == POOL), term).order_by(users.c.sub)
    with store.transaction(readonly=True) as uow:
        conn = uow.connection
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
        return "\n".join(str(row[-1]) for row in conn.exec_driver_sql(prefix + sql).all())


@pytest.mark.parametrize(
    ("term", "index"),
    [
        (UserFilter("email", "^=", "email-0012"), "ix_user_search_lookup"),
        (UserFilter("given_name", "=", "given_name-00042@example.com"), "ix_user_search_lookup"),
        (UserFilter("username", "^=", "user0004"), "ix_users_pool_username"),
    ],
)
def test_selective_filters_use_an_index(store: SqlStore, term: UserFilter, index: str) -> None:
    add_pools(store, POOL)
    _bulk_users(store, 5000)
    assert index in _plan(store, term)
