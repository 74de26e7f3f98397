"""Response shapes of the user operations (docs/management.md section 14)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.snapshot import assert_output_shape, assert_snapshot

from poolgate.users import views
from poolgate.users.model import Group, User, UserStatus

SUB = "0f1e2d3c-4b5a-4697-8899-aabbccddeeff"
PLACEHOLDERS = {SUB: "<sub>"}
ATTRIBUTES = {
    "email": "alice@example.com",
    "email_verified": "true",
    "sub": SUB,
    "custom:tenant": "acme",
    "dev:custom:secret": "s3cr3t",
}


def user(**changes: Any) -> User:
    values: dict[str, Any] = {
        "user_pool_id": "us-east-1_Abc123XyZ",
        "username": "alice",
        "sub": SUB,
        "status": UserStatus.CONFIRMED,
        "enabled": True,
        "attributes": ATTRIBUTES,
        "created_at": 1700000000.5,
        "updated_at": 1700000100.25,
    }
    values.update(changes)
    return User(**values)


MFA_SETTINGS = {
    "MFAOptions": [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}],
    "PreferredMfaSetting": "SOFTWARE_TOKEN_MFA",
    "UserMFASettingList": ["SOFTWARE_TOKEN_MFA", "SMS_MFA"],
}


def test_user_type_snapshot() -> None:
    result = views.user_type(user())
    assert_output_shape(result, "UserType")
    assert_snapshot(result, "user_type", values=PLACEHOLDERS)


def test_user_type_lists_sub_first_then_stored_order() -> None:
    names = [a["Name"] for a in views.user_type(user())["Attributes"]]
    assert names == ["sub", "email", "email_verified", "custom:tenant", "dev:custom:secret"]


def test_user_type_attributes_to_get() -> None:
    result = views.user_type(user(), ["email", "given_name"])
    assert result["Attributes"] == [{"Name": "email", "Value": "alice@example.com"}]
    assert views.user_type(user(), [])["Attributes"] == []


def test_user_type_shows_mfa_options_only_when_set() -> None:
    assert "MFAOptions" not in views.user_type(user())
    result = views.user_type(user(settings=MFA_SETTINGS))
    assert result["MFAOptions"] == MFA_SETTINGS["MFAOptions"]
    assert "UserMFASettingList" not in result
    assert_output_shape(result, "UserType")


def test_user_type_of_a_disabled_unconfirmed_user() -> None:
    result = views.user_type(user(enabled=False, status=UserStatus.UNCONFIRMED))
    assert (result["Enabled"], result["UserStatus"]) == (False, "UNCONFIRMED")


def test_admin_get_user_snapshot() -> None:
    result = views.admin_get_user(user(settings=MFA_SETTINGS))
    assert_output_shape(result, "AdminGetUserResponse")
    assert_snapshot(result, "user_admin_get", values=PLACEHOLDERS)


def test_admin_get_user_without_mfa_has_no_mfa_members() -> None:
    result = views.admin_get_user(user())
    assert set(result) == {
        "Username",
        "UserAttributes",
        "UserCreateDate",
        "UserLastModifiedDate",
        "Enabled",
        "UserStatus",
    }
    assert_output_shape(result, "AdminGetUserResponse")


def test_get_user_hides_developer_attributes_and_honours_read_attributes() -> None:
    result = views.get_user(user(settings=MFA_SETTINGS))
    assert_output_shape(result, "GetUserResponse")
    assert [a["Name"] for a in result["UserAttributes"]] == [
        "sub",
        "email",
        "email_verified",
        "custom:tenant",
    ]
    assert result["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA", "SMS_MFA"]
    limited = views.get_user(user(), read_attributes=["email"])
    assert [a["Name"] for a in limited["UserAttributes"]] == ["sub", "email"]
    assert set(limited) == {"Username", "UserAttributes"}


def test_group_type_snapshot() -> None:
    group = Group(
        "us-east-1_Abc123XyZ",
        "admins",
        1700000000.5,
        1700000100.25,
        description="Administrators",
        role_arn="arn:aws:iam::000000000000:role/admins",
        precedence=1,
    )
    result = views.group_type(group)
    assert_output_shape(result, "GroupType")
    assert_snapshot(result, "user_group_type")


def test_group_type_leaves_out_unset_members() -> None:
    result = views.group_type(Group("us-east-1_Abc123XyZ", "plain", 1.0, 2.0))
    assert result == {
        "GroupName": "plain",
        "UserPoolId": "us-east-1_Abc123XyZ",
        "LastModifiedDate": 2.0,
        "CreationDate": 1.0,
    }
    precedence_zero = views.group_type(Group("us-east-1_Abc123XyZ", "p", 1.0, 2.0, precedence=0))
    assert precedence_zero["Precedence"] == 0


@pytest.mark.parametrize(
    ("channel", "destination", "attribute", "masked"),
    [
        ("EMAIL", "alice@example.com", "email", "a***@e***"),
        ("SMS", "+14155550123", "phone_number", "+*******0123"),
    ],
)
def test_code_delivery_is_masked(channel: str, destination: str, attribute: str, masked: str) -> None:
    result = views.code_delivery(channel, destination, attribute)
    assert result == {"Destination": masked, "DeliveryMedium": channel, "AttributeName": attribute}
    assert_output_shape(result, "CodeDeliveryDetailsType")


def test_sign_up_result() -> None:
    delivery = views.code_delivery("EMAIL", "alice@example.com", "email")
    result = views.sign_up_result(SUB, confirmed=False, delivery=delivery)
    assert_output_shape(result, "SignUpResponse")
    assert result == {"UserConfirmed": False, "UserSub": SUB, "CodeDeliveryDetails": delivery}
    assert views.sign_up_result(SUB, confirmed=True) == {"UserConfirmed": True, "UserSub": SUB}


def test_admin_create_user_response_wraps_a_user_type() -> None:
    assert_output_shape({"User": views.user_type(user())}, "AdminCreateUserResponse")
