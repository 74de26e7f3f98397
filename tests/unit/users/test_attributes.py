"""Usernames, aliases, attribute checks and masking (docs/management.md sections 9–11, 15)."""

from __future__ import annotations

from typing import Any

import pytest

from poolgate.errors import InvalidParameterException, NotAuthorizedException
from poolgate.pools import defaults
from poolgate.pools.model import UserPool
from poolgate.users import rules
from poolgate.users.attributes import (
    check_deletable,
    check_required,
    fold,
    mask_destination,
    resolve_sign_up_username,
    username_keys,
    validate_attributes,
)

SUB = "0f1e2d3c-4b5a-4697-8899-aabbccddeeff"
CUSTOM_SCHEMA: list[dict[str, Any]] = [
    {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
    {"Name": "given_name", "AttributeDataType": "String", "Required": True, "Mutable": True},
    {
        "Name": "tenant",
        "AttributeDataType": "String",
        "Mutable": False,
        "StringAttributeConstraints": {"MinLength": "2", "MaxLength": "8"},
    },
    {
        "Name": "level",
        "AttributeDataType": "Number",
        "Mutable": True,
        "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "10"},
    },
    {"Name": "vip", "AttributeDataType": "Boolean", "Mutable": True},
    {"Name": "secret", "AttributeDataType": "String", "Mutable": True, "DeveloperOnlyAttribute": True},
]


def pool(**request: Any) -> UserPool:
    config = defaults.build_pool_config({"PoolName": "p", **request})
    return UserPool("us-east-1_Abc123XyZ", "p", 1.0, 1.0, config)


PLAIN = pool()
SCHEMA_POOL = pool(Schema=CUSTOM_SCHEMA)
EMAIL_USERNAME = pool(UsernameAttributes=["email"])
PHONE_USERNAME = pool(UsernameAttributes=["phone_number"])
EITHER_USERNAME = pool(UsernameAttributes=["email", "phone_number"])
ALIASES = pool(AliasAttributes=["email", "phone_number", "preferred_username"])
INSENSITIVE = pool(
    AliasAttributes=["email", "preferred_username"], UsernameConfiguration={"CaseSensitive": False}
)
REQUIRED_OK = {"email": "a@example.com", "given_name": "Ann"}


def message(exc: pytest.ExceptionInfo[Exception]) -> str:
    return str(exc.value)


# -- usernames (section 9) -----------------------------------------------------------------


def test_email_username_pool_uses_the_sub_and_copies_the_email() -> None:
    internal, attrs = resolve_sign_up_username(EMAIL_USERNAME, "Ann@Example.com", {"name": "Ann"}, sub=SUB)
    assert internal == SUB
    assert attrs == {"name": "Ann", "email": "Ann@Example.com"}


def test_phone_username_pool_copies_the_phone_number() -> None:
    internal, attrs = resolve_sign_up_username(PHONE_USERNAME, "+14155550123", {}, sub=SUB)
    assert (internal, attrs) == (SUB, {"phone_number": "+14155550123"})


def test_either_pool_picks_the_matching_attribute() -> None:
    assert resolve_sign_up_username(EITHER_USERNAME, "+4915112345678", {}, sub=SUB)[1] == {
        "phone_number": "+4915112345678"
    }
    assert resolve_sign_up_username(EITHER_USERNAME, "x@y.z", {}, sub=SUB)[1] == {"email": "x@y.z"}


def test_email_username_wins_over_an_email_attribute() -> None:
    _, attrs = resolve_sign_up_username(EMAIL_USERNAME, "a@b.c", {"email": "other@b.c"}, sub=SUB)
    assert attrs["email"] == "a@b.c"


@pytest.mark.parametrize(
    ("target", "text"),
    [
        (EMAIL_USERNAME, "Username should be an email."),
        (PHONE_USERNAME, "Username should be a phone number."),
        (EITHER_USERNAME, "Username should be either an email or a phone number."),
    ],
)
def test_username_of_the_wrong_form_is_refused(target: UserPool, text: str) -> None:
    with pytest.raises(InvalidParameterException) as exc:
        resolve_sign_up_username(target, "alice", {}, sub=SUB)
    assert message(exc) == text


def test_email_pool_refuses_a_phone_username() -> None:
    with pytest.raises(InvalidParameterException, match="^Username should be an email.$"):
        resolve_sign_up_username(EMAIL_USERNAME, "+14155550123", {}, sub=SUB)


def test_alias_pool_refuses_usernames_that_look_like_an_alias() -> None:
    with pytest.raises(InvalidParameterException) as exc:
        resolve_sign_up_username(ALIASES, "a@b.c", {}, sub=SUB)
    assert message(exc) == (
        "Username cannot be of email format, since user pool is configured for email alias."
    )
    with pytest.raises(InvalidParameterException) as exc:
        resolve_sign_up_username(ALIASES, "+14155550123", {}, sub=SUB)
    assert message(exc) == (
        "Username cannot be of phone number format, since user pool is configured for phone number alias."
    )


def test_plain_pool_keeps_any_username() -> None:
    assert resolve_sign_up_username(PLAIN, "a@b.c", {"name": "A"}, sub=SUB) == ("a@b.c", {"name": "A"})


def test_fold_follows_the_username_configuration() -> None:
    assert fold(PLAIN, "Alice") == "Alice"
    assert fold(INSENSITIVE, "Alice@Example.COM") == "alice@example.com"


# -- uniqueness keys (section 10) ----------------------------------------------------------


def test_username_pool_keys_include_unverified_email() -> None:
    attrs = {"email": "Ann@X.io", "email_verified": "false", "phone_number": "+14155550123"}
    assert username_keys(EMAIL_USERNAME, SUB, attrs) == [("username", SUB), ("email", "Ann@X.io")]


def test_alias_keys_only_for_verified_email_and_phone() -> None:
    attrs = {
        "email": "a@x.io",
        "email_verified": "false",
        "phone_number": "+14155550123",
        "phone_number_verified": "true",
        "preferred_username": "Annie",
    }
    assert username_keys(ALIASES, "ann", attrs) == [
        ("username", "ann"),
        ("phone_number", "+14155550123"),
        ("preferred_username", "Annie"),
    ]


def test_keys_are_folded_in_case_insensitive_pools() -> None:
    attrs = {"email": "Ann@X.io", "email_verified": "true", "preferred_username": "Annie"}
    assert username_keys(INSENSITIVE, "Ann", attrs) == [
        ("username", "ann"),
        ("email", "ann@x.io"),
        ("preferred_username", "annie"),
    ]


def test_plain_pool_has_only_the_username_key() -> None:
    assert username_keys(PLAIN, "ann", {"email": "a@x.io", "email_verified": "true"}) == [("username", "ann")]


# -- attribute checks (section 11) ----------------------------------------------------------


def test_list_and_mapping_input_give_the_same_result_in_request_order() -> None:
    items = [{"Name": "name", "Value": "Ann"}, {"Name": "email", "Value": "a@x.io"}]
    assert validate_attributes(PLAIN, items, context="sign_up") == {"name": "Ann", "email": "a@x.io"}
    assert validate_attributes(PLAIN, {"name": "Ann"}, context="sign_up") == {"name": "Ann"}


def test_repeated_names_keep_the_last_value() -> None:
    items = [{"Name": "name", "Value": "A"}, {"Name": "name", "Value": "B"}]
    assert validate_attributes(PLAIN, items, context="admin_create") == {"name": "B"}


def test_unknown_attribute_type_cannot_be_determined() -> None:
    with pytest.raises(InvalidParameterException) as exc:
        validate_attributes(PLAIN, {"custom:role": "x"}, context="admin_create")
    assert (
        message(exc)
        == "Attributes did not conform to the schema: Type for attribute {custom:role} could not be determined"
    )


def test_custom_name_without_prefix_is_unknown() -> None:
    with pytest.raises(InvalidParameterException, match="Type for attribute {tenant}"):
        validate_attributes(SCHEMA_POOL, {**REQUIRED_OK, "tenant": "acme"}, context="admin_create")


@pytest.mark.parametrize("context", ["sign_up", "admin_create", "admin_update", "user_update"])
def test_sub_is_never_writable(context: str) -> None:
    with pytest.raises(InvalidParameterException, match="sub: Attribute cannot be modified"):
        validate_attributes(PLAIN, {"sub": SUB}, context=context)


@pytest.mark.parametrize("context", ["sign_up", "user_update"])
@pytest.mark.parametrize("name", ["email_verified", "phone_number_verified", "dev:custom:secret"])
def test_clients_may_not_write_verification_flags_or_developer_attributes(context: str, name: str) -> None:
    with pytest.raises(NotAuthorizedException) as exc:
        validate_attributes(SCHEMA_POOL, {**REQUIRED_OK, name: "true"}, context=context)
    assert message(exc) == "A client attempted to write unauthorized attribute"


@pytest.mark.parametrize("context", ["admin_create", "admin_update"])
def test_admins_may_write_verification_flags_and_developer_attributes(context: str) -> None:
    attrs = {**REQUIRED_OK, "email_verified": "True", "dev:custom:secret": "s"}
    result = validate_attributes(SCHEMA_POOL, attrs, context=context)
    assert result["email_verified"] == "true"
    assert result["dev:custom:secret"] == "s"


def test_client_write_attributes_limit_what_a_client_writes() -> None:
    allowed = ["email", "given_name", "name"]
    assert validate_attributes(SCHEMA_POOL, REQUIRED_OK, context="sign_up", write_attributes=allowed)
    with pytest.raises(NotAuthorizedException):
        validate_attributes(
            SCHEMA_POOL, {**REQUIRED_OK, "custom:vip": "true"}, context="sign_up", write_attributes=allowed
        )
    # Administrators are not bound by a client's list.
    result = validate_attributes(
        SCHEMA_POOL, {"custom:vip": "true"}, context="admin_update", write_attributes=allowed
    )
    assert result == {"custom:vip": "true"}


@pytest.mark.parametrize("context", ["admin_update", "user_update"])
def test_immutable_attributes_cannot_be_updated(context: str) -> None:
    with pytest.raises(InvalidParameterException) as exc:
        validate_attributes(SCHEMA_POOL, {"custom:tenant": "acme"}, context=context)
    assert message(exc) == "Attribute cannot be updated"


@pytest.mark.parametrize("context", ["sign_up", "admin_create"])
def test_immutable_attributes_can_be_set_on_create(context: str) -> None:
    result = validate_attributes(SCHEMA_POOL, {**REQUIRED_OK, "custom:tenant": "acme"}, context=context)
    assert result["custom:tenant"] == "acme"


@pytest.mark.parametrize(
    ("attrs", "text"),
    [
        ({"custom:tenant": "a"}, "custom:tenant: String must be no shorter than 2 characters"),
        ({"custom:tenant": "x" * 9}, "custom:tenant: String must be no longer than 8 characters"),
        ({"name": "x" * 2049}, "name: String must be no longer than 2048 characters"),
        ({"custom:level": "11"}, "custom:level: Number must be no greater than 10"),
        ({"custom:level": "-1"}, "custom:level: Number must be no less than 0"),
        ({"custom:level": "ten"}, "custom:level: Number expected"),
        ({"custom:level": "NaN"}, "custom:level: Number expected"),
        ({"updated_at": "-5"}, "updated_at: Number must be no less than 0"),
        ({"custom:vip": "yes"}, "custom:vip: Boolean expected"),
        ({"birthdate": "1990-1-1"}, "birthdate: String must be no shorter than 10 characters"),
    ],
)
def test_type_and_constraint_violations(attrs: dict[str, str], text: str) -> None:
    with pytest.raises(InvalidParameterException) as exc:
        validate_attributes(SCHEMA_POOL, {**REQUIRED_OK, **attrs}, context="admin_create")
    assert message(exc) == "Attributes did not conform to the schema: " + text


def test_numbers_and_booleans_within_constraints_pass() -> None:
    attrs = {**REQUIRED_OK, "custom:level": "7", "custom:vip": "FALSE", "updated_at": "1700000000"}
    result = validate_attributes(SCHEMA_POOL, attrs, context="admin_create")
    assert (result["custom:level"], result["custom:vip"], result["updated_at"]) == (
        "7",
        "false",
        "1700000000",
    )


@pytest.mark.parametrize("value", ["plain", "a@@b.c", "a b@c.d", "@b.c"])
def test_email_format(value: str) -> None:
    with pytest.raises(InvalidParameterException) as exc:
        validate_attributes(PLAIN, {"email": value}, context="admin_update")
    assert message(exc) == "Invalid email address format."


@pytest.mark.parametrize(
    "value", ["4155550123", "+1 415-555-0123", "+(1)4155550123", "+0123456", "+1234567890123456"]
)
def test_phone_number_must_be_e164(value: str) -> None:
    with pytest.raises(InvalidParameterException) as exc:
        validate_attributes(PLAIN, {"phone_number": value}, context="admin_update")
    assert message(exc) == "Invalid phone number format."


def test_valid_email_and_phone_and_empty_values_pass() -> None:
    attrs = {"email": "a.b+c@example.co.uk", "phone_number": "+4915112345678"}
    assert validate_attributes(PLAIN, attrs, context="admin_update") == attrs
    assert validate_attributes(PLAIN, {"email": ""}, context="admin_update") == {"email": ""}


@pytest.mark.parametrize("context", ["sign_up", "admin_create"])
def test_required_attributes_on_create(context: str) -> None:
    with pytest.raises(InvalidParameterException) as exc:
        validate_attributes(SCHEMA_POOL, {"name": "Ann"}, context=context)
    assert message(exc) == (
        "Attributes did not conform to the schema: "
        "given_name: The attribute is required\nemail: The attribute is required\n"
    )


def test_required_attributes_are_not_needed_on_update_but_cannot_be_blanked() -> None:
    assert validate_attributes(SCHEMA_POOL, {"name": "Ann"}, context="admin_update") == {"name": "Ann"}
    with pytest.raises(InvalidParameterException) as exc:
        validate_attributes(SCHEMA_POOL, {"given_name": ""}, context="user_update")
    assert message(exc) == "Attributes did not conform to the schema: given_name: The attribute is required\n"


def test_check_required_treats_empty_values_as_missing() -> None:
    check_required(SCHEMA_POOL, REQUIRED_OK)
    with pytest.raises(InvalidParameterException, match="email: The attribute is required"):
        check_required(SCHEMA_POOL, {**REQUIRED_OK, "email": ""})


def test_preferred_username_alias_cannot_be_given_at_sign_up() -> None:
    with pytest.raises(InvalidParameterException, match="preferred_username cannot be set during sign-up"):
        validate_attributes(ALIASES, {"preferred_username": "annie"}, context="sign_up")
    assert validate_attributes(ALIASES, {"preferred_username": "annie"}, context="user_update")
    assert validate_attributes(PLAIN, {"preferred_username": "annie"}, context="sign_up")


def test_unknown_context_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        validate_attributes(PLAIN, {}, context="sign_in")


# -- masking (section 15) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "value", "masked"),
    [
        ("EMAIL", "alice@example.com", "a***@e***"),
        ("EMAIL", "j@x.io", "j***@x***"),
        ("SMS", "+14155550123", "+*******0123"),
        ("SMS", "+447911123456", "+********3456"),
        ("SMS", "+1234", "+***"),
        ("EMAIL", "broken", "b***"),
    ],
)
def test_mask_destination(channel: str, value: str, masked: str) -> None:
    assert mask_destination(channel, value) == masked


def test_messages_live_in_rules() -> None:
    assert rules.account_exists_message("email") == "An account with the given email already exists."
    assert (
        rules.already_confirmed_message("CONFIRMED")
        == "User cannot be confirmed. Current status is CONFIRMED"
    )


# -- deleting attributes (issue 15 item 2) --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "write_attributes", "error", "text"),
    [
        (
            "custom:level",
            ["email", "given_name"],
            NotAuthorizedException,
            rules.UNAUTHORIZED_ATTRIBUTE_MESSAGE,
        ),
        ("dev:custom:secret", None, NotAuthorizedException, rules.UNAUTHORIZED_ATTRIBUTE_MESSAGE),
        ("email_verified", None, NotAuthorizedException, rules.UNAUTHORIZED_ATTRIBUTE_MESSAGE),
        ("custom:tenant", None, InvalidParameterException, "Attribute cannot be updated"),
        ("sub", None, InvalidParameterException, rules.SCHEMA_PREFIX + "sub: Attribute cannot be modified"),
        (
            "custom:nope",
            None,
            InvalidParameterException,
            "Invalid user attributes: user.custom:nope: Attribute does not exist in the schema.",
        ),
        (
            "given_name",
            None,
            InvalidParameterException,
            rules.SCHEMA_PREFIX + "given_name: The attribute is required\n",
        ),
    ],
)
def test_a_client_deletes_only_what_it_may_update(
    name: str, write_attributes: list[str] | None, error: type[Exception], text: str
) -> None:
    with pytest.raises(error) as exc:
        check_deletable(
            SCHEMA_POOL, ["nickname", name], context="user_update", write_attributes=write_attributes
        )
    assert message(exc) == text


def test_an_administrator_deletes_developer_attributes_and_flags_but_not_immutable_or_required() -> None:
    names = ["dev:custom:secret", "email_verified", "custom:level", "custom:level"]
    assert check_deletable(SCHEMA_POOL, names, context="admin_update", write_attributes=["email"]) == [
        "dev:custom:secret",
        "email_verified",
        "custom:level",
    ]
    with pytest.raises(InvalidParameterException, match="Attribute cannot be updated"):
        check_deletable(SCHEMA_POOL, ["custom:tenant"], context="admin_update")
    # Every required name, in schema order, as on create.
    with pytest.raises(InvalidParameterException) as exc:
        check_deletable(SCHEMA_POOL, ["email", "given_name"], context="admin_update")
    assert (
        message(exc)
        == rules.SCHEMA_PREFIX + "given_name: The attribute is required\nemail: The attribute is required\n"
    )
    with pytest.raises(
        InvalidParameterException, match="user.custom:nope: Attribute does not exist in the schema."
    ):
        check_deletable(SCHEMA_POOL, ["custom:nope"], context="admin_update")
