"""The registry of flows (STYLE.md section 3): one class per AuthFlow, looked up by the value.

Each class declares the values it serves (``flows``), which operations and client settings
allow it (``gate``, read by ``auth.gating``), the parameters checked before SECRET_HASH
(``identify``; the engine checks the hash) and its first step (``start``). Adding a flow means
adding a module here and its class to ``_FLOW_CLASSES``.
"""

from __future__ import annotations

from collections.abc import Mapping

from poolgate.auth.flows.base import Flow
from poolgate.auth.flows.custom_auth import CustomAuth
from poolgate.auth.flows.refresh_token import RefreshTokenAuth
from poolgate.auth.flows.user_auth import UserAuth
from poolgate.auth.flows.user_password import AdminUserPasswordAuth, UserPasswordAuth
from poolgate.auth.flows.user_srp import UserSrpAuth
from poolgate.auth.state import AuthFlow

_FLOW_CLASSES: tuple[type[Flow], ...] = (
    UserSrpAuth,
    UserPasswordAuth,
    AdminUserPasswordAuth,
    RefreshTokenAuth,
    CustomAuth,
    UserAuth,
)


def _registry() -> Mapping[AuthFlow, Flow]:
    table: dict[AuthFlow, Flow] = {}
    for cls in _FLOW_CLASSES:
        instance = cls()
        for flow in cls.flows:
            if flow in table:
                raise RuntimeError(f"{flow} is served by two flow classes")
            table[flow] = instance
    missing = set(AuthFlow) - set(table)
    if missing:
        raise RuntimeError(f"no flow class for {sorted(missing)}")
    return table


FLOWS: Mapping[AuthFlow, Flow] = _registry()
"""Every AuthFlow value and the flow that serves it."""

__all__ = ["FLOWS", "Flow"]
