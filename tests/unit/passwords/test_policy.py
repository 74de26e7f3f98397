"""The password policy and temporary passwords (docs/management.md section 17)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poolgate.errors import InvalidPasswordException
from poolgate.passwords import SYMBOLS, check_password, generate_temporary_password, message_prefix
from poolgate.pools.defaults import DEFAULT_PASSWORD_POLICY

STRICT: dict[str, Any] = dict(DEFAULT_PASSWORD_POLICY)
NOTHING: dict[str, Any] = {
    "MinimumLength": 6,
    "RequireUppercase": False,
    "RequireLowercase": False,
    "RequireNumbers": False,
    "RequireSymbols": False,
}


def failure(policy: dict[str, Any], password: str, operation: str = "SignUp") -> str:
    with pytest.raises(InvalidPasswordException) as exc:
        check_password(policy, password, operation=operation)
    return str(exc.value)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Ab1!", "Password not long enough"),
        ("abcdefg1!", "Password must have uppercase characters"),
        ("ABCDEFG1!", "Password must have lowercase characters"),
        ("Abcdefgh!", "Password must have numeric characters"),
        ("Abcdefgh1", "Password must have symbol characters"),
        ("ÄBCDEFGH1!", "Password must have lowercase characters"),
        ("äbcdefgh1!", "Password must have uppercase characters"),
        ("Abcdefgh١!", "Password must have numeric characters"),
    ],
)
def test_each_rule_has_its_message(password: str, reason: str) -> None:
    assert failure(STRICT, password) == "Password did not conform with policy: " + reason


def test_rules_are_reported_in_policy_order() -> None:
    assert failure(STRICT, "abc").endswith("Password not long enough")
    assert failure(STRICT, "12345678").endswith("Password must have uppercase characters")
    assert failure(STRICT, "ABCDEFGH").endswith("Password must have lowercase characters")


@pytest.mark.parametrize(
    ("operation", "prefix"),
    [
        ("SignUp", "Password did not conform with policy: "),
        ("AdminCreateUser", "Password did not conform with password policy: "),
        ("AdminSetUserPassword", "Password did not conform with password policy: "),
        ("ChangePassword", "Password does not conform to policy: "),
        ("ConfirmForgotPassword", "Password does not conform to policy: "),
        ("RespondToAuthChallenge", "Password does not conform to policy: "),
        ("AdminRespondToAuthChallenge", "Password does not conform to policy: "),
    ],
)
def test_message_prefix_depends_on_the_operation(operation: str, prefix: str) -> None:
    assert message_prefix(operation) == prefix
    assert failure(STRICT, "short", operation) == prefix + "Password not long enough"


def test_unknown_operation_uses_the_sign_up_prefix() -> None:
    assert message_prefix("Whatever") == "Password did not conform with policy: "


@pytest.mark.parametrize("symbol", [*list(SYMBOLS), " "])
def test_every_documented_symbol_counts(symbol: str) -> None:
    check_password(STRICT, f"Abcdefg1{symbol}")


def test_documented_symbol_set() -> None:
    assert set(SYMBOLS) == set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-")
    assert len(SYMBOLS) == 32


@pytest.mark.parametrize("character", ["€", "§", "£", "\t"])
def test_other_characters_are_not_symbols(character: str) -> None:
    assert failure(STRICT, f"Abcdefg1{character}").endswith("Password must have symbol characters")


def test_relaxed_policy_only_checks_length() -> None:
    check_password(NOTHING, "aaaaaa")
    assert failure(NOTHING, "aaaaa").endswith("Password not long enough")


def test_length_counts_characters_and_missing_minimum_means_eight() -> None:
    check_password({"MinimumLength": 6}, "äöüßéè")
    assert failure({}, "Abc1!xy").endswith("Password not long enough")
    check_password({}, "abcdefgh")


def test_generated_password_for_the_default_policy() -> None:
    password = generate_temporary_password(STRICT)
    check_password(STRICT, password, operation="AdminCreateUser")
    assert len(password) == 12
    assert not any(c.isspace() for c in password)


def test_generated_password_meets_a_long_minimum() -> None:
    assert len(generate_temporary_password({**STRICT, "MinimumLength": 99})) == 99


def test_generated_passwords_differ() -> None:
    assert len({generate_temporary_password(STRICT) for _ in range(20)}) == 20


policies = st.fixed_dictionaries(
    {
        "MinimumLength": st.integers(min_value=6, max_value=99),
        "RequireUppercase": st.booleans(),
        "RequireLowercase": st.booleans(),
        "RequireNumbers": st.booleans(),
        "RequireSymbols": st.booleans(),
        "TemporaryPasswordValidityDays": st.integers(min_value=1, max_value=365),
    },
    optional={"PasswordHistorySize": st.integers(min_value=0, max_value=24)},
)


@settings(max_examples=300, deadline=None)
@given(policies)
def test_generated_password_always_satisfies_its_policy(policy: dict[str, Any]) -> None:
    password = generate_temporary_password(policy)
    check_password(policy, password)
    check_password(STRICT, password)
    assert len(password) == max(policy["MinimumLength"], 12)
    assert all(c.isascii() and not c.isspace() for c in password)
