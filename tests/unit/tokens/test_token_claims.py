"""Pure claim builders: group ordering, role choice and attribute conversion."""

from __future__ import annotations

import pytest

from poolgate.tokens.claims import attribute_claim, attribute_claims, group_claims
from poolgate.users.model import Group

ROLE_A = "arn:aws:iam::000000000000:role/a"
ROLE_B = "arn:aws:iam::000000000000:role/b"


def group(name: str, precedence: int | None = None, role: str | None = None) -> Group:
    return Group("us-east-1_x", name, 1.0, 1.0, None, role, precedence)


def test_no_groups_no_claims() -> None:
    assert group_claims([]) == {}


def test_order_is_precedence_then_name_with_unset_precedence_last() -> None:
    claims = group_claims([group("c"), group("b", 3), group("a", 3), group("z", 0), group("a0")])
    assert claims == {"cognito:groups": ["z", "a", "b", "a0", "c"]}


def test_preferred_role_is_the_best_placed_group_with_a_role() -> None:
    claims = group_claims([group("top", 0), group("mid", 2, ROLE_B), group("low", 9, ROLE_A)])
    assert claims["cognito:roles"] == [ROLE_B, ROLE_A]
    assert claims["cognito:preferred_role"] == ROLE_B


def test_tied_precedence_with_different_roles_has_no_preferred_role() -> None:
    claims = group_claims([group("a", 1, ROLE_A), group("b", 1, ROLE_B), group("c", 4, ROLE_A)])
    assert claims["cognito:roles"] == [ROLE_A, ROLE_B]
    assert "cognito:preferred_role" not in claims


def test_tied_precedence_with_the_same_role_keeps_it() -> None:
    claims = group_claims([group("a", 1, ROLE_A), group("b", 1, ROLE_A)])
    assert claims["cognito:roles"] == [ROLE_A]
    assert claims["cognito:preferred_role"] == ROLE_A


def test_groups_without_precedence_tie_with_each_other() -> None:
    claims = group_claims([group("a", None, ROLE_A), group("b", None, ROLE_B)])
    assert "cognito:preferred_role" not in claims
    assert group_claims([group("a", None, ROLE_A), group("b", 7, ROLE_B)])["cognito:preferred_role"] == ROLE_B


@pytest.mark.parametrize(
    ("name", "stored", "claim"),
    [
        ("email_verified", "true", True),
        ("email_verified", "True", True),
        ("email_verified", "false", False),
        ("phone_number_verified", "false", False),
        ("phone_number_verified", "true", True),
        ("updated_at", "1700000000", 1700000000),
        ("updated_at", "1700000000.5", 1700000000.5),
        ("updated_at", "nan", "nan"),
        ("updated_at", "soon", "soon"),
        ("address", "1 Main St", {"formatted": "1 Main St"}),
        ("custom:count", "42", "42"),
        ("custom:on", "true", "true"),
        ("given_name", "Ann", "Ann"),
    ],
)
def test_attribute_conversion(name: str, stored: str, claim: object) -> None:
    assert attribute_claim(name, stored) == claim


def test_attribute_filtering() -> None:
    stored = {
        "sub": "s",
        "email": "e@example.com",
        "custom:a": "1",
        "dev:custom:b": "2",
        "cognito:mfa_enabled": "true",
    }
    assert attribute_claims(stored, None) == {"email": "e@example.com", "custom:a": "1"}
    assert attribute_claims(stored, ["custom:a", "dev:custom:b", "sub"]) == {"custom:a": "1"}
    assert attribute_claims(stored, []) == {}
