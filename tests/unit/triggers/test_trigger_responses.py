"""Reading each trigger's ``response``, and the type errors that make it InvalidLambdaResponse."""

from __future__ import annotations

from typing import Any

import pytest

from poolgate.errors import InvalidLambdaResponseException, UserNotFoundException
from poolgate.triggers import responses
from poolgate.triggers.api import (
    CreateResult,
    DefineResult,
    GroupOverride,
    MessageOverride,
    MigrationResult,
    PreSignUpResult,
    TokenOverrides,
)

INVALID = "Invalid lambda function output : Invalid JSON"


def invalid(call: Any, *args: Any) -> None:
    with pytest.raises(InvalidLambdaResponseException) as caught:
        call(*args)
    assert caught.value.message == INVALID


def test_output_must_be_a_json_object() -> None:
    assert responses.read_response(responses.load_output(b'{"response": {"a": 1}}')) == {"a": 1}
    assert responses.read_response({"request": {}}) == {}
    assert responses.read_response({"response": None}) == {}
    invalid(responses.load_output, b"not json")
    invalid(responses.load_output, b"\xff\xfe")
    outputs: tuple[Any, ...] = (None, [], "text", 3)
    for output in outputs:
        invalid(responses.read_response, output)
    invalid(responses.read_response, {"response": "yes"})
    invalid(responses.read_response, {"response": []})


def test_pre_sign_up() -> None:
    assert responses.parse_pre_sign_up({}) == PreSignUpResult()
    assert responses.parse_pre_sign_up(
        {"autoConfirmUser": True, "autoVerifyEmail": True, "autoVerifyPhone": None}
    ) == PreSignUpResult(auto_confirm=True, auto_verify_email=True)
    assert responses.parse_pre_sign_up({"autoVerifyPhone": True}).auto_verify_phone
    for key in ("autoConfirmUser", "autoVerifyEmail", "autoVerifyPhone"):
        wrongs: tuple[Any, ...] = ("true", 1, [], {})
        for wrong in wrongs:
            invalid(responses.parse_pre_sign_up, {key: wrong})


def test_define() -> None:
    assert responses.parse_define({}) == DefineResult()
    assert responses.parse_define(
        {"challengeName": "CUSTOM_CHALLENGE", "issueTokens": False, "failAuthentication": False}
    ) == DefineResult(challenge_name="CUSTOM_CHALLENGE")
    assert responses.parse_define({"issueTokens": True}).issue_tokens
    assert responses.parse_define({"failAuthentication": True}).fail_authentication
    invalid(responses.parse_define, {"challengeName": 3})
    invalid(responses.parse_define, {"issueTokens": "true"})
    invalid(responses.parse_define, {"failAuthentication": 0})


def test_create() -> None:
    assert responses.parse_create({}) == CreateResult()
    parsed = responses.parse_create(
        {
            "publicChallengeParameters": {"question": "2+2?"},
            "privateChallengeParameters": {"answer": "4"},
            "challengeMetadata": "CAPTCHA",
        }
    )
    assert parsed == CreateResult({"question": "2+2?"}, {"answer": "4"}, "CAPTCHA")
    invalid(responses.parse_create, {"publicChallengeParameters": {"n": 4}})
    invalid(responses.parse_create, {"privateChallengeParameters": ["a"]})
    invalid(responses.parse_create, {"challengeMetadata": {"x": "y"}})


def test_verify() -> None:
    assert responses.parse_verify({"answerCorrect": True}) is True
    assert responses.parse_verify({"answerCorrect": False}) is False
    assert responses.parse_verify({}) is False
    invalid(responses.parse_verify, {"answerCorrect": "true"})


def test_pre_token_v1() -> None:
    assert responses.parse_pre_token_v1({"claimsOverrideDetails": None}) is None
    assert responses.parse_pre_token_v1({}) is None
    parsed = responses.parse_pre_token_v1(
        {
            "claimsOverrideDetails": {
                "claimsToAddOrOverride": {"tier": "gold"},
                "claimsToSuppress": ["email"],
            }
        }
    )
    assert parsed == TokenOverrides(id_claims_add={"tier": "gold"}, id_claims_suppress=("email",))
    assert parsed is not None and parsed.groups is None  # absent: keep the groups
    with_groups = responses.parse_pre_token_v1(
        {
            "claimsOverrideDetails": {
                "groupOverrideDetails": {
                    "groupsToOverride": ["a"],
                    "iamRolesToOverride": ["arn:r"],
                    "preferredRole": "arn:r",
                }
            }
        }
    )
    assert with_groups is not None
    assert with_groups.groups == GroupOverride(("a",), ("arn:r",), "arn:r")
    removed = responses.parse_pre_token_v1({"claimsOverrideDetails": {"groupOverrideDetails": None}})
    assert removed is not None and removed.groups == GroupOverride()
    wrong: Any
    for wrong in (
        {"claimsOverrideDetails": "x"},
        {"claimsOverrideDetails": {"claimsToAddOrOverride": {"n": 1}}},  # V1 claims are strings
        {"claimsOverrideDetails": {"claimsToAddOrOverride": ["a"]}},
        {"claimsOverrideDetails": {"claimsToSuppress": "email"}},
        {"claimsOverrideDetails": {"claimsToSuppress": [1]}},
        {"claimsOverrideDetails": {"groupOverrideDetails": {"groupsToOverride": "a"}}},
        {"claimsOverrideDetails": {"groupOverrideDetails": {"preferredRole": 1}}},
        {"claimsOverrideDetails": {"groupOverrideDetails": []}},
    ):
        invalid(responses.parse_pre_token_v1, wrong)


def test_pre_token_v2() -> None:
    assert responses.parse_pre_token_v2({"claimsAndScopeOverrideDetails": None}) is None
    parsed = responses.parse_pre_token_v2(
        {
            "claimsAndScopeOverrideDetails": {
                "idTokenGeneration": {
                    "claimsToAddOrOverride": {"n": 1, "o": {"a": [1]}},
                    "claimsToSuppress": ["email"],
                },
                "accessTokenGeneration": {
                    "claimsToAddOrOverride": {"flag": True},
                    "claimsToSuppress": ["x"],
                    "scopesToAdd": ["api/read"],
                    "scopesToSuppress": ["phone"],
                },
                "groupOverrideDetails": {"groupsToOverride": ["g"]},
            }
        }
    )
    assert parsed == TokenOverrides(
        id_claims_add={"n": 1, "o": {"a": [1]}},
        id_claims_suppress=("email",),
        access_claims_add={"flag": True},
        access_claims_suppress=("x",),
        scopes_add=("api/read",),
        scopes_suppress=("phone",),
        groups=GroupOverride(("g",)),
    )
    assert responses.parse_pre_token_v2({"claimsAndScopeOverrideDetails": {}}) == TokenOverrides()
    wrong: Any
    for wrong in (
        {"claimsAndScopeOverrideDetails": []},
        {"claimsAndScopeOverrideDetails": {"idTokenGeneration": "x"}},
        {"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"scopesToAdd": "a"}}},
        {"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"scopesToSuppress": [1]}}},
        {"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"claimsToAddOrOverride": []}}},
    ):
        invalid(responses.parse_pre_token_v2, wrong)


def test_migration() -> None:
    event: dict[str, Any] = {
        "request": {},
        "response": {
            "userAttributes": {"email": "a@example.com", "email_verified": "true"},
            "finalUserStatus": "CONFIRMED",
            "messageAction": "SUPPRESS",
            "desiredDeliveryMediums": ["EMAIL"],
            "forceAliasCreation": True,
            "enableSMSMFA": False,
        },
    }
    assert responses.parse_migration(event, "c1") == MigrationResult(
        {"email": "a@example.com", "email_verified": "true"}, "CONFIRMED", "SUPPRESS", ("EMAIL",), True, False
    )
    minimal = responses.parse_migration({"response": {"userAttributes": {"email": "a@example.com"}}}, "c1")
    assert minimal == MigrationResult({"email": "a@example.com"})
    assert minimal is not None and minimal.final_status == "RESET_REQUIRED"
    assert minimal.desired_delivery_mediums == ("SMS",)
    # An empty response: no such user.
    assert responses.parse_migration({"response": {}}, "c1") is None
    assert responses.parse_migration({"response": {"userAttributes": {}}}, "c1") is None
    # No response at all [spec §6.9, observed].
    for output in (None, {}, {"response": None}):
        with pytest.raises(UserNotFoundException) as caught:
            responses.parse_migration(output, "c1")
        assert caught.value.message == "Exception migrating user in app client c1"
    wrong: Any
    for wrong in (
        {"userAttributes": {"email_verified": True}},
        {"userAttributes": ["email"]},
        {"userAttributes": {"email": "a"}, "finalUserStatus": "FORCE_CHANGE_PASSWORD"},
        {"userAttributes": {"email": "a"}, "finalUserStatus": 1},
        {"userAttributes": {"email": "a"}, "messageAction": "SEND"},
        {"userAttributes": {"email": "a"}, "desiredDeliveryMediums": ["PIGEON"]},
        {"userAttributes": {"email": "a"}, "desiredDeliveryMediums": "EMAIL"},
        {"userAttributes": {"email": "a"}, "forceAliasCreation": "yes"},
        {"userAttributes": {"email": "a"}, "enableSMSMFA": 1},
    ):
        invalid(responses.parse_migration, {"response": wrong}, "c1")
    invalid(responses.parse_migration, [1], "c1")


def test_custom_message() -> None:
    assert responses.parse_custom_message({}) is None
    assert (
        responses.parse_custom_message({"smsMessage": None, "emailMessage": None, "emailSubject": None})
        is None
    )
    assert responses.parse_custom_message(
        {"smsMessage": "code {####}", "emailMessage": "<b>{####}</b>", "emailSubject": "Welcome"}
    ) == MessageOverride("code {####}", "<b>{####}</b>", "Welcome")
    for key in ("smsMessage", "emailMessage", "emailSubject"):
        invalid(responses.parse_custom_message, {key: 5})
