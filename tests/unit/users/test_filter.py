"""The ListUsers Filter grammar (docs/management.md section 12); which users a filter selects
is tested on the store that selects them, ``tests/store/test_user_filters.py``."""

from __future__ import annotations

import pytest

from poolgate.errors import InvalidParameterException
from poolgate.users.filter import SEARCHABLE_ATTRIBUTES, page_size, parse_filter
from poolgate.users.model import UserFilter

SUB = "0f1e2d3c-4b5a-4697-8899-aabbccddeeff"


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


@pytest.mark.parametrize(("limit", "size"), [(None, 60), (0, 60), (1, 1), (25, 25), (60, 60), (99, 60)])
def test_page_size(limit: int | None, size: int) -> None:
    assert page_size(limit) == size
