"""Validation messages in the AWS Coral style, for constraints taken from the service model."""

from __future__ import annotations

import base64
import contextlib
import json
import time
from typing import Any

import pytest
import regex
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poolgate.errors import CognitoError, InvalidParameterException
from poolgate.protocol.model import operation_model, operation_names, service_model
from poolgate.protocol.parser import parse_body
from poolgate.protocol.validate import compile_pattern, validate

POOL_ID = "eu-west-1_AbCdEf123"
CLIENT_ID = "6npouauc8jt1fioujvblmvpise"
AUTH_FLOWS = (
    "USER_SRP_AUTH, REFRESH_TOKEN_AUTH, REFRESH_TOKEN, CUSTOM_AUTH, ADMIN_NO_SRP_AUTH, "
    "USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, USER_AUTH"
)


def op(name: str) -> OperationModel:
    model = operation_model(name)
    assert model is not None
    return model


def message(name: str, params: dict[str, Any]) -> str:
    with pytest.raises(InvalidParameterException) as info:
        validate(op(name), params)
    assert info.value.code == "InvalidParameterException"
    return info.value.message


def typical_create_user_pool() -> dict[str, Any]:
    return {
        "PoolName": "demo pool",
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": 10,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": False,
                "TemporaryPasswordValidityDays": 7,
            }
        },
        "DeletionProtection": "ACTIVE",
        "AutoVerifiedAttributes": ["email"],
        "UsernameAttributes": ["email"],
        "MfaConfiguration": "OPTIONAL",
        "EmailVerificationMessage": "Your code is {####}",
        "EmailVerificationSubject": "Your code",
        "UserPoolTags": {"team": "identity", "env": "test"},
        "AdminCreateUserConfig": {
            "AllowAdminCreateUserOnly": False,
            "InviteMessageTemplate": {
                "EmailMessage": "Hello {username}, your password is {####}",
                "EmailSubject": "Welcome",
            },
        },
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
        "UsernameConfiguration": {"CaseSensitive": False},
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
    }


# --- patterns ---------------------------------------------------------------------------


def all_patterns() -> list[str]:
    model = service_model()
    patterns = {model.shape_for(name).metadata.get("pattern") for name in model.shape_names}
    return sorted(pattern for pattern in patterns if pattern is not None)


@pytest.mark.parametrize("pattern", all_patterns())
def test_every_model_pattern_compiles(pattern: str) -> None:
    assert isinstance(compile_pattern(pattern), regex.Pattern)


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        # Java's \w, \d and \s are ASCII-only; \p{L} and friends are Unicode.
        (r"[\w+]+", "abc_123+", True),
        (r"[\w+]+", "abcé", False),
        (r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+", "Zoë_ñ-日本", True),
        (r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+", "a b", False),
        (r"[\S]+", "a\u00a0b", True),
        (r"[\S]+", "a\tb", False),
        (r"[\w\s+=,.@-]+", "my pool-1", True),
        (r"[A-Za-z0-9-_=.]+", "eyJ.a-b_c=", True),
        (r"\p{Alnum}+", "abc1", True),
        (r"\p{Alnum}+", "abcé", False),
        (r"\\w", "\\w", True),
        # Patterns match the whole value, like Java's String.matches.
        (r"[0-9]+", "123a", False),
        (r".*\{####\}.*", "code {####} here", True),
    ],
)
def test_patterns_follow_java_semantics(pattern: str, value: str, matches: bool) -> None:
    assert (compile_pattern(pattern).fullmatch(value) is not None) is matches


# --- exact messages ---------------------------------------------------------------------


def test_missing_required_member() -> None:
    assert message("AdminGetUser", {"UserPoolId": POOL_ID}) == (
        "1 validation error detected: Value null at 'username' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_over_long_string() -> None:
    name = "p" * 129
    assert message("CreateUserPool", {"PoolName": name}) == (
        f"1 validation error detected: Value '{name}' at 'poolName' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    )


def test_user_pool_id_pattern_matches_the_observed_message() -> None:
    params = {"UserPoolId": "YOUR_USER_POOL_ID", "Username": "admin@example.com"}
    assert message("AdminConfirmSignUp", params) == (
        "1 validation error detected: Value 'YOUR_USER_POOL_ID' at 'userPoolId' failed to satisfy "
        r"constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+"
    )


@pytest.mark.parametrize("pool_id", [POOL_ID, "us-east-1_EXAMPLE", "local_abc123"])
def test_real_user_pool_ids_pass(pool_id: str) -> None:
    validate(op("AdminConfirmSignUp"), {"UserPoolId": pool_id, "Username": "admin@example.com"})


def test_sensitive_values_are_not_echoed() -> None:
    params = {"ClientId": CLIENT_ID, "Username": "", "Password": "has space"}
    assert message("SignUp", params) == (
        "3 validation errors detected: "
        "Value at 'username' failed to satisfy constraint: Member must have length greater than or equal to 1; "
        r"Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: "
        r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+; "
        r"Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: [\S]+"
    )


def test_enum_failure() -> None:
    assert message("InitiateAuth", {"ClientId": CLIENT_ID, "AuthFlow": "PLAIN"}) == (
        "1 validation error detected: Value 'PLAIN' at 'authFlow' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{AUTH_FLOWS}]"
    )


def test_integer_range_in_nested_structure() -> None:
    params = {
        "PoolName": "p",
        "Policies": {"PasswordPolicy": {"MinimumLength": 5, "PasswordHistorySize": 25}},
    }
    assert message("CreateUserPool", params) == (
        "2 validation errors detected: "
        "Value '5' at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: "
        "Member must have value greater than or equal to 6; "
        "Value '25' at 'policies.passwordPolicy.passwordHistorySize' failed to satisfy constraint: "
        "Member must have value less than or equal to 24"
    )


def test_integers_beyond_java_int_are_range_errors() -> None:
    assert message("ListUsers", {"UserPoolId": POOL_ID, "Limit": 10**12}) == (
        "1 validation error detected: Value '1000000000000' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 60"
    )
    params = {"UserPoolId": POOL_ID, "GroupName": "g", "Precedence": 2**31}
    assert message("CreateGroup", params) == (
        "1 validation error detected: Value '2147483648' at 'precedence' failed to satisfy constraint: "
        "Member must have value less than or equal to 2147483647"
    )


def test_list_element_paths_are_one_based_members() -> None:
    params = {
        "UserPoolId": POOL_ID,
        "Username": "alice",
        "UserAttributes": [{"Name": "email", "Value": "x" * 2049}, {"Value": "y"}],
    }
    assert message("AdminCreateUser", params) == (
        "2 validation errors detected: "
        "Value at 'userAttributes.1.member.value' failed to satisfy constraint: "
        "Member must have length less than or equal to 2048; "
        "Value null at 'userAttributes.2.member.name' failed to satisfy constraint: Member must not be null"
    )


def test_scalar_list_elements_are_reported_once_for_the_list() -> None:
    params = {"UserPoolId": POOL_ID, "Username": "alice", "DesiredDeliveryMediums": ["SMS", "FAX", "PIGEON"]}
    assert message("AdminCreateUser", params) == (
        "1 validation error detected: Value '[SMS, FAX, PIGEON]' at 'desiredDeliveryMediums' failed to "
        "satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [SMS, EMAIL]]"
    )


def test_list_size() -> None:
    assert message("CreateUserPool", {"PoolName": "p", "Schema": []}) == (
        "1 validation error detected: Value '[]' at 'schema' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_map_keys_and_values() -> None:
    params = {"PoolName": "p", "UserPoolTags": {"": "v", "k": "w" * 257}}
    assert message("CreateUserPool", params) == (
        "2 validation errors detected: "
        f"Value '{{=v, k={'w' * 257}}}' at 'userPoolTags' failed to satisfy constraint: Map keys must satisfy "
        "constraint: [Member must have length less than or equal to 128, "
        "Member must have length greater than or equal to 1]; "
        f"Value '{{=v, k={'w' * 257}}}' at 'userPoolTags' failed to satisfy constraint: Map value must satisfy "
        "constraint: [Member must have length less than or equal to 256, "
        "Member must have length greater than or equal to 0]"
    )


def test_sensitive_map_hides_its_entries() -> None:
    params = {"ClientId": CLIENT_ID, "AuthFlow": "USER_SRP_AUTH", "AuthParameters": {"SRP_A": "a" * 131073}}
    assert message("InitiateAuth", params) == (
        "1 validation error detected: Value at 'authParameters' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must have length less than or equal to 131072, "
        "Member must have length greater than or equal to 0]"
    )


def test_members_of_a_sensitive_structure_are_hidden() -> None:
    params = {
        "ClientId": CLIENT_ID,
        "AuthFlow": "USER_SRP_AUTH",
        "UserContextData": {"IpAddress": "1" * 131073},
    }
    assert message("InitiateAuth", params) == (
        "1 validation error detected: Value at 'userContextData.ipAddress' failed to satisfy constraint: "
        "Member must have length less than or equal to 131072"
    )


def test_structured_map_values_and_key_patterns() -> None:
    params = {"PoolName": "p", "AcrConfiguration": {"Level1": {}, "Level9": {"AcrValue": "urn:x"}}}
    assert message("CreateUserPool", params) == (
        "2 validation errors detected: "
        "Value '{Level1={}, Level9={AcrValue=urn:x}}' at 'acrConfiguration' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: Level[1-4]]; "
        "Value null at 'acrConfiguration.Level1.member.acrValue' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_blob_length() -> None:
    params = {"UserPoolId": POOL_ID, "ImageFile": b"\0" * 131073}
    assert message("SetUICustomization", params) == (
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=131073 cap=131073]' at "
        "'imageFile' failed to satisfy constraint: Member must have length less than or equal to 131072"
    )


def test_several_errors_are_counted_and_joined() -> None:
    assert message("AdminInitiateAuth", {"UserPoolId": "x", "AuthFlow": "NOPE"}) == (
        "3 validation errors detected: "
        r"Value 'x' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression "
        r"pattern: [\w-]+_[0-9a-zA-Z]+; "
        "Value null at 'clientId' failed to satisfy constraint: Member must not be null; "
        f"Value 'NOPE' at 'authFlow' failed to satisfy constraint: Member must satisfy enum value set: [{AUTH_FLOWS}]"
    )


def test_valid_requests_pass() -> None:
    validate(op("CreateUserPool"), typical_create_user_pool())
    validate(
        op("InitiateAuth"),
        {
            "ClientId": CLIENT_ID,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": "alice", "PASSWORD": "Passw0rd!"},
        },
    )
    validate(
        op("CreateManagedLoginBranding"), {"UserPoolId": POOL_ID, "ClientId": CLIENT_ID, "Settings": [1]}
    )


# --- every operation --------------------------------------------------------------------


@pytest.mark.parametrize("name", operation_names())
def test_empty_input_fails_only_when_something_is_required(name: str) -> None:
    model = op(name)
    shape = model.input_shape
    required = list(shape.required_members) if shape is not None else []
    if not required:
        validate(model, {})
        return
    text = message(name, {})
    noun = "error" if len(required) == 1 else "errors"
    assert text.startswith(f"{len(required)} validation {noun} detected: ")
    for member in required:
        path = member[:1].lower() + member[1:]
        assert f"Value null at '{path}' failed to satisfy constraint: Member must not be null" in text


# --- robustness -------------------------------------------------------------------------

_JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def draw_value(data: st.DataObject, shape: Shape, depth: int) -> Any:
    """A value that is usually the right JSON type for ``shape`` and sometimes junk."""
    if depth > 4 or data.draw(st.integers(0, 9)) == 0:
        return data.draw(_JUNK)
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        if shape.is_document_type:
            return data.draw(_JUNK)
        names = list(shape.members)
        chosen = data.draw(st.lists(st.sampled_from(names), max_size=4, unique=True)) if names else []
        return {name: draw_value(data, shape.members[name], depth + 1) for name in chosen}
    if isinstance(shape, ListShape):
        size = data.draw(st.integers(0, 3))
        return [draw_value(data, shape.member, depth + 1) for _ in range(size)]
    if isinstance(shape, MapShape):
        keys = data.draw(st.lists(st.text(max_size=8), max_size=3, unique=True))
        return {key: draw_value(data, shape.value, depth + 1) for key in keys}
    if kind == "string":
        enum = shape.metadata.get("enum")
        if enum:
            return data.draw(st.sampled_from(enum) | st.text(max_size=5))
        return data.draw(
            st.text(max_size=int(shape.metadata.get("max", 40)) + 2).filter(lambda s: len(s) < 300)
        )
    if kind in ("integer", "long"):
        return data.draw(st.integers(min_value=-(2**66), max_value=2**66))
    if kind == "boolean":
        return data.draw(st.booleans())
    if kind == "timestamp":
        return data.draw(st.integers(0, 2**33) | st.text(max_size=25))
    if kind == "blob":
        return data.draw(
            st.binary(max_size=20).map(lambda b: base64.b64encode(b).decode()) | st.text(max_size=8)
        )
    return data.draw(_JUNK)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(data=st.data(), name=st.sampled_from(operation_names()))
def test_parse_and_validate_raise_only_cognito_errors(data: st.DataObject, name: str) -> None:
    model = op(name)
    value: Any = draw_value(data, model.input_shape, 0) if model.input_shape is not None else {}
    body = json.dumps(value).encode()
    with contextlib.suppress(CognitoError):
        validate(model, parse_body(model, body))


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=64), name=st.sampled_from(operation_names()))
def test_arbitrary_bytes_raise_only_cognito_errors(body: bytes, name: str) -> None:
    model = op(name)
    with contextlib.suppress(CognitoError):
        validate(model, parse_body(model, body))


def test_measure_validation_time() -> None:
    model = op("CreateUserPool")
    params = typical_create_user_pool()
    body = json.dumps(params).encode()
    validate(model, params)
    rounds = 2000
    start = time.perf_counter()
    for _ in range(rounds):
        validate(model, params)
    validate_us = (time.perf_counter() - start) / rounds * 1e6
    start = time.perf_counter()
    for _ in range(rounds):
        parse_body(model, body)
    parse_us = (time.perf_counter() - start) / rounds * 1e6
    print(f"\nCreateUserPool: validate {validate_us:.1f} us/request, parse_body {parse_us:.1f} us/request")
