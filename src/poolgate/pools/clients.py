"""App-client configuration: defaults, semantic checks, replace-on-update and responses.

Pure functions; the facts and their evidence are in ``docs/management.md`` sections 5-7.
The stored ``AppClient.config`` holds the ``UserPoolClientType`` members except
UserPoolId, ClientName, ClientId, ClientSecret, CreationDate and LastModifiedDate.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from poolgate.errors import InvalidOAuthFlowException, InvalidParameterException
from poolgate.pools import schema
from poolgate.pools.model import AppClient, UserPool

# Flows a client allows when ExplicitAuthFlows is omitted (model doc string), returned by
# DescribeUserPoolClient in this order.
DEFAULT_EXPLICIT_AUTH_FLOWS: tuple[str, ...] = (
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_CUSTOM_AUTH",
)
LEGACY_AUTH_FLOWS: frozenset[str] = frozenset(
    {"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"}
)

DEFAULT_REFRESH_TOKEN_VALIDITY = 30
DEFAULT_AUTH_SESSION_VALIDITY = 3
# The behaviour of a client whose PreventUserExistenceErrors is absent (model: "Defaults to LEGACY").
DEFAULT_PREVENT_USER_EXISTENCE_ERRORS = "LEGACY"

UNIT_SECONDS: Mapping[str, int] = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
DEFAULT_UNITS: Mapping[str, str] = {"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"}
# Effective lifetime when a validity member is absent, in seconds.
DEFAULT_VALIDITY_SECONDS: Mapping[str, int] = {
    "AccessToken": 3600,
    "IdToken": 3600,
    "RefreshToken": DEFAULT_REFRESH_TOKEN_VALIDITY * 86400,
}
# Allowed effective lifetimes in seconds: 5 minutes to 1 day, and 60 minutes to 10 years.
VALIDITY_RANGES: Mapping[str, tuple[int, int]] = {
    "AccessToken": (300, 86400),
    "IdToken": (300, 86400),
    "RefreshToken": (3600, 3650 * 86400),
}
_VALIDITY_MEMBERS: Mapping[str, str] = {
    "AccessToken": "AccessTokenValidity",
    "IdToken": "IdTokenValidity",
    "RefreshToken": "RefreshTokenValidity",
}

# Request members that are not configuration: identity, secret handling, ignored features.
_NOT_CONFIG = frozenset(
    {
        "UserPoolId",
        "ClientId",
        "ClientName",
        "GenerateSecret",
        "ClientSecret",
        "PublishSecretsInAWSSecretsManager",
    }
)
# Members stored exactly as given when present, and absent otherwise.
_AS_GIVEN = (
    "AccessTokenValidity",
    "IdTokenValidity",
    "SupportedIdentityProviders",
    "CallbackURLs",
    "LogoutURLs",
    "DefaultRedirectURI",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AnalyticsConfiguration",
    "PreventUserExistenceErrors",
)


def build_client_config(
    request: Mapping[str, Any], pool: UserPool, *, has_secret: bool | None = None, updating: bool = False
) -> dict[str, Any]:
    """The stored config of a client created (or replaced) from ``request``.

    ``request`` holds CreateUserPoolClient members; identity and secret members are ignored.
    ``has_secret`` enables the checks that depend on the client secret when known.
    Raises InvalidParameterException or InvalidOAuthFlowException for broken rules.
    """
    if request.get("GenerateSecret") and request.get("ClientSecret"):
        raise InvalidParameterException(
            "You cannot specify both GenerateSecret as true and a ClientSecret value."
        )
    if has_secret is None and ("GenerateSecret" in request or "ClientSecret" in request):
        has_secret = bool(request.get("GenerateSecret") or request.get("ClientSecret"))
    config: dict[str, Any] = {}
    for member in _AS_GIVEN:
        if member in request:
            config[member] = copy.deepcopy(request[member])
    config["TokenValidityUnits"] = dict(request.get("TokenValidityUnits") or {})
    config["RefreshTokenValidity"] = _refresh_validity(request)
    _check_validity(config)
    for member in ("ReadAttributes", "WriteAttributes"):
        if member in request:
            config[member] = _permissions(member, request[member], pool, updating=updating)
    rotating = (request.get("RefreshTokenRotation") or {}).get("Feature") == "ENABLED"
    config["ExplicitAuthFlows"] = _explicit_auth_flows(request, rotating=rotating)
    config["AllowedOAuthFlowsUserPoolClient"] = bool(request.get("AllowedOAuthFlowsUserPoolClient", False))
    _check_oauth(config, has_secret)
    config["EnableTokenRevocation"] = bool(request.get("EnableTokenRevocation", True))
    propagate = bool(request.get("EnablePropagateAdditionalUserContextData", False))
    if propagate and has_secret is False:
        raise InvalidParameterException(
            "EnablePropagateAdditionalUserContextData can only be activated in an app client with a client secret."
        )
    config["EnablePropagateAdditionalUserContextData"] = propagate
    config["AuthSessionValidity"] = int(request.get("AuthSessionValidity", DEFAULT_AUTH_SESSION_VALIDITY))
    if "RefreshTokenRotation" in request:
        rotation = dict(request["RefreshTokenRotation"])
        rotation.setdefault("RetryGracePeriodSeconds", 0)
        config["RefreshTokenRotation"] = rotation
    return config


def update_client_config(
    existing: Mapping[str, Any], request: Mapping[str, Any], pool: UserPool, *, has_secret: bool | None = None
) -> dict[str, Any]:
    """Apply UpdateUserPoolClient: the new config is built from ``request`` alone.

    Omitted members revert to their defaults; the secret and name live outside the config
    and are kept by the caller. ``existing`` is accepted for members a later model may keep.
    """
    config = build_client_config(request, pool, has_secret=has_secret, updating=True)
    if "ClientType" in existing:
        config["ClientType"] = existing["ClientType"]
    return config


def describe_client(client: AppClient) -> dict[str, Any]:
    """The UserPoolClientType document (ClientSecret included when the client has one)."""
    described: dict[str, Any] = {
        "UserPoolId": client.user_pool_id,
        "ClientName": client.client_name,
        "ClientId": client.client_id,
    }
    if client.client_secret:
        described["ClientSecret"] = client.client_secret
    described["LastModifiedDate"] = client.updated_at
    described["CreationDate"] = client.created_at
    described.update(copy.deepcopy(dict(client.config)))
    return described


def summarize_client(client: AppClient) -> dict[str, Any]:
    """The UserPoolClientDescription item ListUserPoolClients returns."""
    return {"ClientId": client.client_id, "UserPoolId": client.user_pool_id, "ClientName": client.client_name}


def token_validity_seconds(config: Mapping[str, Any]) -> dict[str, int]:
    """Effective AccessToken / IdToken / RefreshToken lifetimes in seconds for a client config."""
    units = {**DEFAULT_UNITS, **dict(config.get("TokenValidityUnits") or {})}
    lifetimes: dict[str, int] = {}
    for token, member in _VALIDITY_MEMBERS.items():
        value = config.get(member)
        lifetimes[token] = (
            DEFAULT_VALIDITY_SECONDS[token] if value is None else int(value) * UNIT_SECONDS[units[token]]
        )
    return lifetimes


def allowed_auth_flows(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The ExplicitAuthFlows in force for a client config (the default three when absent)."""
    flows = config.get("ExplicitAuthFlows")
    return DEFAULT_EXPLICIT_AUTH_FLOWS if flows is None else tuple(flows)


def _refresh_validity(request: Mapping[str, Any]) -> int:
    value = int(request.get("RefreshTokenValidity") or 0)
    if value:
        return value
    # Zero or omitted means the default 30 days, expressed in the refresh-token unit.
    unit = dict(request.get("TokenValidityUnits") or {}).get("RefreshToken", DEFAULT_UNITS["RefreshToken"])
    return DEFAULT_VALIDITY_SECONDS["RefreshToken"] // UNIT_SECONDS[unit]


def _check_validity(config: Mapping[str, Any]) -> None:
    lifetimes = token_validity_seconds(config)
    for token, (low, high) in VALIDITY_RANGES.items():
        if not low <= lifetimes[token] <= high:
            raise InvalidParameterException("Invalid range for token validity.")


def _explicit_auth_flows(request: Mapping[str, Any], *, rotating: bool = False) -> list[str]:
    if "ExplicitAuthFlows" not in request:
        if rotating:
            return [f for f in DEFAULT_EXPLICIT_AUTH_FLOWS if f != "ALLOW_REFRESH_TOKEN_AUTH"]
        return list(DEFAULT_EXPLICIT_AUTH_FLOWS)
    flows = list(dict.fromkeys(request["ExplicitAuthFlows"]))
    legacy = [f for f in flows if f in LEGACY_AUTH_FLOWS]
    modern = [f for f in flows if f not in LEGACY_AUTH_FLOWS]
    if legacy and modern:
        raise InvalidParameterException(
            "ExplicitAuthFlows cannot combine the legacy values ADMIN_NO_SRP_AUTH, CUSTOM_AUTH_FLOW_ONLY or "
            "USER_PASSWORD_AUTH with values that begin with ALLOW_."
        )
    # Refresh-token rotation and the REFRESH_TOKEN_AUTH flow exclude each other
    # (spec auth-flows.md §4.4 [decision]); otherwise the flow must be allowed.
    if rotating and "ALLOW_REFRESH_TOKEN_AUTH" in flows:
        raise InvalidParameterException(
            "ALLOW_REFRESH_TOKEN_AUTH cannot be enabled on an app client with refresh token rotation enabled."
        )
    if modern and not rotating and "ALLOW_REFRESH_TOKEN_AUTH" not in modern:
        raise InvalidParameterException("REFRESH_TOKEN_AUTH should always be allowed.")
    return flows


def _permissions(member: str, names: Any, pool: UserPool, *, updating: bool) -> list[str]:
    wanted = list(dict.fromkeys(str(n) for n in names))
    pool_schema = pool.config.get("SchemaAttributes") or schema.default_schema()
    known = schema.attribute_names(pool_schema)
    kind = "read" if member == "ReadAttributes" else "write"
    verb = "updating" if updating else "creating"
    invalid = InvalidParameterException(f"Invalid {kind} attributes specified while {verb} a client")
    if any(name not in known for name in wanted):
        raise invalid
    if kind == "write":
        forbidden = {"sub"} | schema.VERIFICATION_ATTRIBUTES
        if any(name in forbidden or name.startswith(schema.DEVELOPER_PREFIX) for name in wanted):
            raise invalid
        if not schema.required_names(pool_schema) <= set(wanted):
            raise invalid
    return wanted


def _check_oauth(config: Mapping[str, Any], has_secret: bool | None) -> None:
    flows = list(config.get("AllowedOAuthFlows") or [])
    if not config["AllowedOAuthFlowsUserPoolClient"] and (
        flows or config.get("AllowedOAuthScopes") or config.get("CallbackURLs")
    ):
        raise InvalidParameterException(
            "AllowedOAuthFlowsUserPoolClient must be true to set AllowedOAuthFlows, AllowedOAuthScopes or "
            "CallbackURLs."
        )
    if "client_credentials" in flows:
        if len(flows) > 1:
            raise InvalidOAuthFlowException("client_credentials flow can not be selected with other flows.")
        if has_secret is False:
            raise InvalidOAuthFlowException(
                "client_credentials flow can not be selected if client does not have a client secret."
            )
    redirect = config.get("DefaultRedirectURI")
    if redirect is not None and redirect not in (config.get("CallbackURLs") or []):
        raise InvalidParameterException("DefaultRedirectURI must be one of the CallbackURLs.")
