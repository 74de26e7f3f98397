"""Requests serialized by botocore's own JSON serializer must parse back to the same params."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from botocore.model import OperationModel
from botocore.serialize import create_serializer

from poolgate.errors import SerializationException
from poolgate.protocol.model import operation_model
from poolgate.protocol.parser import parse_body

POOL_ID = "eu-west-1_AbCdEf123"


def op(name: str) -> OperationModel:
    model = operation_model(name)
    assert model is not None
    return model


def botocore_body(name: str, params: dict[str, Any]) -> bytes:
    """The exact body boto3 would send for this call."""
    request = create_serializer("json").serialize_to_request(params, op(name))
    body: bytes = request["body"]
    return body


CREATE_USER_POOL: dict[str, Any] = {
    "PoolName": "demo",
    "Policies": {
        "PasswordPolicy": {
            "MinimumLength": 10,
            "RequireUppercase": True,
            "RequireSymbols": False,
            "TemporaryPasswordValidityDays": 7,
        },
        "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]},
    },
    "AutoVerifiedAttributes": ["email"],
    "UsernameAttributes": ["email"],
    "MfaConfiguration": "OPTIONAL",
    "UserPoolTags": {"team": "identity", "env": ""},
    "Schema": [
        {
            "Name": "tenant",
            "AttributeDataType": "String",
            "Mutable": True,
            "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"},
        },
        {
            "Name": "level",
            "AttributeDataType": "Number",
            "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "9"},
        },
    ],
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},
    "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
}


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("CreateUserPool", CREATE_USER_POOL),
        (
            "AdminCreateUser",
            {
                "UserPoolId": POOL_ID,
                "Username": "alice",
                "UserAttributes": [
                    {"Name": "email", "Value": "alice@example.com"},
                    {"Name": "email_verified", "Value": "true"},
                ],
                "TemporaryPassword": "Temp#Pass1",
                "DesiredDeliveryMediums": ["EMAIL"],
                "ClientMetadata": {"source": "test"},
            },
        ),
        (
            "InitiateAuth",
            {
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": "6npouauc8jt1fioujvblmvpise",
                "AuthParameters": {"USERNAME": "alice", "PASSWORD": "Passw0rd!", "SECRET_HASH": "abc="},
                "UserContextData": {"IpAddress": "192.0.2.1", "EncodedData": "x"},
            },
        ),
    ],
)
def test_botocore_request_round_trips(name: str, params: dict[str, Any]) -> None:
    assert parse_body(op(name), botocore_body(name, params)) == params


def test_blob_is_decoded_from_base64() -> None:
    image = bytes(range(256))
    params = {"UserPoolId": POOL_ID, "ImageFile": image}
    parsed = parse_body(op("SetUICustomization"), botocore_body("SetUICustomization", params))
    assert parsed["ImageFile"] == image


def test_timestamp_from_botocore_becomes_float_epoch() -> None:
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    params = {"UserPoolId": POOL_ID, "RestoreTimestamp": moment}
    parsed = parse_body(
        op("InitiatePointInTimeRecovery"), botocore_body("InitiatePointInTimeRecovery", params)
    )
    assert parsed["RestoreTimestamp"] == moment.timestamp()
    assert isinstance(parsed["RestoreTimestamp"], float)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"2026-01-02T03:04:05Z"', 1767323045.0),
        ('"2026-01-02T04:04:05+01:00"', 1767323045.0),
        ('"2026-01-02T03:04:05"', 1767323045.0),
        ('"1767323045.5"', 1767323045.5),
        ("1767323045.25", 1767323045.25),
    ],
)
def test_timestamp_accepts_iso_and_epoch(text: str, expected: float) -> None:
    body = f'{{"UserPoolId": "{POOL_ID}", "RestoreTimestamp": {text}}}'.encode()
    assert parse_body(op("InitiatePointInTimeRecovery"), body)["RestoreTimestamp"] == expected


def test_document_member_is_passed_through() -> None:
    settings = {"components": {"form": [1, None, {"x": True}]}}
    body = botocore_body(
        "CreateManagedLoginBranding", {"UserPoolId": POOL_ID, "ClientId": "abc", "Settings": settings}
    )
    assert parse_body(op("CreateManagedLoginBranding"), body)["Settings"] == settings


def test_empty_body_is_an_empty_request() -> None:
    assert parse_body(op("ListUserPools"), b"") == {}
    assert parse_body(op("ListUserPools"), b"  \n") == {}


def test_nulls_are_absent_and_unknown_members_ignored() -> None:
    body = (
        b'{"UserPoolId": "p_1", "Username": null, "Bogus": {"deep": 1},'
        b' "UserAttributes": [null, {"Name": "email", "Value": null, "Extra": 3}],'
        b' "ClientMetadata": {"a": null, "b": "x"}}'
    )
    assert parse_body(op("AdminCreateUser"), body) == {
        "UserPoolId": "p_1",
        "UserAttributes": [{"Name": "email"}],
        "ClientMetadata": {"b": "x"},
    }


def test_integral_floats_are_integers_and_big_numbers_survive() -> None:
    body = b'{"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": 8.0, "PasswordHistorySize": 1e20}}}'
    policy = parse_body(op("CreateUserPool"), body)["Policies"]["PasswordPolicy"]
    assert policy == {"MinimumLength": 8, "PasswordHistorySize": 10**20}
    assert isinstance(policy["MinimumLength"], int)


@pytest.mark.parametrize(
    "body",
    [b"{", b"not json", b'{"a": 1,}', b"\xff\xfe", b'"\\ud800"', b"{} {}"],
)
def test_invalid_json_is_a_serialization_error(body: bytes) -> None:
    with pytest.raises(SerializationException, match="not valid JSON"):
        parse_body(op("InitiateAuth"), body)


@pytest.mark.parametrize(("body", "kind"), [(b"[]", "an array"), (b'"x"', "a string"), (b"null", "null")])
def test_top_level_must_be_an_object(body: bytes, kind: str) -> None:
    with pytest.raises(SerializationException) as info:
        parse_body(op("InitiateAuth"), body)
    assert info.value.message == f"The request body must be a JSON object, not {kind}."


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("InitiateAuth", b'{"ClientId": 5}', "Expected a string at 'ClientId' but found a number."),
        (
            "InitiateAuth",
            b'{"AuthParameters": "x"}',
            "Expected an object at 'AuthParameters' but found a string.",
        ),
        (
            "InitiateAuth",
            b'{"AuthParameters": {"USERNAME": true}}',
            "Expected a string at 'AuthParameters['USERNAME']' but found a boolean.",
        ),
        (
            "AdminCreateUser",
            b'{"UserAttributes": [{"Name": "a"}, {"Name": ["b"]}]}',
            "Expected a string at 'UserAttributes[1].Name' but found an array.",
        ),
        (
            "AdminCreateUser",
            b'{"UserAttributes": {"Name": "a"}}',
            "Expected an array at 'UserAttributes' but found an object.",
        ),
        (
            "AdminCreateUser",
            b'{"ForceAliasCreation": "true"}',
            "Expected a boolean at 'ForceAliasCreation' but found a string.",
        ),
        ("ListUsers", b'{"Limit": true}', "Expected an integer at 'Limit' but found a boolean."),
        ("ListUsers", b'{"Limit": 1.5}', "Expected an integer at 'Limit' but found a number."),
        ("ListUsers", b'{"Limit": "10"}', "Expected an integer at 'Limit' but found a string."),
        (
            "CreateUserPool",
            b'{"Policies": {"PasswordPolicy": "strict"}}',
            "Expected an object at 'Policies.PasswordPolicy' but found a string.",
        ),
        (
            "InitiatePointInTimeRecovery",
            b'{"RestoreTimestamp": "yesterday"}',
            "Expected a timestamp at 'RestoreTimestamp' but found a string.",
        ),
        (
            "InitiatePointInTimeRecovery",
            b'{"RestoreTimestamp": false}',
            "Expected a timestamp at 'RestoreTimestamp' but found a boolean.",
        ),
        (
            "SetUICustomization",
            b'{"ImageFile": "***"}',
            "Expected a base64 string at 'ImageFile' but found a string.",
        ),
        ("SetUICustomization", b'{"ImageFile": "QUJD"}', None),
        (
            "SetUICustomization",
            b'{"ImageFile": 7}',
            "Expected a base64 string at 'ImageFile' but found a number.",
        ),
    ],
)
def test_wrong_json_types_name_the_member(name: str, body: bytes, message: str | None) -> None:
    if message is None:
        assert parse_body(op(name), body)["ImageFile"] == base64.b64decode("QUJD")
        return
    with pytest.raises(SerializationException) as info:
        parse_body(op(name), body)
    assert info.value.message == message
    assert info.value.code == "SerializationException"


def test_unknown_operation_names_are_not_remembered() -> None:
    """X-Amz-Target comes from unauthenticated callers: looking up names that are no operation
    must not keep them (issue 15, finding 3: unauthenticated input must not grow memory)."""
    import gc
    import tracemalloc

    assert operation_model("InitiateAuth") is operation_model("InitiateAuth")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(2000):
            assert operation_model(f"{i:06d}" + "x" * 1000) is None
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 200_000, f"{grown} bytes kept for 2,000 unknown operation names"
