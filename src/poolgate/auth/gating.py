"""Which AuthFlow an operation accepts and which an app client enables (auth-flows.md section 2),
read from the ``Gate`` each flow class declares (``flows.base.Gate``).

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
from typing import Any

from poolgate.auth import messages
from poolgate.auth.flows import FLOWS
from poolgate.auth.flows.base import Gate
from poolgate.auth.state import AuthFlow
from poolgate.errors import InvalidParameterException
from poolgate.pools.clients import allowed_auth_flows


def enabled_flows(client_config: Mapping[str, Any]) -> frozenset[AuthFlow]:
    """The flows an app client's ExplicitAuthFlows (and refresh-token rotation) enable."""
    return frozenset(flow for flow, served in FLOWS.items() if _enables(client_config, served.gate))


def check_flow(flow: AuthFlow, *, admin: bool, client_config: Mapping[str, Any]) -> None:
    """Raise InvalidParameterException unless the operation accepts ``flow`` and the client
    enables it."""
    gate = FLOWS[flow].gate
    if not (gate.admin if admin else gate.initiate):
        raise InvalidParameterException(messages.METHOD_NOT_SUPPORTED)
    if not _enables(client_config, gate):
        raise InvalidParameterException(messages.flow_not_enabled(flow.value))


def _enables(client_config: Mapping[str, Any], gate: Gate) -> bool:
    """True when the client's ExplicitAuthFlows and refresh-token rotation enable ``gate``'s flow."""
    listed = allowed_auth_flows(client_config)
    if any(value.startswith("ALLOW_") for value in listed):
        enabled = gate.allow in listed
    elif gate.legacy_always:
        enabled = not any(value in gate.legacy_off for value in listed)
    else:
        enabled = gate.legacy is not None and gate.legacy in listed
    if enabled and gate.not_with_rotation:
        rotation: Mapping[str, Any] = client_config.get("RefreshTokenRotation") or {}
        return rotation.get("Feature") != "ENABLED"
    return enabled
