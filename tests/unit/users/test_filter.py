"""The ListUsers Filter grammar and matching (docs/management.md section 12)."""

from __future__ import annotations

from typing import Any

import pytest

from poolgate.errors import InvalidParameterException
from poolgate.users.filter import SEARCHABLE_ATTRIBUTES, matches, page_size, parse_filter
from poolgate.users.model import User, UserFilter, UserStatus

SUB = "0f1e2d3c-4b5a-4697-8899-aabbccddeeff"


def user(**changes: Any) -> User:
    values: dict[str, Any] = {
        "user_pool_id": "us-east-1_Abc123XyZ",
        "username": "Alice",
        "sub": SUB,
        "status": UserStatus.CONFIRMED,
        "enabled": True,
        "attributes": {
            "sub": SUB,
            "email": "Alice@Example.com",
            "given_name": "Alice",
            "family_name": 'O"Brien',
            "phone_number": "+14155550123",
        },
        "created_at": 1.0,
        "updated_at": 2.0,
    }
    values.update(changes)
    return User(**values)


# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ('family_name = "Reddy"', UserFilter("family_name", "=", "Reddy")),
        ('given_name ^= "Jon"', UserFilter("given_name", "^=", "Jon")),
        ('email="a@b.c"', UserFilter("email", "=", "a@b.c")),
        ('  phone_number ^=  "+1415"  ', UserFilter("phone_number", "^=", "+1415")),
        (
            'cognito:user_status = "FORCE_CHANGE_PASSWORD"',
            UserFilter("cognito:user_status", "=", "FORCE_CHANGE_PASSWORD"),
        ),
        ('status = "Disabled"', UserFilter("status", "=", "Disabled")),
        (f'sub = "{SUB}"', UserFilter("sub", "=", SUB)),
        ('family_name = "O\\"Brien"', UserFilter("family_name", "=", 'O"Brien')),
        ('name = "back\\\\slash"', UserFilter("name", "=", "back\\slash")),
        ('name = ""', UserFilter("name", "=", "")),
        ('name = "two words"', UserFilter("name", "=", "two words")),
    ],
)
def test_valid_filters(text: str, parsed: UserFilter) -> None:
    assert parse_filter(text) == parsed


@pytest.mark.parametrize("text", ["", None])
def test_empty_filter_means_none(text: str | None) -> None:
    assert parse_filter(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "foo",
        "email = a@b.c",
        "email = 'a@b.c'",
        'email == "a@b.c"',
        'email != "a@b.c"',
        'email ~= "a@b.c"',
        'email = "a@b.c',
        'email = "a" and name = "b"',
        'email = "a" extra',
        '= "a"',
        "   ",
        'email = "a"b"',
    ],
)
def test_malformed_filters(text: str) -> None:
    with pytest.raises(InvalidParameterException) as exc:
        parse_filter(text)
    assert str(exc.value) == "Error while parsing filter."


@pytest.mark.parametrize("name", ["custom:foo", "nickname", "email_verified", "Email", "dev:custom:x"])
def test_unsearchable_attributes(name: str) -> None:
    with pytest.raises(InvalidParameterException) as exc:
        parse_filter(f'{name} = "x"')
    assert str(exc.value) == f"Invalid search attribute: {name}"


def test_searchable_attributes_are_the_documented_ten() -> None:
    assert set(SEARCHABLE_ATTRIBUTES) == {
        "username",
        "email",
        "phone_number",
        "name",
        "given_name",
        "family_name",
        "preferred_username",
        "cognito:user_status",
        "status",
        "sub",
    }


# -- matching ------------------------------------------------------------------------------


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
def test_matches(text: str, expected: bool) -> None:
    flt = parse_filter(text)
    assert flt is not None
    assert matches(user(), flt) is expected


def test_prefix_is_not_a_pattern() -> None:
    subject = user(attributes={"name": "100% real_name"})
    for text, expected in [
        ('name ^= "100%"', True),
        ('name ^= "1_0"', False),
        ('name = "100% real_name"', True),
    ]:
        flt = parse_filter(text)
        assert flt is not None
        assert matches(subject, flt) is expected


def test_disabled_users_match_status_disabled() -> None:
    flt = parse_filter('status = "Disabled"')
    assert flt is not None
    assert matches(user(enabled=False), flt)
    assert not matches(user(), flt)


@pytest.mark.parametrize(("limit", "size"), [(None, 60), (0, 60), (1, 1), (25, 25), (60, 60), (99, 60)])
def test_page_size(limit: int | None, size: int) -> None:
    assert page_size(limit) == size
