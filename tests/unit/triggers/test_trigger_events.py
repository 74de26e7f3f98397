"""The event builders against spec triggers.md §3-§6, for every trigger and source."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tests.unit.triggers._support import CALLER, POOL_ID, make_group, make_pool, make_user

from poolgate.triggers import events
from poolgate.triggers.api import NO_CLIENT, Caller, ChallengeResult
from poolgate.users.model import UserStatus

ENVELOPE_KEYS = {
    "version",
    "triggerSource",
    "region",
    "userPoolId",
    "userName",
    "callerContext",
    "request",
    "response",
}
POOL = make_pool()
USER = make_user()
SESSION = (ChallengeResult("SRP_A", True), ChallengeResult("CUSTOM_CHALLENGE", False, "captcha-1"))

Builder = Callable[[str], dict[str, Any]]

# Per trigger: a builder taking the source, and the request keys the event must carry.
BUILDERS: dict[str, tuple[Builder, set[str]]] = {
    "PreSignUp": (
        lambda source: events.pre_sign_up(
            POOL,
            region="us-east-1",
            source=source,
            username="alice",
            attributes={"email": "a@example.com"},
            validation_data=None,
            client_metadata=None,
            caller=CALLER,
        ),
        {"userAttributes", "validationData", "clientMetadata"},
    ),
    "PostConfirmation": (
        lambda source: events.post_confirmation(
            POOL, region="us-east-1", source=source, user=USER, client_metadata=None, caller=CALLER
        ),
        {"userAttributes", "clientMetadata"},
    ),
    "PreAuthentication": (
        lambda source: events.pre_authentication(
            POOL,
            region="us-east-1",
            username="alice",
            user=USER,
            validation_data=None,
            user_not_found=False,
            caller=CALLER,
        ),
        {"userAttributes", "validationData"},
    ),
    "PostAuthentication": (
        lambda source: events.post_authentication(
            POOL, region="us-east-1", user=USER, new_device_used=None, client_metadata=None, caller=CALLER
        ),
        {"userAttributes", "clientMetadata"},
    ),
    "DefineAuthChallenge": (
        lambda source: events.define_auth_challenge(
            POOL,
            region="us-east-1",
            username="alice",
            user=USER,
            session=SESSION,
            client_metadata=None,
            user_not_found=False,
            caller=CALLER,
        ),
        {"userAttributes", "session", "clientMetadata", "userNotFound"},
    ),
    "CreateAuthChallenge": (
        lambda source: events.create_auth_challenge(
            POOL,
            region="us-east-1",
            username="alice",
            user=USER,
            challenge_name="CUSTOM_CHALLENGE",
            session=SESSION,
            client_metadata=None,
            user_not_found=False,
            caller=CALLER,
        ),
        {"userAttributes", "challengeName", "session", "clientMetadata", "userNotFound"},
    ),
    "VerifyAuthChallengeResponse": (
        lambda source: events.verify_auth_challenge(
            POOL,
            region="us-east-1",
            username="alice",
            user=USER,
            private_parameters={"answer": "42"},
            answer="42",
            client_metadata=None,
            user_not_found=False,
            caller=CALLER,
        ),
        {"userAttributes", "privateChallengeParameters", "challengeAnswer", "clientMetadata", "userNotFound"},
    ),
    "PreTokenGeneration": (
        lambda source: events.pre_token_generation(
            POOL,
            region="us-east-1",
            lambda_version="V1_0",
            source=source,
            user=USER,
            groups=(),
            scopes=(),
            client_metadata=None,
            caller=CALLER,
        ),
        {"userAttributes", "groupConfiguration", "clientMetadata"},
    ),
    "UserMigration": (
        lambda source: events.user_migration(
            POOL,
            region="us-east-1",
            source=source,
            username="typed@example.com",
            password="Secret-1",
            validation_data=None,
            client_metadata=None,
            caller=CALLER,
        ),
        {"password", "validationData", "clientMetadata"},
    ),
    "CustomMessage": (
        lambda source: events.custom_message(
            POOL,
            region="us-east-1",
            source=source,
            user=USER,
            code_parameter="{####}",
            username_parameter=None,
            client_metadata=None,
            caller=CALLER,
        ),
        {"userAttributes", "codeParameter", "linkParameter", "clientMetadata"},
    ),
}

CASES = [(trigger, source) for trigger, sources in events.SOURCES.items() for source in sources]


def test_every_trigger_has_a_builder() -> None:
    assert set(BUILDERS) == set(events.SOURCES)


@pytest.mark.parametrize(("trigger", "source"), CASES, ids=[f"{t}_{s}" for t, s in CASES])
def test_common_envelope(trigger: str, source: str) -> None:
    build, request_keys = BUILDERS[trigger]
    event = build(source)
    assert set(event) == ENVELOPE_KEYS
    prefix = "TokenGeneration" if trigger == "PreTokenGeneration" else trigger
    assert event["triggerSource"] == f"{prefix}_{source}"
    assert event["version"] == "1"
    assert event["region"] == "eu-west-2"  # from the pool id, not the runner's default
    assert event["userPoolId"] == POOL_ID
    assert event["callerContext"] == {"awsSdkVersion": "boto3-1.44.8", "clientId": "client123"}
    expected_keys = set(request_keys)
    if trigger == "UserMigration" and source == "ForgotPassword":
        expected_keys.discard("password")
    if trigger == "CustomMessage" and source == "Authentication":
        expected_keys.discard("linkParameter")
    assert set(event["request"]) == expected_keys
    # ClientMetadata and validationData default to {} [spec §5 decision].
    for key in ("clientMetadata", "validationData"):
        if key in event["request"]:
            assert event["request"][key] == {}
    attributes = event["request"].get("userAttributes", {})
    assert all(isinstance(v, str) for v in attributes.values())
    if trigger == "PreTokenGeneration":
        assert event["response"] == {"claimsOverrideDetails": None}
    else:
        assert event["response"] == {}


def test_existing_user_attributes_carry_sub_and_status() -> None:
    pool = make_pool(AliasAttributes=["email", "phone_number"])
    user = make_user(phone_number="+15550100", phone_number_verified="false", **{"custom:tier": "gold"})
    attributes = events.user_attributes(pool, user)
    assert attributes["sub"] == user.sub
    assert attributes["cognito:user_status"] == "CONFIRMED"
    assert attributes["email_verified"] == "true"
    assert attributes["custom:tier"] == "gold"
    assert attributes["cognito:email_alias"] == "alice@example.com"
    assert "cognito:phone_number_alias" not in attributes  # not verified
    assert "cognito:email_alias" not in events.user_attributes(make_pool(), user)  # pool without aliases

    reset = make_user()
    object.__setattr__(reset, "status", UserStatus.FORCE_CHANGE_PASSWORD)
    assert events.user_attributes(pool, reset)["cognito:user_status"] == "FORCE_CHANGE_PASSWORD"


def test_metadata_is_passed_as_strings() -> None:
    event = events.pre_sign_up(
        POOL,
        region="us-east-1",
        source="SignUp",
        username="alice",
        attributes={"email": "a@example.com"},
        validation_data={"captcha": "ok"},
        client_metadata={"app": "web"},
        caller=CALLER,
    )
    assert event["request"] == {
        "userAttributes": {"email": "a@example.com"},
        "validationData": {"captcha": "ok"},
        "clientMetadata": {"app": "web"},
    }
    assert "sub" not in event["request"]["userAttributes"]  # the user does not exist yet


def test_client_id_not_applicable() -> None:
    event = events.pre_sign_up(
        POOL,
        region="us-east-1",
        source="AdminCreateUser",
        username="bob",
        attributes={},
        validation_data=None,
        client_metadata=None,
        caller=Caller(),
    )
    assert event["callerContext"] == {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": NO_CLIENT}
    assert NO_CLIENT == "CLIENT_ID_NOT_APPLICABLE"


def test_region_falls_back_when_the_pool_id_has_none() -> None:
    assert events.region_of("us-west-2_abc", "us-east-1") == "us-west-2"
    assert events.region_of("plainid", "ap-south-1") == "ap-south-1"


def test_pre_authentication_unknown_user() -> None:
    event = events.pre_authentication(
        POOL,
        region="us-east-1",
        username="ghost",
        user=None,
        validation_data={"ip": "1.2.3.4"},
        user_not_found=True,
        caller=CALLER,
    )
    assert event["userName"] == "ghost"
    assert event["request"] == {
        "userAttributes": {},
        "validationData": {"ip": "1.2.3.4"},
        "userNotFound": True,
    }


def test_post_authentication_new_device() -> None:
    event = events.post_authentication(
        POOL, region="us-east-1", user=USER, new_device_used=True, client_metadata={"k": "v"}, caller=CALLER
    )
    assert event["request"]["newDeviceUsed"] is True
    assert event["request"]["clientMetadata"] == {"k": "v"}


def test_custom_auth_session_and_user_not_found() -> None:
    event = events.define_auth_challenge(
        POOL,
        region="us-east-1",
        username="ghost",
        user=None,
        session=SESSION,
        client_metadata=None,
        user_not_found=True,
        caller=CALLER,
    )
    assert event["userName"] == "ghost"
    assert event["request"]["userNotFound"] is True
    assert event["request"]["userAttributes"] == {}
    assert event["request"]["session"] == [
        {"challengeName": "SRP_A", "challengeResult": True},
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": False, "challengeMetadata": "captcha-1"},
    ]
    verify = BUILDERS["VerifyAuthChallengeResponse"][0]("Authentication")
    assert verify["request"]["privateChallengeParameters"] == {"answer": "42"}
    assert verify["request"]["challengeAnswer"] == "42"
    assert verify["request"]["userNotFound"] is False
    assert (
        BUILDERS["CreateAuthChallenge"][0]("Authentication")["request"]["challengeName"] == "CUSTOM_CHALLENGE"
    )


@pytest.mark.parametrize(("version", "number"), [("V1_0", "1"), ("V2_0", "2"), ("V3_0", "3")])
def test_pre_token_versions(version: str, number: str) -> None:
    groups = [
        make_group("readers", 5, "arn:aws:iam::1:role/read"),
        make_group("admins", 1, "arn:aws:iam::1:role/admin"),
        make_group("plain"),
    ]
    event = events.pre_token_generation(
        POOL,
        region="us-east-1",
        lambda_version=version,
        source="RefreshTokens",
        user=USER,
        groups=groups,
        scopes=["openid", "aws.cognito.signin.user.admin"],
        client_metadata={"a": "b"},
        caller=CALLER,
    )
    assert event["version"] == number
    assert event["triggerSource"] == "TokenGeneration_RefreshTokens"
    assert event["request"]["groupConfiguration"] == {
        "groupsToOverride": ["admins", "readers", "plain"],
        "iamRolesToOverride": ["arn:aws:iam::1:role/admin", "arn:aws:iam::1:role/read"],
        "preferredRole": "arn:aws:iam::1:role/admin",
    }
    assert event["request"]["clientMetadata"] == {"a": "b"}
    if version == "V1_0":
        assert "scopes" not in event["request"]
        assert event["response"] == {"claimsOverrideDetails": None}
    else:
        assert event["request"]["scopes"] == ["openid", "aws.cognito.signin.user.admin"]
        assert event["response"] == {"claimsAndScopeOverrideDetails": None}


def test_group_configuration_without_groups_or_with_a_tie() -> None:
    assert events.group_configuration([]) == {
        "groupsToOverride": [],
        "iamRolesToOverride": [],
        "preferredRole": None,
    }
    tied = events.group_configuration([make_group("a", 1, "arn:r1"), make_group("b", 1, "arn:r2")])
    assert tied["preferredRole"] is None


def test_user_migration_event() -> None:
    event = events.user_migration(
        POOL,
        region="us-east-1",
        source="Authentication",
        username="typed@example.com",
        password="Secret-1",
        validation_data={"v": "1"},
        client_metadata=None,
        caller=CALLER,
    )
    assert event["userName"] == "typed@example.com"
    assert event["request"] == {"password": "Secret-1", "validationData": {"v": "1"}, "clientMetadata": {}}
    forgot = events.user_migration(
        POOL,
        region="us-east-1",
        source="ForgotPassword",
        username="typed",
        password=None,
        validation_data=None,
        client_metadata={"m": "1"},
        caller=CALLER,
    )
    assert forgot["request"] == {"validationData": {}, "clientMetadata": {"m": "1"}}


def test_custom_message_admin_create_user() -> None:
    event = events.custom_message(
        POOL,
        region="us-east-1",
        source="AdminCreateUser",
        user=USER,
        code_parameter="{####}",
        username_parameter="{username}",
        client_metadata=None,
        caller=Caller(),
    )
    assert event["request"]["codeParameter"] == "{####}"
    assert event["request"]["usernameParameter"] == "{username}"
    assert event["request"]["linkParameter"] == "{##Click Here##}"
    assert event["callerContext"]["clientId"] == NO_CLIENT
