"""App-client defaults, rules and replace-on-update (docs/management.md sections 5-7)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.snapshot import assert_output_shape, assert_snapshot

from poolgate.errors import InvalidOAuthFlowException, InvalidParameterException
from poolgate.pools import defaults
from poolgate.pools.model import AppClient, UserPool

POOL = UserPool(
    "us-east-1_Abc123XyZ",
    "demo",
    1.0,
    1.0,
    defaults.build_pool_config(
        {
            "Schema": [
                {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
                {"Name": "tenant", "AttributeDataType": "String", "Mutable": True},
                {"Name": "secret_level", "AttributeDataType": "Number", "DeveloperOnlyAttribute": True},
            ]
        }
    ),
)
PLAIN_POOL = UserPool("us-east-1_Plain0001", "plain", 1.0, 1.0, defaults.build_pool_config({}))

FULL_REQUEST: dict[str, Any] = {
    "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH"],
    "AccessTokenValidity": 15,
    "IdTokenValidity": 2,
    "RefreshTokenValidity": 90,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "hours", "RefreshToken": "days"},
    "ReadAttributes": ["email", "email_verified", "custom:tenant", "dev:custom:secret_level"],
    "WriteAttributes": ["email", "custom:tenant"],
    "PreventUserExistenceErrors": "ENABLED",
    "EnablePropagateAdditionalUserContextData": True,
    "AuthSessionValidity": 10,
    "RefreshTokenRotation": {"Feature": "ENABLED"},
}


def client(config: dict[str, Any], secret: str | None = None) -> AppClient:
    return AppClient(
        "1example23456789abcdefghij", POOL.id, "web", 1700000000.5, 1700000200.75, secret, config
    )


def described(config: dict[str, Any], secret: str | None = None) -> dict[str, Any]:
    result = defaults.describe_client(client(config, secret))
    assert_output_shape(result, "UserPoolClientType")
    return result


# -- a client created with only ClientName ---------------------------------------------------


def test_minimal_client_defaults() -> None:
    config = defaults.build_client_config({"ClientName": "web", "UserPoolId": POOL.id}, POOL)
    assert config == {
        "TokenValidityUnits": {},
        "RefreshTokenValidity": 30,
        "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"],
        "AllowedOAuthFlowsUserPoolClient": False,
        "EnableTokenRevocation": True,
        "EnablePropagateAdditionalUserContextData": False,
        "AuthSessionValidity": 3,
    }
    assert defaults.token_validity_seconds(config) == {
        "AccessToken": 3600,
        "IdToken": 3600,
        "RefreshToken": 2592000,
    }
    assert defaults.allowed_auth_flows({}) == (
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_CUSTOM_AUTH",
    )


def test_snapshot_minimal_client() -> None:
    assert_snapshot(described(defaults.build_client_config({}, POOL)), "client_minimal")


def test_snapshot_full_client() -> None:
    config = defaults.build_client_config(FULL_REQUEST, POOL, has_secret=True)
    assert config["RefreshTokenRotation"] == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}
    assert defaults.token_validity_seconds(config) == {
        "AccessToken": 900,
        "IdToken": 7200,
        "RefreshToken": 90 * 86400,
    }
    result = described(config, secret="s" * 52)
    assert result["ClientSecret"] == "s" * 52
    assert_snapshot(result, "client_full")


def test_describe_and_summarize_client() -> None:
    result = defaults.describe_client(client(defaults.build_client_config({}, POOL)))
    assert "ClientSecret" not in result
    assert (result["UserPoolId"], result["ClientName"], result["ClientId"]) == (
        POOL.id,
        "web",
        "1example23456789abcdefghij",
    )
    assert (result["CreationDate"], result["LastModifiedDate"]) == (1700000000.5, 1700000200.75)
    summary = defaults.summarize_client(client({}))
    assert summary == {"ClientId": "1example23456789abcdefghij", "UserPoolId": POOL.id, "ClientName": "web"}
    assert_output_shape(summary, "UserPoolClientDescription")


# -- token validity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "value", "unit"),
    [
        ("AccessTokenValidity", 5, "minutes"),
        ("AccessTokenValidity", 300, "seconds"),
        ("AccessTokenValidity", 1, "days"),
        ("IdTokenValidity", 24, "hours"),
        ("IdTokenValidity", 1440, "minutes"),
        ("RefreshTokenValidity", 60, "minutes"),
        ("RefreshTokenValidity", 3650, "days"),
        ("RefreshTokenValidity", 1, "hours"),
    ],
)
def test_validity_at_the_edges_is_accepted(member: str, value: int, unit: str) -> None:
    token = member.removesuffix("Validity")
    config = defaults.build_client_config({member: value, "TokenValidityUnits": {token: unit}}, POOL)
    assert config[member] == value
    assert config["TokenValidityUnits"] == {token: unit}


@pytest.mark.parametrize(
    ("member", "value", "unit"),
    [
        ("AccessTokenValidity", 4, "minutes"),
        ("AccessTokenValidity", 2, "days"),
        ("AccessTokenValidity", 25, None),
        ("IdTokenValidity", 299, "seconds"),
        ("IdTokenValidity", 86401, "seconds"),
        ("RefreshTokenValidity", 59, "minutes"),
        ("RefreshTokenValidity", 3651, None),
        ("RefreshTokenValidity", 3599, "seconds"),
    ],
)
def test_validity_out_of_range_is_rejected(member: str, value: int, unit: str | None) -> None:
    request: dict[str, Any] = {member: value}
    if unit is not None:
        request["TokenValidityUnits"] = {member.removesuffix("Validity"): unit}
    with pytest.raises(InvalidParameterException) as error:
        defaults.build_client_config(request, POOL)
    assert error.value.message == "Invalid range for token validity."


def test_units_change_how_defaults_fit() -> None:
    # 60 hours would be out of range; the unit makes it 60 minutes.
    config = defaults.build_client_config(
        {"AccessTokenValidity": 60, "TokenValidityUnits": {"AccessToken": "minutes"}}, POOL
    )
    assert defaults.token_validity_seconds(config)["AccessToken"] == 3600
    with pytest.raises(InvalidParameterException):
        defaults.build_client_config({"AccessTokenValidity": 60}, POOL)


@pytest.mark.parametrize(("unit", "expected"), [(None, 30), ("days", 30), ("hours", 720), ("minutes", 43200)])
def test_refresh_validity_zero_means_thirty_days(unit: str | None, expected: int) -> None:
    request: dict[str, Any] = {"RefreshTokenValidity": 0}
    if unit:
        request["TokenValidityUnits"] = {"RefreshToken": unit}
    config = defaults.build_client_config(request, POOL)
    assert config["RefreshTokenValidity"] == expected
    assert defaults.token_validity_seconds(config)["RefreshToken"] == 30 * 86400


# -- ExplicitAuthFlows ------------------------------------------------------------------------


def test_legacy_flows_alone_are_kept() -> None:
    config = defaults.build_client_config(
        {"ExplicitAuthFlows": ["USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"]}, POOL
    )
    assert config["ExplicitAuthFlows"] == ["USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"]


def test_legacy_and_allow_flows_cannot_mix() -> None:
    with pytest.raises(InvalidParameterException):
        defaults.build_client_config(
            {"ExplicitAuthFlows": ["ADMIN_NO_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}, POOL
        )


def test_allow_flows_need_refresh() -> None:
    with pytest.raises(InvalidParameterException) as error:
        defaults.build_client_config({"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"]}, POOL)
    assert error.value.message == "REFRESH_TOKEN_AUTH should always be allowed."


def test_flows_are_deduplicated_and_an_empty_list_stays_empty() -> None:
    flows = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert defaults.build_client_config({"ExplicitAuthFlows": flows}, POOL)["ExplicitAuthFlows"] == flows[:2]
    assert defaults.build_client_config({"ExplicitAuthFlows": []}, POOL)["ExplicitAuthFlows"] == []


# -- secrets and context data -----------------------------------------------------------------


def test_generate_secret_and_client_secret_are_exclusive() -> None:
    with pytest.raises(InvalidParameterException):
        defaults.build_client_config({"GenerateSecret": True, "ClientSecret": "x" * 30}, POOL)


def test_context_data_propagation_needs_a_secret() -> None:
    request = {"EnablePropagateAdditionalUserContextData": True}
    with pytest.raises(InvalidParameterException):
        defaults.build_client_config(request, POOL, has_secret=False)
    with pytest.raises(InvalidParameterException):
        defaults.build_client_config({**request, "GenerateSecret": False}, POOL)
    assert defaults.build_client_config(request, POOL, has_secret=True)[
        "EnablePropagateAdditionalUserContextData"
    ]
    assert defaults.build_client_config({**request, "GenerateSecret": True}, POOL)[
        "EnablePropagateAdditionalUserContextData"
    ]
    # Without knowing about the secret the check is left to the caller.
    assert defaults.build_client_config(request, POOL)["EnablePropagateAdditionalUserContextData"]


# -- read and write attributes ----------------------------------------------------------------


def test_read_and_write_attributes_are_stored_deduplicated() -> None:
    config = defaults.build_client_config(
        {"ReadAttributes": ["email", "email", "custom:tenant"], "WriteAttributes": ["email"]}, POOL
    )
    assert config["ReadAttributes"] == ["email", "custom:tenant"]
    assert config["WriteAttributes"] == ["email"]


@pytest.mark.parametrize(
    ("member", "names"),
    [
        ("ReadAttributes", ["custom:unknown"]),
        ("ReadAttributes", ["tenant"]),
        ("WriteAttributes", ["email", "custom:nope"]),
        ("WriteAttributes", ["email", "sub"]),
        ("WriteAttributes", ["email", "email_verified"]),
        ("WriteAttributes", ["email", "dev:custom:secret_level"]),
        ("WriteAttributes", ["given_name"]),
    ],
)
def test_invalid_permissions_are_rejected(member: str, names: list[str]) -> None:
    kind = "read" if member == "ReadAttributes" else "write"
    with pytest.raises(InvalidParameterException) as error:
        defaults.build_client_config({member: names}, POOL)
    assert error.value.message == f"Invalid {kind} attributes specified while creating a client"
    with pytest.raises(InvalidParameterException) as error:
        defaults.update_client_config({}, {member: names}, POOL)
    assert error.value.message == f"Invalid {kind} attributes specified while updating a client"


def test_write_attributes_without_required_attributes_are_fine_when_none_are_required() -> None:
    assert defaults.build_client_config({"WriteAttributes": ["given_name"]}, PLAIN_POOL)[
        "WriteAttributes"
    ] == ["given_name"]


# -- OAuth ------------------------------------------------------------------------------------


def test_oauth_members_need_the_oauth_switch() -> None:
    with pytest.raises(InvalidParameterException):
        defaults.build_client_config({"AllowedOAuthFlows": ["code"]}, POOL)
    config = defaults.build_client_config(
        {
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": ["openid"],
            "CallbackURLs": ["https://example.com/cb"],
            "DefaultRedirectURI": "https://example.com/cb",
            "SupportedIdentityProviders": ["COGNITO"],
            "LogoutURLs": ["https://example.com/bye"],
        },
        POOL,
    )
    assert config["AllowedOAuthFlows"] == ["code"] and config["SupportedIdentityProviders"] == ["COGNITO"]
    assert defaults.build_client_config({"AllowedOAuthFlows": []}, POOL)["AllowedOAuthFlows"] == []


def test_default_redirect_must_be_a_callback() -> None:
    with pytest.raises(InvalidParameterException):
        defaults.build_client_config(
            {
                "AllowedOAuthFlowsUserPoolClient": True,
                "CallbackURLs": ["https://a.example"],
                "DefaultRedirectURI": "https://b.example",
            },
            POOL,
        )


def test_client_credentials_rules() -> None:
    base = {"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthScopes": ["api/read"]}
    with pytest.raises(InvalidOAuthFlowException):
        defaults.build_client_config({**base, "AllowedOAuthFlows": ["client_credentials", "code"]}, POOL)
    with pytest.raises(InvalidOAuthFlowException):
        defaults.build_client_config(
            {**base, "AllowedOAuthFlows": ["client_credentials"]}, POOL, has_secret=False
        )
    ok = defaults.build_client_config(
        {**base, "AllowedOAuthFlows": ["client_credentials"]}, POOL, has_secret=True
    )
    assert ok["AllowedOAuthFlows"] == ["client_credentials"]


# -- UpdateUserPoolClient ---------------------------------------------------------------------


def test_update_reverts_omitted_members() -> None:
    existing = defaults.build_client_config(FULL_REQUEST, POOL, has_secret=True)
    updated = defaults.update_client_config(
        existing,
        {"ClientId": "x", "UserPoolId": POOL.id, "ClientName": "renamed", "RefreshTokenValidity": 7},
        POOL,
        has_secret=True,
    )
    assert updated == {**defaults.build_client_config({}, POOL), "RefreshTokenValidity": 7}
    # The secret lives on the AppClient and is kept by the service.
    assert_snapshot(described(updated, secret="s" * 52), "client_after_update")


def test_update_does_not_alias_the_request() -> None:
    request: dict[str, Any] = {"TokenValidityUnits": {"AccessToken": "hours"}, "CallbackURLs": []}
    config = defaults.update_client_config({}, request, POOL)
    config["TokenValidityUnits"]["IdToken"] = "days"
    assert request["TokenValidityUnits"] == {"AccessToken": "hours"}
