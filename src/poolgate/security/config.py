"""Risk configuration: what SetRiskConfiguration stores and the policy a sign-in gets.

The three documents of SetRiskConfiguration (CompromisedCredentialsRiskConfiguration,
AccountTakeoverRiskConfiguration, RiskExceptionConfiguration) are kept in the wire shape, as
pools and clients are, one JSON document per pool (``ClientId`` absent) or per app client,
in the store's ``meta`` table under ``risk-configuration:<pool>:<client or *>``. A client's
own configuration replaces the pool's as a whole, as in Cognito; DescribeRiskConfiguration
for a client without one answers the pool's.

The pool's ``UserPoolAddOns.AdvancedSecurityMode`` (OFF, AUDIT, ENFORCED; OFF when absent)
says whether any of it is applied.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from poolgate.errors import InvalidParameterException
from poolgate.pools.model import UserPool
from poolgate.security.risk import (
    DEFAULT_ACTIONS,
    EventAction,
    LevelAction,
    RiskLevel,
    RiskPolicy,
    SecurityMode,
)

DOCUMENTS = (
    "CompromisedCredentialsRiskConfiguration",
    "AccountTakeoverRiskConfiguration",
    "RiskExceptionConfiguration",
)
COMPROMISED_EVENTS = ("SIGN_IN", "PASSWORD_CHANGE", "SIGN_UP")
_LEVEL_MEMBERS = {RiskLevel.LOW: "LowAction", RiskLevel.MEDIUM: "MediumAction", RiskLevel.HIGH: "HighAction"}


def meta_key(pool_id: str, client_id: str | None) -> str:
    """The ``meta`` key of a pool's (``client_id`` None) or a client's configuration."""
    return f"risk-configuration:{pool_id}:{client_id or '*'}"


@dataclass(frozen=True, slots=True)
class RiskConfiguration:
    """One stored configuration: the wire documents and when they were set."""

    documents: Mapping[str, Any] = field(default_factory=dict)
    last_modified: float = 0.0

    def to_json(self) -> str:
        return json.dumps({"documents": dict(self.documents), "last_modified": self.last_modified})

    @classmethod
    def from_json(cls, text: str | None) -> RiskConfiguration | None:
        if not text:
            return None
        data = json.loads(text)
        return cls(documents=data.get("documents") or {}, last_modified=float(data.get("last_modified", 0)))

    def policy(self, mode: SecurityMode) -> RiskPolicy:
        """The risk engine's policy for this configuration under ``mode``."""
        takeover = self.documents.get("AccountTakeoverRiskConfiguration") or {}
        actions = dict(DEFAULT_ACTIONS)
        for level, member in _LEVEL_MEMBERS.items():
            item = (takeover.get("Actions") or {}).get(member)
            if item:
                actions[level] = LevelAction(
                    EventAction(item["EventAction"]), bool(item.get("Notify", False))
                )
        exceptions = self.documents.get("RiskExceptionConfiguration") or {}
        return RiskPolicy(
            mode=mode,
            actions=actions,
            blocked_ranges=tuple(exceptions.get("BlockedIPRangeList") or ()),
            skipped_ranges=tuple(exceptions.get("SkippedIPRangeList") or ()),
        )

    def blocks_compromised(self, event: str) -> bool:
        """True when a breached password must be refused for ``event`` (SIGN_IN, SIGN_UP,
        PASSWORD_CHANGE): the action is BLOCK and the event filter (default: all) has it."""
        compromised = self.documents.get("CompromisedCredentialsRiskConfiguration")
        if not compromised:
            return False
        events = compromised.get("EventFilter") or COMPROMISED_EVENTS
        return event in events and (compromised.get("Actions") or {}).get("EventAction") == "BLOCK"

    def notify_configuration(self) -> Mapping[str, Any]:
        """The AccountTakeover NotifyConfiguration (empty when none)."""
        takeover = self.documents.get("AccountTakeoverRiskConfiguration") or {}
        return dict(takeover.get("NotifyConfiguration") or {})


def security_mode(pool: UserPool, *, custom_auth: bool = False) -> SecurityMode:
    """The pool's AdvancedSecurityMode; for custom auth, ``CustomAuthMode`` (OFF when unset)."""
    add_ons = pool.config.get("UserPoolAddOns") or {}
    mode = SecurityMode(add_ons.get("AdvancedSecurityMode", "OFF"))
    if not custom_auth or mode is SecurityMode.OFF:
        return mode
    flows = add_ons.get("AdvancedSecurityAdditionalFlows") or {}
    return SecurityMode(flows.get("CustomAuthMode", "OFF"))


def check_documents(documents: Mapping[str, Any]) -> None:
    """Rules the model cannot express; raises InvalidParameterException."""
    exceptions = documents.get("RiskExceptionConfiguration") or {}
    for member in ("BlockedIPRangeList", "SkippedIPRangeList"):
        for cidr in exceptions.get(member) or ():
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise InvalidParameterException(f"{cidr} in {member} is not a valid CIDR range.") from None
    takeover = documents.get("AccountTakeoverRiskConfiguration") or {}
    notifies = any(bool(item.get("Notify")) for item in (takeover.get("Actions") or {}).values())
    if notifies and not takeover.get("NotifyConfiguration"):
        raise InvalidParameterException(
            "NotifyConfiguration is required when an action has Notify set to true."
        )


def describe(pool_id: str, client_id: str | None, configuration: RiskConfiguration | None) -> dict[str, Any]:
    """The ``RiskConfigurationType`` of DescribeRiskConfiguration and SetRiskConfiguration."""
    result: dict[str, Any] = {"UserPoolId": pool_id}
    if client_id:
        result["ClientId"] = client_id
    if configuration is not None:
        for name in DOCUMENTS:
            if name in configuration.documents:
                result[name] = configuration.documents[name]
        result["LastModifiedDate"] = configuration.last_modified
    return result
