"""User-pool defaults, rules and replace-on-update (docs/management.md sections 1, 2, 4, 8)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from tests.snapshot import assert_output_shape, assert_snapshot, normalize

from poolgate.errors import InvalidParameterException
from poolgate.pools import defaults
from poolgate.pools.model import UserPool

ARN = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_Abc123XyZ"
SMS = {"SnsCallerArn": "arn:aws:iam::000000000000:role/sms", "ExternalId": "ext", "SnsRegion": "us-east-1"}
LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:{}"

FULL_REQUEST: dict[str, Any] = {
    "PoolName": "full",
    "Policies": {
        "PasswordPolicy": {
            "MinimumLength": 12,
            "RequireUppercase": True,
            "RequireNumbers": True,
            "PasswordHistorySize": 5,
            "TemporaryPasswordValidityDays": 3,
        }
    },
    "DeletionProtection": "ACTIVE",
    "LambdaConfig": {"PreSignUp": LAMBDA.format("pre"), "PreTokenGeneration": LAMBDA.format("token")},
    "AutoVerifiedAttributes": ["email"],
    "UsernameAttributes": ["email"],
    "SmsAuthenticationMessage": "Your code is {####}",
    "MfaConfiguration": "OPTIONAL",
    "SmsConfiguration": SMS,
    "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
    "UserPoolTags": {"team": "identity"},
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
    "Schema": [
        {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
        {
            "Name": "tenant",
            "AttributeDataType": "String",
            "Mutable": False,
            "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"},
        },
        {
            "Name": "level",
            "AttributeDataType": "Number",
            "Mutable": True,
            "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "10"},
        },
    ],
    "UsernameConfiguration": {"CaseSensitive": False},
    "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
}


def pool(config: dict[str, Any]) -> UserPool:
    return UserPool("us-east-1_Abc123XyZ", "demo", 1700000000.5, 1700000100.25, config)


def described(config: dict[str, Any]) -> dict[str, Any]:
    result = defaults.describe_pool(pool(config), arn=ARN, estimated_users=0)
    assert_output_shape(result, "UserPoolType")
    return result


# -- pool created with only PoolName ---------------------------------------------------------


def test_minimal_pool_defaults() -> None:
    config = defaults.build_pool_config({"PoolName": "demo"})
    assert config["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 8,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 7,
    }
    assert config["Policies"]["SignInPolicy"] == {"AllowedFirstAuthFactors": ["PASSWORD"]}
    assert config["DeletionProtection"] == "INACTIVE"
    assert config["LambdaConfig"] == {}
    assert config["MfaConfiguration"] == "OFF"
    assert config["EmailConfiguration"] == {"EmailSendingAccount": "COGNITO_DEFAULT"}
    assert config["VerificationMessageTemplate"] == {"DefaultEmailOption": "CONFIRM_WITH_CODE"}
    assert config["AdminCreateUserConfig"] == {
        "AllowAdminCreateUserOnly": False,
        "UnusedAccountValidityDays": 7,
    }
    assert config["UsernameConfiguration"] == {"CaseSensitive": True}
    assert config["UserPoolTier"] == "ESSENTIALS"
    assert len(config["SchemaAttributes"]) == 20
    for absent in (
        "AutoVerifiedAttributes",
        "AliasAttributes",
        "UsernameAttributes",
        "SmsConfiguration",
        "AccountRecoverySetting",
        "UserPoolTags",
        "DeviceConfiguration",
        "PoolName",
        "Schema",
        "EmailVerificationMessage",
        "SmsAuthenticationMessage",
        "UserPoolAddOns",
    ):
        assert absent not in config


def test_snapshot_minimal_pool() -> None:
    assert_snapshot(described(defaults.build_pool_config({"PoolName": "demo"})), "pool_minimal")


def test_describe_pool_adds_the_computed_members() -> None:
    result = defaults.describe_pool(pool(defaults.build_pool_config({})), arn=ARN, estimated_users=4)
    assert (result["Id"], result["Name"], result["Arn"]) == ("us-east-1_Abc123XyZ", "demo", ARN)
    assert (result["CreationDate"], result["LastModifiedDate"], result["EstimatedNumberOfUsers"]) == (
        1700000000.5,
        1700000100.25,
        4,
    )


def test_summarize_pool() -> None:
    config = defaults.build_pool_config({"LambdaConfig": {"PreSignUp": LAMBDA.format("a")}})
    summary = defaults.summarize_pool(pool(config))
    assert summary == {
        "Id": "us-east-1_Abc123XyZ",
        "Name": "demo",
        "LambdaConfig": {"PreSignUp": LAMBDA.format("a")},
        "LastModifiedDate": 1700000100.25,
        "CreationDate": 1700000000.5,
    }
    assert_output_shape(summary, "UserPoolDescriptionType")


# -- CreateUserPool with more given ----------------------------------------------------------


def test_snapshot_full_pool() -> None:
    config = defaults.build_pool_config(FULL_REQUEST)
    assert config["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 12,
        "RequireUppercase": True,
        "RequireLowercase": False,
        "RequireNumbers": True,
        "RequireSymbols": False,
        "PasswordHistorySize": 5,
        "TemporaryPasswordValidityDays": 3,
    }
    assert config["AdminCreateUserConfig"] == {
        "AllowAdminCreateUserOnly": True,
        "UnusedAccountValidityDays": 3,
    }
    assert config["LambdaConfig"]["PreTokenGenerationConfig"] == {
        "LambdaArn": LAMBDA.format("token"),
        "LambdaVersion": "V1_0",
    }
    assert_snapshot(described(config), "pool_full")


@pytest.mark.parametrize("days", [None, 0])
def test_temporary_password_days_zero_or_omitted_means_seven(days: int | None) -> None:
    policy: dict[str, Any] = {"MinimumLength": 10}
    if days is not None:
        policy["TemporaryPasswordValidityDays"] = days
    config = defaults.build_pool_config({"Policies": {"PasswordPolicy": policy}})
    assert config["Policies"]["PasswordPolicy"]["TemporaryPasswordValidityDays"] == 7
    assert config["Policies"]["PasswordPolicy"]["RequireSymbols"] is False


def test_policies_without_password_policy_get_the_default_policy() -> None:
    config = defaults.build_pool_config(
        {"Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}}
    )
    assert config["Policies"]["PasswordPolicy"]["RequireUppercase"] is True
    assert config["Policies"]["SignInPolicy"] == {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}


def test_legacy_unused_account_validity_days() -> None:
    config = defaults.build_pool_config({"AdminCreateUserConfig": {"UnusedAccountValidityDays": 30}})
    assert config["Policies"]["PasswordPolicy"]["TemporaryPasswordValidityDays"] == 30
    assert config["AdminCreateUserConfig"]["UnusedAccountValidityDays"] == 30
    same = {
        "Policies": {"PasswordPolicy": {"TemporaryPasswordValidityDays": 5}},
        "AdminCreateUserConfig": {"UnusedAccountValidityDays": 5},
    }
    assert defaults.build_pool_config(same)["AdminCreateUserConfig"]["UnusedAccountValidityDays"] == 5
    with pytest.raises(InvalidParameterException) as error:
        defaults.build_pool_config({**same, "AdminCreateUserConfig": {"UnusedAccountValidityDays": 6}})
    assert "TemporaryPasswordValidityDays" in error.value.message


def test_invite_message_template_is_kept() -> None:
    template = {"EmailMessage": "Hi {username}, {####}", "EmailSubject": "Welcome"}
    config = defaults.build_pool_config({"AdminCreateUserConfig": {"InviteMessageTemplate": template}})
    assert config["AdminCreateUserConfig"]["InviteMessageTemplate"] == template


def test_pre_token_generation_members_mirror_each_other() -> None:
    versioned = {"LambdaArn": LAMBDA.format("t"), "LambdaVersion": "V2_0"}
    config = defaults.build_pool_config({"LambdaConfig": {"PreTokenGenerationConfig": versioned}})
    assert config["LambdaConfig"]["PreTokenGeneration"] == LAMBDA.format("t")
    with pytest.raises(InvalidParameterException):
        defaults.build_pool_config(
            {
                "LambdaConfig": {
                    "PreTokenGeneration": LAMBDA.format("x"),
                    "PreTokenGenerationConfig": versioned,
                }
            }
        )


def test_verification_messages_fill_their_twins() -> None:
    config = defaults.build_pool_config(
        {"EmailVerificationMessage": "Code {####}", "EmailVerificationSubject": "Code"}
    )
    assert config["VerificationMessageTemplate"] == {
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
        "EmailMessage": "Code {####}",
        "EmailSubject": "Code",
    }
    config = defaults.build_pool_config(
        {
            "VerificationMessageTemplate": {
                "SmsMessage": "Code {####}",
                "DefaultEmailOption": "CONFIRM_WITH_LINK",
            }
        }
    )
    assert config["SmsVerificationMessage"] == "Code {####}"
    assert config["VerificationMessageTemplate"]["DefaultEmailOption"] == "CONFIRM_WITH_LINK"


@pytest.mark.parametrize("mfa", ["ON", "OPTIONAL"])
def test_mfa_on_create_needs_an_sms_configuration(mfa: str) -> None:
    with pytest.raises(InvalidParameterException) as error:
        defaults.build_pool_config({"MfaConfiguration": mfa})
    assert error.value.message.startswith(
        "SMS configuration and Auto verification for phone_number are required"
    )
    assert (
        defaults.build_pool_config({"MfaConfiguration": mfa, "SmsConfiguration": SMS})["MfaConfiguration"]
        == mfa
    )


def test_email_configuration_rules() -> None:
    config = defaults.build_pool_config({"EmailConfiguration": {"ReplyToEmailAddress": "a@example.com"}})
    assert config["EmailConfiguration"] == {
        "ReplyToEmailAddress": "a@example.com",
        "EmailSendingAccount": "COGNITO_DEFAULT",
    }
    with pytest.raises(InvalidParameterException):
        defaults.build_pool_config({"EmailConfiguration": {"EmailSendingAccount": "DEVELOPER"}})


@pytest.mark.parametrize(
    "request_",
    [
        {"SmsConfiguration": {**SMS, "EumsSms": {"CallerArn": "arn:aws:iam::000000000000:role/eums"}}},
        {"UsernameAttributes": ["email"], "AliasAttributes": ["preferred_username"]},
        {
            "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["phone_number"]},
            "AutoVerifiedAttributes": ["email"],
        },
        {
            "AccountRecoverySetting": {
                "RecoveryMechanisms": [
                    {"Name": "verified_email", "Priority": 1},
                    {"Name": "verified_email", "Priority": 2},
                ]
            }
        },
        {
            "AccountRecoverySetting": {
                "RecoveryMechanisms": [
                    {"Name": "verified_email", "Priority": 1},
                    {"Name": "verified_phone_number", "Priority": 1},
                ]
            }
        },
        {
            "AccountRecoverySetting": {
                "RecoveryMechanisms": [
                    {"Name": "admin_only", "Priority": 1},
                    {"Name": "verified_email", "Priority": 2},
                ]
            }
        },
        {"AcrConfiguration": {"Level1": "urn:cognito:loa:2"}},
    ],
)
def test_semantic_rules_raise_invalid_parameter(request_: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameterException):
        defaults.build_pool_config(request_)


def test_acr_and_dcr_defaults() -> None:
    config = defaults.build_pool_config(
        {"AcrConfiguration": {"Level4": "urn:example:high"}, "DcrConfiguration": {}}
    )
    assert config["AcrConfiguration"] == {
        "Level1": "urn:cognito:loa:1",
        "Level2": "urn:cognito:loa:2",
        "Level3": "urn:cognito:loa:3",
        "Level4": "urn:example:high",
    }
    assert config["DcrConfiguration"] == {"EnableStatus": "Enabled", "OpenDcrEnabled": False}


def test_build_does_not_alias_the_request() -> None:
    request: dict[str, Any] = {"LambdaConfig": {"PreSignUp": LAMBDA.format("a")}, "UserPoolTags": {"a": "b"}}
    config = defaults.build_pool_config(request)
    config["LambdaConfig"]["PostConfirmation"] = "x"
    config["UserPoolTags"]["c"] = "d"
    assert request == {"LambdaConfig": {"PreSignUp": LAMBDA.format("a")}, "UserPoolTags": {"a": "b"}}


# -- UpdateUserPool ---------------------------------------------------------------------------


def test_update_reverts_omitted_members_and_keeps_immutable_ones() -> None:
    existing = defaults.build_pool_config({**FULL_REQUEST, "UserPoolTier": "PLUS", "DcrConfiguration": {}})
    updated = defaults.update_pool_config(
        existing, {"PoolName": "renamed", "AutoVerifiedAttributes": ["email"]}
    )
    assert updated["MfaConfiguration"] == "OFF"
    assert updated["DeletionProtection"] == "INACTIVE"
    assert updated["LambdaConfig"] == {}
    assert updated["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    assert updated["AdminCreateUserConfig"] == {
        "AllowAdminCreateUserOnly": False,
        "UnusedAccountValidityDays": 7,
    }
    for gone in (
        "SmsConfiguration",
        "AccountRecoverySetting",
        "UserAttributeUpdateSettings",
        "SmsAuthenticationMessage",
    ):
        assert gone not in updated
    for kept in (
        "SchemaAttributes",
        "UsernameAttributes",
        "UsernameConfiguration",
        "UserPoolTags",
        "UserPoolTier",
        "DcrConfiguration",
    ):
        assert updated[kept] == existing[kept], kept
    assert "PoolName" not in updated
    assert_snapshot(described(updated), "pool_after_update")


def test_update_ignores_members_update_cannot_change() -> None:
    existing = defaults.build_pool_config({"AliasAttributes": ["email"]})
    updated = defaults.update_pool_config(
        existing,
        {
            "Schema": [{"Name": "x", "AttributeDataType": "String"}],
            "UsernameAttributes": ["email"],
            "UsernameConfiguration": {"CaseSensitive": False},
            "UserPoolTags": {"new": "tag"},
        },
    )
    assert updated["AliasAttributes"] == ["email"]
    assert "UsernameAttributes" not in updated
    assert updated["UsernameConfiguration"] == {"CaseSensitive": True}
    assert updated["SchemaAttributes"] == existing["SchemaAttributes"]
    assert updated["UserPoolTags"] == {"new": "tag"}


def test_update_keeps_domains() -> None:
    existing = {**defaults.build_pool_config({}), "Domain": "demo-auth"}
    assert defaults.update_pool_config(existing, {})["Domain"] == "demo-auth"


def test_update_mfa_needs_sms_or_an_enabled_factor() -> None:
    existing = defaults.build_pool_config({})
    with pytest.raises(InvalidParameterException) as error:
        defaults.update_pool_config(existing, {"MfaConfiguration": "ON"})
    assert error.value.message == (
        "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration."
    )
    totp = defaults.update_pool_config(
        existing, {"MfaConfiguration": "OPTIONAL"}, enabled_mfa_factors={"SOFTWARE_TOKEN_MFA"}
    )
    assert totp["MfaConfiguration"] == "OPTIONAL"
    sms = defaults.update_pool_config(existing, {"MfaConfiguration": "ON", "SmsConfiguration": SMS})
    assert sms["SmsConfiguration"] == SMS


def test_update_applies_the_create_rules() -> None:
    with pytest.raises(InvalidParameterException):
        defaults.update_pool_config(
            defaults.build_pool_config({}), {"EmailConfiguration": {"EmailSendingAccount": "DEVELOPER"}}
        )


# -- identifiers ------------------------------------------------------------------------------


def test_identifier_formats() -> None:
    pool_ids = {defaults.new_pool_id("eu-west-1") for _ in range(50)}
    assert len(pool_ids) == 50
    assert all(re.fullmatch(r"eu-west-1_[A-Za-z0-9]{9}", p) for p in pool_ids)
    assert all(re.fullmatch(r"[\w-]+_[0-9a-zA-Z]+", p) for p in pool_ids)
    assert re.fullmatch(r"[a-z0-9]{26}", defaults.new_client_id())
    assert re.fullmatch(r"[a-z0-9]{52}", defaults.new_client_secret())
    assert defaults.new_client_id() != defaults.new_client_id()


# -- the shared helpers -----------------------------------------------------------------------


def test_snapshot_helper_fails_on_missing_or_different_snapshots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POOLGATE_UPDATE_SNAPSHOTS", raising=False)
    with pytest.raises(AssertionError, match="missing"):
        assert_snapshot({"a": 1}, "does_not_exist")
    with pytest.raises(AssertionError, match="differs"):
        assert_snapshot(
            described(
                defaults.build_pool_config({"MfaConfiguration": "OFF", "DeletionProtection": "ACTIVE"})
            ),
            "pool_minimal",
        )


def test_normalize_replaces_volatile_values() -> None:
    value = {
        "Id": "us-east-1_X",
        "Nested": [{"ClientSecret": "s", "Note": "in us-east-1_X"}],
        "When": datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC),
    }
    assert normalize(value, values={"us-east-1_X": "<pool-id>"}) == {
        "Id": "<pool-id>",
        "Nested": [{"ClientSecret": "<client-secret>", "Note": "in <pool-id>"}],
        "When": "2024-01-02T00:00:00+00:00",
    }


@pytest.mark.parametrize(
    "broken",
    [
        {"Unknown": 1},
        {"MfaConfiguration": "SOMETIMES"},
        {"EstimatedNumberOfUsers": True},
        {"Policies": {"PasswordPolicy": {"MinimumLength": "8"}}},
        {"SchemaAttributes": {"Name": "sub"}},
        {"UserPoolTags": {"a": 1}},
    ],
)
def test_output_shape_check_catches_wrong_members(broken: dict[str, Any]) -> None:
    with pytest.raises(AssertionError):
        assert_output_shape(broken, "UserPoolType")
