"""Which AuthFlow an operation accepts and which an app client enables (auth-flows.md section 2).

Two checks, in this order, each an InvalidParameterException:

1. The operation: ADMIN_USER_PASSWORD_AUTH / ADMIN_NO_SRP_AUTH only on AdminInitiateAuth,
   USER_PASSWORD_AUTH only on InitiateAuth -> ``Initiate Auth method not supported.``
2. The client's ExplicitAuthFlows -> ``<AuthFlow> flow not enabled for this client``.

``ALLOW_*`` clients enable exactly what they list. A client with only legacy values (or an
empty list) behaves as clients did before 2019 [inferred, spec open question]: SRP, refresh
and custom auth are always on, ``USER_PASSWORD_AUTH`` and ``ADMIN_NO_SRP_AUTH`` switch on
their password flows, and ``CUSTOM_AUTH_FLOW_ONLY`` switches SRP off.

A client with refresh-token rotation ENABLED refreshes only through GetTokensFromRefreshToken:
REFRESH_TOKEN_AUTH is not enabled on it (section 4.4 decision).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from poolgate.auth import messages
from poolgate.auth.state import AuthFlow
from poolgate.errors import InvalidParameterException
from poolgate.pools.clients import allowed_auth_flows

INITIATE_AUTH_FLOWS: Final = frozenset(
    {
        AuthFlow.USER_SRP_AUTH,
        AuthFlow.USER_PASSWORD_AUTH,
        AuthFlow.REFRESH_TOKEN_AUTH,
        AuthFlow.REFRESH_TOKEN,
        AuthFlow.CUSTOM_AUTH,
        AuthFlow.USER_AUTH,
    }
)
ADMIN_INITIATE_AUTH_FLOWS: Final = frozenset(
    {
        AuthFlow.USER_SRP_AUTH,
        AuthFlow.ADMIN_USER_PASSWORD_AUTH,
        AuthFlow.ADMIN_NO_SRP_AUTH,
        AuthFlow.REFRESH_TOKEN_AUTH,
        AuthFlow.REFRESH_TOKEN,
        AuthFlow.CUSTOM_AUTH,
        AuthFlow.USER_AUTH,
    }
)

# The ALLOW_* value that enables each flow.
ENABLED_BY: Final[Mapping[AuthFlow, str]] = {
    AuthFlow.USER_SRP_AUTH: "ALLOW_USER_SRP_AUTH",
    AuthFlow.USER_PASSWORD_AUTH: "ALLOW_USER_PASSWORD_AUTH",
    AuthFlow.ADMIN_USER_PASSWORD_AUTH: "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    AuthFlow.ADMIN_NO_SRP_AUTH: "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    AuthFlow.REFRESH_TOKEN_AUTH: "ALLOW_REFRESH_TOKEN_AUTH",
    AuthFlow.REFRESH_TOKEN: "ALLOW_REFRESH_TOKEN_AUTH",
    AuthFlow.CUSTOM_AUTH: "ALLOW_CUSTOM_AUTH",
    AuthFlow.USER_AUTH: "ALLOW_USER_AUTH",
}

# The legacy value that enables each flow on a legacy client.
_LEGACY_ENABLED_BY: Final[Mapping[str, frozenset[AuthFlow]]] = {
    "USER_PASSWORD_AUTH": frozenset({AuthFlow.USER_PASSWORD_AUTH}),
    "ADMIN_NO_SRP_AUTH": frozenset({AuthFlow.ADMIN_USER_PASSWORD_AUTH, AuthFlow.ADMIN_NO_SRP_AUTH}),
}
_LEGACY_ALWAYS: Final = frozenset(
    {AuthFlow.USER_SRP_AUTH, AuthFlow.REFRESH_TOKEN_AUTH, AuthFlow.REFRESH_TOKEN, AuthFlow.CUSTOM_AUTH}
)


_REFRESH_FLOWS: Final = frozenset({AuthFlow.REFRESH_TOKEN_AUTH, AuthFlow.REFRESH_TOKEN})


def enabled_flows(client_config: Mapping[str, Any]) -> frozenset[AuthFlow]:
    """The flows an app client's ExplicitAuthFlows (and refresh-token rotation) enable."""
    listed = allowed_auth_flows(client_config)
    if any(value.startswith("ALLOW_") for value in listed):
        flows = {flow for flow, value in ENABLED_BY.items() if value in listed}
    else:
        flows = set(_LEGACY_ALWAYS)
        for value in listed:
            flows |= _LEGACY_ENABLED_BY.get(value, frozenset())
        if "CUSTOM_AUTH_FLOW_ONLY" in listed:
            flows.discard(AuthFlow.USER_SRP_AUTH)
    rotation: Mapping[str, Any] = client_config.get("RefreshTokenRotation") or {}
    if rotation.get("Feature") == "ENABLED":
        flows -= _REFRESH_FLOWS
    return frozenset(flows)


def check_flow(flow: AuthFlow, *, admin: bool, client_config: Mapping[str, Any]) -> None:
    """Raise InvalidParameterException unless the operation accepts ``flow`` and the client
    enables it."""
    accepted = ADMIN_INITIATE_AUTH_FLOWS if admin else INITIATE_AUTH_FLOWS
    if flow not in accepted:
        raise InvalidParameterException(messages.METHOD_NOT_SUPPORTED)
    if flow not in enabled_flows(client_config):
        raise InvalidParameterException(messages.flow_not_enabled(flow.value))
